import Foundation
import Tensors

/// A fixture's per-tensor tolerance: pass when |actual - expected| <= atol + rtol * |expected|
/// for every element; integer tensors must match exactly.
public struct Tolerance: Sendable, Equatable {
    public var atol: Double
    public var rtol: Double
    public var exact: Bool

    public static let exactMatch = Tolerance(atol: 0, rtol: 0, exact: true)

    init(json: [String: Any]?) {
        exact = (json?["exact"] as? Bool) ?? false
        atol = (json?["atol"] as? Double) ?? 0
        rtol = (json?["rtol"] as? Double) ?? 0
    }

    public init(atol: Double, rtol: Double, exact: Bool = false) { self.atol = atol; self.rtol = rtol; self.exact = exact }

    public var text: String { exact ? "exact" : String(format: "atol %.2g rtol %.2g", atol, rtol) }
}

/// The outcome of one output tensor.
public struct ParityResult: Sendable {
    public var name: String
    public var source: String          // which checkpoint file (or "-" for none)
    public var maxAbs: Double
    public var maxRel: Double
    public var tolerance: Tolerance
    public var passed: Bool
    public var note: String?           // why it was not computed, or a shape mismatch

    static func failed(_ name: String, source: String, tolerance: Tolerance, note: String) -> ParityResult {
        ParityResult(name: name, source: source, maxAbs: .nan, maxRel: .nan, tolerance: tolerance, passed: false, note: note)
    }

    /// Compares float values elementwise under `tolerance`.
    static func compare(_ name: String, source: String, actual: Tensor, expected: Tensor, tolerance: Tolerance) -> ParityResult {
        guard actual.shape == expected.shape else {
            return .failed(name, source: source, tolerance: tolerance,
                           note: "shape \(Shape.text(actual.shape)), expected \(Shape.text(expected.shape))")
        }
        var maxAbs = 0.0, maxRel = 0.0, ok = true
        actual.withUnsafeBufferPointer { a in
            expected.withUnsafeBufferPointer { e in
                for i in 0..<a.count {
                    let x = Double(a[i]), y = Double(e[i])
                    let d = abs(x - y)
                    if d.isNaN || (tolerance.exact ? d != 0 : d > tolerance.atol + tolerance.rtol * abs(y)) { ok = false }
                    if d.isNaN { maxAbs = .nan; continue }
                    maxAbs = max(maxAbs, d)
                    if y != 0 { maxRel = max(maxRel, d / abs(y)) } else if d > 0 { maxRel = .infinity }
                }
            }
        }
        return ParityResult(name: name, source: source, maxAbs: maxAbs, maxRel: maxRel, tolerance: tolerance, passed: ok, note: nil)
    }

    /// Compares integer values exactly.
    static func compare(_ name: String, source: String, actual: [Int64], actualShape: [Int], expected: [Int64], expectedShape: [Int]) -> ParityResult {
        guard actualShape == expectedShape else {
            return .failed(name, source: source, tolerance: .exactMatch,
                           note: "shape \(Shape.text(actualShape)), expected \(Shape.text(expectedShape))")
        }
        var maxAbs = 0.0
        for (a, e) in zip(actual, expected) { maxAbs = max(maxAbs, abs(Double(a) - Double(e))) }
        return ParityResult(name: name, source: source, maxAbs: maxAbs, maxRel: maxAbs == 0 ? 0 : .infinity,
                            tolerance: .exactMatch, passed: maxAbs == 0, note: nil)
    }
}
