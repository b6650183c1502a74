import Tensors

/// `ToRGB`: a 1x1 modulated conv to 3 channels without demodulation, plus bias, plus the
/// upsampled skip image of the previous resolution.
public struct ToRGB: Sendable {
    public let conv: ModulatedConv2D
    public let bias: Tensor             // bias [1, 3, 1, 1]
    public let upsample: Upfirdn2D?     // for the skip: up 2, kernel*4, pad (2, 1)

    public init(_ r: WeightReader, _ prefix: String, in cin: Int, styleDim: Int, upsampleKernel: Tensor?) {
        conv = ModulatedConv2D(r, "\(prefix).conv", in: cin, out: 3, kernel: 1, styleDim: styleDim,
                               upsample: false, blurKernel: nil)
        bias = r.tensor("\(prefix).bias", [1, 3, 1, 1]).reshaped([3])
        upsample = upsampleKernel.map { k in
            let p = k.shape[0] - 2
            return Upfirdn2D(kernel: k, up: 2, pad: ((p + 1) / 2 + 1, p / 2))
        }
    }

    /// x [B, in, H, W] -> [B, 3, H, W]. The 3 x in weight is modulated per sample (tiny) and the
    /// GEMM reads x in place.
    func callAsFunction(_ x: Tensor, _ w: Tensor, skip: Tensor?) -> Tensor {
        self(x, s: conv.styles(w), skip: skip)
    }

    /// The layer from its per-sample styles s [B, in].
    func callAsFunction(_ x: Tensor, s: Tensor, skip: Tensor?) -> Tensor {
        let (b, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let p = h * wd
        var out = Tensor(uninitialized: [b, 3, h, wd])
        let wv = conv.weight.scalars, sv = s.scalars
        var wmod = [Float](repeating: 0, count: 3 * cin)
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                for bi in 0..<b {
                    for o in 0..<3 { for i in 0..<cin { wmod[o * cin + i] = wv[o * cin + i] * sv[bi * cin + i] } }
                    wmod.withUnsafeBufferPointer { wp in
                        BLAS.sgemm(m: 3, n: p, k: cin, alpha: conv.scale, a: wp.baseAddress!, lda: cin,
                                   b: xp.baseAddress! + bi * cin * p, ldb: p, c: op.baseAddress! + bi * 3 * p, ldc: p)
                    }
                }
            }
        }
        addChannelBias(&out, bias)
        if let skip {
            let up = upsample.map { $0(skip) } ?? skip
            precondition(up.shape == out.shape, "ToRGB skip \(up.shape) for \(out.shape)")
            out.withUnsafeMutableBufferPointer { o in
                up.withUnsafeBufferPointer { u in for i in 0..<o.count { o[i] += u[i] } }
            }
        }
        return out
    }
}
