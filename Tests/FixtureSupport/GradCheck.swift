import Tensors
import XCTest

/// Finite-difference checks of a `Var` op's backward: the loss is sum(f(x) * r) with a fixed
/// random r, its analytic gradient comes from the tape, the numeric one from central
/// differences in Double around each input element (float32 forward, so tolerances are loose).
public enum GradCheck {
    public static func seeded(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var s = seed &* 6364136223846793005 &+ 1442695040888963407
        return Tensor(shape: shape) { buf in
            for i in 0..<buf.count {
                s = s &* 6364136223846793005 &+ 1442695040888963407
                buf[i] = (Float(Int64(bitPattern: s >> 11) % 20001) / 10000 - 1) * scale
            }
        }
    }

    /// Checks d/dx of every input of `f`; `eps` is the step, `tol` the max abs error relative to
    /// the largest gradient entry. For functions with kinks (leaky ReLUs over many units), a
    /// step can straddle one and miss by a few percent whatever its size: `kinked` then tries
    /// the steps eps, eps/10 and eps/100 and keeps the closest, since a wrong gradient misses at
    /// every step.
    public static func check(_ inputs: [Tensor], eps: Float = 1e-2, tol: Float = 2e-2, kinked: Bool = false,
                             file: StaticString = #filePath, line: UInt = #line,
                             _ f: ([Var]) -> Var) {
        let tape = Tape()
        let vars = inputs.map { tape.parameter($0) }
        let y = f(vars)
        let r = seeded(y.shape, seed: 99)
        let loss = weighted(y, r)
        tape.backward(loss)
        for (i, x) in inputs.enumerated() {
            guard let g = vars[i].grad else { XCTFail("input \(i) got no gradient", file: file, line: line); continue }
            var worst: Float = 0
            let scale = max(g.scalars.map(abs).max() ?? 0, 1e-3)
            for j in 0..<x.count {
                var closest = Float.infinity
                for step in kinked ? [eps, eps / 10, eps / 100] : [eps] {
                    var plus = inputs, minus = inputs
                    plus[i][flat: j] += step; minus[i][flat: j] -= step
                    let lp = scalarLoss(f(plus.map { Var($0) }), r), lm = scalarLoss(f(minus.map { Var($0) }), r)
                    let numeric = Float((lp - lm) / (2 * Double(step)))
                    closest = min(closest, abs(numeric - g[flat: j]) / scale)
                }
                worst = max(worst, closest)
            }
            XCTAssertLessThan(worst, tol, "input \(i): max |numeric - analytic| / max|grad| = \(worst)", file: file, line: line)
        }
    }

    /// sum(y * r) on the tape.
    public static func weighted(_ y: Var, _ r: Tensor) -> Var {
        let v = y.value.withUnsafeBufferPointer { yp in r.withUnsafeBufferPointer { rp in (0..<yp.count).reduce(Float(0)) { $0 + yp[$1] * rp[$1] } } }
        return taped(Tensor(shape: [], values: [v]), y) { g in y.accumulate(Tensor(shape: y.shape, values: r.scalars.map { $0 * g[flat: 0] })) }
    }

    static func scalarLoss(_ y: Var, _ r: Tensor) -> Double {
        y.value.withUnsafeBufferPointer { yp in r.withUnsafeBufferPointer { rp in (0..<yp.count).reduce(0.0) { $0 + Double(yp[$1]) * Double(rp[$1]) } } }
    }
}
