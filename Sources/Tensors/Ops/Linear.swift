/// `y = x W^T * scale + b * biasScale` over the last axis: x [.., in], W [out, in], b [out].
/// The scales carry StyleGAN2's equalised learning rate (EqualLinear) without copying W.
public enum Linear {
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor?, scale: Float = 1, biasScale: Float = 1) -> Tensor {
        let inF = weight.shape[1], outF = weight.shape[0]
        precondition(x.shape.last == inF, "linear: input \(x.shape) for weight \(weight.shape)")
        let rows = x.count / max(inF, 1)
        var out = Tensor(uninitialized: Array(x.shape.dropLast()) + [outF])
        out.withUnsafeMutableBufferPointer { y in
            if let b = bias {
                precondition(b.count == outF, "linear: bias \(b.shape) for weight \(weight.shape)")
                b.withUnsafeBufferPointer { bp in
                    for r in 0..<rows { for o in 0..<outF { y[r * outF + o] = bp[o] * biasScale } }
                }
            }
            // one GEMM per sample (leading axis): a sample's output must not depend on the batch
            // it came in, and OpenBLAS computes a row differently by its place in the call
            let samples = x.rank >= 2 ? max(1, x.shape[0]) : 1, per = rows / samples
            x.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    for s in 0..<samples where per > 0 {
                        BLAS.sgemm(transB: true, m: per, n: outF, k: inF, alpha: scale, a: xp.baseAddress! + s * per * inF, lda: inF,
                                   b: wp.baseAddress!, ldb: inF, beta: bias == nil ? 0 : 1, c: y.baseAddress! + s * per * outF, ldc: outF)
                    }
                }
            }
        }
        return out
    }
}

extension Linear {
    /// Gradients of `forward`: dx = scale * dy W, dW = scale * dy^T x, db = biasScale * sum_rows dy.
    public static func backward(_ dy: Tensor, x: Tensor, weight: Tensor, scale: Float = 1, biasScale: Float = 1,
                                needX: Bool = true, needWeight: Bool = true, needBias: Bool = true) -> (dx: Tensor?, dW: Tensor?, db: Tensor?) {
        let inF = weight.shape[1], outF = weight.shape[0], rows = x.count / max(inF, 1)
        var dx: Tensor? = nil, dW: Tensor? = nil, db: Tensor? = nil
        dy.withUnsafeBufferPointer { g in
            if needX {
                var t = Tensor(uninitialized: x.shape)
                weight.withUnsafeBufferPointer { w in
                    t.withUnsafeMutableBufferPointer { o in
                        BLAS.sgemm(m: rows, n: inF, k: outF, alpha: scale, a: g.baseAddress!, lda: outF, b: w.baseAddress!, ldb: inF,
                                   c: o.baseAddress!, ldc: inF)
                    }
                }
                dx = t
            }
            if needWeight {
                var t = Tensor(uninitialized: weight.shape)
                x.withUnsafeBufferPointer { xp in
                    t.withUnsafeMutableBufferPointer { o in
                        BLAS.sgemm(transA: true, m: outF, n: inF, k: rows, alpha: scale, a: g.baseAddress!, lda: outF,
                                   b: xp.baseAddress!, ldb: inF, c: o.baseAddress!, ldc: inF)
                    }
                }
                dW = t
            }
            if needBias {
                var s = [Float](repeating: 0, count: outF)
                for r in 0..<rows { for o in 0..<outF { s[o] += g[r * outF + o] } }
                db = Tensor(shape: [outF], values: s.map { $0 * biasScale })
            }
        }
        return (dx, dW, db)
    }

    /// Differentiable `forward`; the weight and bias may be parameters or constants.
    public static func forward(_ x: Var, weight: Var, bias: Var?, scale: Float = 1, biasScale: Float = 1) -> Var {
        let y = forward(x.value, weight: weight.value, bias: bias?.value, scale: scale, biasScale: biasScale)
        return taped(y, x, weight, bias) { dy in
            let g = backward(dy, x: x.value, weight: weight.value, scale: scale, biasScale: biasScale,
                             needX: x.needsGrad, needWeight: weight.needsGrad, needBias: bias?.needsGrad ?? false)
            if let d = g.dx { x.accumulate(d) }
            if let d = g.dW { weight.accumulate(d) }
            if let d = g.db, let bias { bias.accumulate(d) }
        }
    }
}

extension Linear {
    /// `forward` with a frozen weight packed at load: every row in one product, each row's
    /// result the same as alone (see PackedMatrix).
    public static func forward(_ x: Tensor, packed: PackedMatrix, bias: Tensor?, activation: PackedMatrix.Activation = .none) -> Tensor {
        precondition(x.shape.last == packed.inFeatures && (bias?.count ?? packed.outFeatures) == packed.outFeatures,
                     "linear: input \(x.shape) for a packed weight [\(packed.outFeatures), \(packed.inFeatures)]")
        let rows = x.count / max(packed.inFeatures, 1)
        var out = Tensor(uninitialized: Array(x.shape.dropLast()) + [packed.outFeatures])
        if rows == 0 || packed.outFeatures == 0 { return out }
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
            if let bias {
                bias.withUnsafeBufferPointer { bp in
                    packed.multiply(xp.baseAddress!, rows: rows, bias: bp.baseAddress!, activation: activation, into: op.baseAddress!)
                }
            } else {
                packed.multiply(xp.baseAddress!, rows: rows, bias: nil, activation: activation, into: op.baseAddress!)
            }
        } }
        return out
    }

    /// Differentiable in x only (a frozen layer): dx = dy W, from the packed panels.
    public static func forward(_ x: Var, packed: PackedMatrix, bias: Tensor?) -> Var {
        taped(forward(x.value, packed: packed, bias: bias), x) { dy in x.accumulate(packed.inputGradient(dy)) }
    }
}
