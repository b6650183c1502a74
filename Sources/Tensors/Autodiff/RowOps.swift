/// Differentiable row-wise ops on [n, e] matrices (embeddings, logits).
extension Diff {
    /// Rows divided by max(||row||, floor) (`L2Normalize`; the default is `F.normalize`'s):
    /// dx = (dy - y (y . dy)) / ||row||.
    public static func l2Normalize(_ x: Var, floor: Float = L2Normalize.torchFloor) -> Var {
        let e = x.shape.last ?? 1, rows = x.value.count / max(e, 1)
        var y = Tensor(uninitialized: x.shape)
        var norms = [Float](repeating: 0, count: rows)
        x.value.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                norms.withUnsafeMutableBufferPointer { np in
                    if yp.count > 0 { L2Normalize.forward(xp.baseAddress!, yp.baseAddress!, rows: rows, width: e, floor: floor, norms: np.baseAddress!) }
                }
            }
        }
        return taped(y, x) { g in
            var dx = Tensor(uninitialized: x.shape)
            y.withUnsafeBufferPointer { yp in
                g.withUnsafeBufferPointer { gp in
                    dx.withUnsafeMutableBufferPointer { o in
                        for r in 0..<rows {
                            var dot: Float = 0
                            for i in 0..<e { dot += yp[r * e + i] * gp[r * e + i] }
                            // at the floor the norm is a constant: plain scaling
                            let inv = 1 / norms[r], k: Float = norms[r] > floor ? dot : 0
                            for i in 0..<e { o[r * e + i] = (gp[r * e + i] - yp[r * e + i] * k) * inv }
                        }
                    }
                }
            }
            x.accumulate(dx)
        }
    }

    /// a [n, e] x b [m, e]^T -> [n, m].
    public static func matmulTransposed(_ a: Var, _ b: Var) -> Var {
        let y = a.value.matmul(b.value, transposeOther: true)
        return taped(y, a, b) { g in
            if a.needsGrad { a.accumulate(g.matmul(b.value)) }
            if b.needsGrad { b.accumulate(g.transposed().matmul(a.value)) }
        }
    }

    /// Mean of the rows: [n, e] -> [1, e].
    public static func meanRows(_ x: Var) -> Var {
        let (n, e) = (x.shape[0], x.shape[1]), v = x.value.scalars
        var m = [Float](repeating: 0, count: e)
        for r in 0..<n { for k in 0..<e { m[k] += v[r * e + k] } }
        return taped(Tensor(shape: [1, e], values: m.map { $0 / Float(n) }), x) { g in
            let gv = g.scalars
            x.accumulate(Tensor(shape: [n, e]) { o in for r in 0..<n { for k in 0..<e { o[r * e + k] = gv[k] / Float(n) } } })
        }
    }

    /// [1, e] repeated to [n, e].
    public static func repeatRows(_ x: Var, _ n: Int) -> Var {
        let e = x.value.count, v = x.value.scalars
        return taped(Tensor(shape: [n, e]) { o in for r in 0..<n { for k in 0..<e { o[r * e + k] = v[k] } } }, x) { g in
            let gv = g.scalars
            var s = [Float](repeating: 0, count: e)
            for r in 0..<n { for k in 0..<e { s[k] += gv[r * e + k] } }
            x.accumulate(Tensor(shape: x.shape, values: s))
        }
    }

    /// Row-wise dot products of equal-shaped [n, e] matrices: [n, 1].
    public static func rowDot(_ a: Var, _ b: Var) -> Var {
        let (n, e) = (a.shape[0], a.shape[1]), av = a.value.scalars, bv = b.value.scalars
        let y = Tensor(shape: [n, 1]) { o in for r in 0..<n { var s: Float = 0; for k in 0..<e { s += av[r * e + k] * bv[r * e + k] }; o[r] = s } }
        return taped(y, a, b) { g in
            let gv = g.scalars
            if a.needsGrad { a.accumulate(Tensor(shape: [n, e]) { o in for r in 0..<n { for k in 0..<e { o[r * e + k] = gv[r] * bv[r * e + k] } } }) }
            if b.needsGrad { b.accumulate(Tensor(shape: [n, e]) { o in for r in 0..<n { for k in 0..<e { o[r * e + k] = gv[r] * av[r * e + k] } } }) }
        }
    }

    /// Mean over rows of cross-entropy with the target in column 0: mean_r (logsumexp(x_r) - x_r0).
    /// Returns the mean and the per-row values.
    public static func crossEntropyFirstColumn(_ logits: Var) -> (mean: Var, perRow: [Float]) {
        let (n, c) = (logits.shape[0], logits.shape[1]), v = logits.value.scalars
        var ce = [Float](repeating: 0, count: n), soft = [Float](repeating: 0, count: n * c)
        for r in 0..<n {
            let row = v[(r * c)..<((r + 1) * c)], m = row.max()!
            var s: Float = 0
            for k in 0..<c { soft[r * c + k] = expf(v[r * c + k] - m); s += soft[r * c + k] }
            for k in 0..<c { soft[r * c + k] /= s }
            ce[r] = m + logf(s) - v[r * c]
        }
        let mean = taped(Tensor(shape: [], values: [ce.reduce(0, +) / Float(n)]), logits) { g in
            let k = g[flat: 0] / Float(n)
            logits.accumulate(Tensor(shape: [n, c]) { o in
                for r in 0..<n { for j in 0..<c { o[r * c + j] = k * (soft[r * c + j] - (j == 0 ? 1 : 0)) } }
            })
        }
        return (mean, ce)
    }

}

#if canImport(Glibc)
import Glibc
#endif

extension Diff {
    /// x [.., k] times a constant matrix m [k, n].
    public static func matmul(_ x: Var, _ m: Tensor) -> Var {
        taped(x.value.matmul(m), x) { g in x.accumulate(g.matmul(m, transposeOther: true)) }
    }
}
