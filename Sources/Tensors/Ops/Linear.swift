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
            x.withUnsafeBufferPointer { xp in
                weight.withUnsafeBufferPointer { wp in
                    BLAS.sgemm(transB: true, m: rows, n: outF, k: inF, alpha: scale, a: xp.baseAddress!, lda: inF,
                               b: wp.baseAddress!, ldb: inF, beta: bias == nil ? 0 : 1, c: y.baseAddress!, ldc: outF)
                }
            }
        }
        return out
    }
}
