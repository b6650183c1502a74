import Tensors

/// `ToRGB`: a 1x1 modulated conv to 3 channels without demodulation, plus bias, plus the
/// upsampled skip image of the previous resolution.
public struct ToRGB: Sendable {
    public let conv: ModulatedConv2D
    public let bias: Tensor             // bias [1, 3, 1, 1]
    public let upsample: Upfirdn2D?     // for the skip: up 2, kernel*4, pad (2, 1)
    /// The checkpoint prefix (`to_rgbs.2`).
    public let key: String

    public init(_ r: WeightReader, _ prefix: String, in cin: Int, styleDim: Int, upsampleKernel: Tensor?) {
        conv = ModulatedConv2D(r, "\(prefix).conv", in: cin, out: 3, kernel: 1, styleDim: styleDim,
                               upsample: false, blurKernel: nil)
        bias = r.tensor("\(prefix).bias", [1, 3, 1, 1]).reshaped([3])
        upsample = upsampleKernel.map { k in
            let p = k.shape[0] - 2
            return Upfirdn2D(kernel: k, up: 2, pad: ((p + 1) / 2 + 1, p / 2))
        }
        key = prefix
    }

    /// The layer's tensors under their checkpoint names (the conv weight as [3, in, 1, 1], the bias as [3]).
    public var namedParameters: [(String, Tensor)] {
        [("\(key).conv.weight", conv.weight), ("\(key).conv.modulation.weight", conv.modulation.weight),
         ("\(key).conv.modulation.bias", conv.modulation.bias!), ("\(key).bias", bias)]
    }

    /// x [B, in, H, W] -> [B, 3, H, W] plus the upsampled `skip`. The 3 x in weight is modulated
    /// per sample (tiny) and the GEMM reads x in place. With a tape the backward reaches x, w,
    /// skip and whichever of this layer's tensors `params` binds.
    func callAsFunction(_ x: Var, _ w: Var, skip: Var?, params: Parameters? = nil) -> Var {
        let s = conv.modulation(w, params)
        let out = forward(x.value, styles: s.value, skip: skip?.value)
        let weight = params?["\(key).conv.weight"], bias = params?["\(key).bias"]
        let conv = self.conv, up = upsample
        return taped(out, x, s, skip, weight, bias) { dy in
            // G = scale * W^T dy per sample ([in, 3] x [3, P]); dx = G ⊙ s, ds = Σ_p G ⊙ x
            let (b, cin) = (x.shape[0], x.shape[1]), p = x.value.count / max(b * cin, 1)
            var g = Tensor(uninitialized: x.shape)
            conv.weight.withUnsafeBufferPointer { wp in
                dy.withUnsafeBufferPointer { gp in
                    g.withUnsafeMutableBufferPointer { op in
                        for bi in 0..<b {
                            BLAS.sgemm(transA: true, m: cin, n: p, k: 3, alpha: conv.scale, a: wp.baseAddress!, lda: cin,
                                       b: gp.baseAddress! + bi * 3 * p, ldb: p, c: op.baseAddress! + bi * cin * p, ldc: p)
                        }
                    }
                }
            }
            let sv = s.value.scalars
            var ds = [Float](repeating: 0, count: b * cin)
            x.value.withUnsafeBufferPointer { xp in
                g.withUnsafeMutableBufferPointer { gp in
                    ds.withUnsafeMutableBufferPointer { dp in
                        let (xs, gs, d) = (ReadPointer(xp.baseAddress!),
                                           SendablePointer(gp.baseAddress!), SendablePointer(dp.baseAddress!))
                        Parallel.for(b * cin, costPerItem: 2 * p) { planes in
                            for bc in planes {
                                var acc: Float = 0
                                for i in (bc * p)..<((bc + 1) * p) { acc += gs.p[i] * xs.p[i]; gs.p[i] *= sv[bc] }
                                d.p[bc] = acc
                            }
                        }
                    }
                }
            }
            if x.needsGrad { x.accumulate(g) }
            s.accumulate(Tensor(shape: [b, cin], values: ds))
            if let weight, weight.needsGrad {
                // dW[o, i] = scale Σ_b s_b[i] Σ_p dy_b[o, p] x_b[i, p]
                let direct = Conv2D()
                weight.accumulate(ModulatedConv2D.sumOverSamples(b, shape: conv.weight.shape) { bi, acc in
                    let m = direct.weightGradient(dy, x: x.value, sample: bi, kernel: (1, 1), scale: conv.scale).scalars
                    for o in 0..<3 { for i in 0..<cin { acc[o * cin + i] += sv[bi * cin + i] * m[o * cin + i] } }
                })
            }
            if let bias, bias.needsGrad {
                var db = [Float](repeating: 0, count: 3)
                dy.withUnsafeBufferPointer { gp in for bi in 0..<b { for o in 0..<3 { for i in 0..<p { db[o] += gp[(bi * 3 + o) * p + i] } } } }
                bias.accumulate(Tensor(shape: [3], values: db))
            }
            if let skip, skip.needsGrad {
                if let up {
                    skip.accumulate(up.adjoint(dy, inputHeight: skip.shape[2], inputWidth: skip.shape[3]))
                } else {
                    skip.accumulate(dy)
                }
            }
        }
    }

    /// The forward from per-sample styles s [B, in].
    func forward(_ x: Tensor, styles s: Tensor, skip: Tensor?) -> Tensor {
        let (b, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let p = h * wd
        var out = Tensor(uninitialized: [b, 3, h, wd])
        if RGBProduct.applies(k: cin, pixels: p) {
            let up = upsampledSkip(skip, shape: out.shape)
            x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
                for bi in 0..<b {
                    withProduct(styles: s, sample: bi, skip: up, out: op.baseAddress! + bi * 3 * p, pixels: p) { $0.run(xp.baseAddress! + bi * cin * p) }
                }
            } }
            return out
        }
        x.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { op in
                for bi in 0..<b {
                    modulatedWeight(styles: s, sample: bi).withUnsafeBufferPointer { wp in
                        BLAS.sgemm(m: 3, n: p, k: cin, alpha: conv.scale, a: wp.baseAddress!, lda: cin,
                                   b: xp.baseAddress! + bi * cin * p, ldb: p, c: op.baseAddress! + bi * 3 * p, ldc: p)
                    }
                }
            }
        }
        // the bias and the upsampled skip in one pass over the planes, the cores splitting them
        // (at 1024² two single-threaded passes took most of this layer's 18 ms)
        let up = upsampledSkip(skip, shape: out.shape) ?? Tensor(shape: [0], values: [])
        let bv = bias.scalars, hasSkip = skip != nil
        up.withUnsafeBufferPointer { u in out.withUnsafeMutableBufferPointer { o in
            let us = u.baseAddress.map { ReadPointer($0) }, os = SendablePointer(o.baseAddress!)
            Parallel.for(b * 3, costPerItem: 2 * p) { planes in
                for plane in planes {
                    let row = os.p + plane * p, add = bv[plane % 3]
                    if hasSkip, let us {
                        let from = us.p + plane * p
                        for i in 0..<p { row[i] = (row[i] + add) + from[i] }
                    } else {
                        for i in 0..<p { row[i] += add }
                    }
                }
            }
        } }
        return out
    }

    /// The previous resolution's image brought to this one (nil without one).
    func upsampledSkip(_ skip: Tensor?, shape: [Int]) -> Tensor? {
        guard let skip else { return nil }
        let up = upsample.map { $0(skip) } ?? skip
        precondition(up.shape == shape, "ToRGB skip \(up.shape) for \(shape)")
        return up
    }

    /// Sample `bi`'s [3, in] weight, each input channel scaled by its style (no demodulation).
    func modulatedWeight(styles s: Tensor, sample bi: Int) -> [Float] {
        let cin = conv.inChannels
        return conv.weight.withUnsafeBufferPointer { wv in s.withUnsafeBufferPointer { sv in
            (0..<(3 * cin)).map { j in wv[j] * sv[bi * cin + j % cin] }
        } }
    }

    /// Sample `bi`'s product (its modulated [3, in] weight, the bias, its skip image) writing
    /// [3, pixels] to `out`, for the duration of `body`.
    func withProduct<R>(styles s: Tensor, sample bi: Int, skip up: Tensor?, out: UnsafeMutablePointer<Float>, pixels p: Int,
                        _ body: (RGBProduct) -> R) -> R {
        let cin = conv.inChannels
        return modulatedWeight(styles: s, sample: bi).withUnsafeBufferPointer { wp in bias.withUnsafeBufferPointer { bp in
            (up ?? Tensor(shape: [0], values: [])).withUnsafeBufferPointer { sp in
                body(RGBProduct(weight: wp.baseAddress!, k: cin, alpha: conv.scale, bias: bp.baseAddress!,
                                skip: up == nil ? nil : sp.baseAddress! + bi * 3 * p, out: out, pixels: p))
            }
        } }
    }
}
