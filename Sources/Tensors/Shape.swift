/// Helpers for shapes written as `[Int]` (row-major, leading axis first).
public enum Shape {
    /// "[2, 3, 64, 64]", the way errors print a shape.
    public static func text(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }

    /// Row-major strides of a shape, in elements.
    public static func strides(_ s: [Int]) -> [Int] {
        var st = [Int](repeating: 1, count: s.count)
        var acc = 1
        for i in stride(from: s.count - 1, through: 0, by: -1) { st[i] = acc; acc *= s[i] }
        return st
    }
}
