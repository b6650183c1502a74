/// The elementwise losses `nn.L1Loss()` and `nn.MSELoss()` with mean reduction: one scalar
/// from two tensors of the same shape, accumulated in double.
public enum MeanError {
    public static func absolute(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = 0.0
        for i in 0..<count { acc += Double(abs(a[i] - b[i])) }
        return Float(acc / Double(max(count, 1)))
    }

    public static func squared(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        var acc = 0.0
        for i in 0..<count { let d = Double(a[i] - b[i]); acc += d * d }
        return Float(acc / Double(max(count, 1)))
    }

    /// mean |a - b|
    public static func absolute(_ a: Tensor, _ b: Tensor) -> Float { pair(a, b, absolute) }
    /// mean (a - b)²
    public static func squared(_ a: Tensor, _ b: Tensor) -> Float { pair(a, b, squared) }

    static func pair(_ a: Tensor, _ b: Tensor, _ f: (UnsafePointer<Float>, UnsafePointer<Float>, Int) -> Float) -> Float {
        precondition(a.shape == b.shape, "mean error of \(a.shape) and \(b.shape)")
        return a.withUnsafeBufferPointer { p in
            b.withUnsafeBufferPointer { q in p.count == 0 ? .nan : f(p.baseAddress!, q.baseAddress!, p.count) }
        }
    }
}

extension MeanError {
    /// Differentiable `nn.L1Loss()` of `a` against the constant target `b` (a scalar []):
    /// d/da mean|a - b| = sign(a - b) / N, with sign(0) = 0 as PyTorch.
    public static func absolute(_ a: Var, _ b: Tensor) -> Var {
        let n = Float(max(a.value.count, 1))
        return taped(Tensor(shape: [], values: [absolute(a.value, b)]), a) { g in
            let k = g[flat: 0] / n
            var da = a.value
            da.withUnsafeMutableBufferPointer { p in
                b.withUnsafeBufferPointer { q in
                    for i in 0..<p.count { let d = p[i] - q[i]; p[i] = d > 0 ? k : (d < 0 ? -k : 0) }
                }
            }
            a.accumulate(da)
        }
    }
}
