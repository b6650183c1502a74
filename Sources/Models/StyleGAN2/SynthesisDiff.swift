import Tensors

/// The synthesis network on `Var`s: the same kernels as inference, and each styled layer's
/// backward (epilogue, demodulation, modulated conv, modulation) recorded beside it.
extension Epilogue {
    /// From the activated output y and the conv output before demodulation:
    /// dv = dy * gain * (y >= 0 ? 1 : slope); draw = dv * d[b, c]; dd[b, c] = Σ_p dv * raw.
    static func backward(_ dy: Tensor, output y: Tensor, raw: Tensor, demod d: Tensor) -> (draw: Tensor, dd: Tensor) {
        let (b, c) = (y.shape[0], y.shape[1]), p = y.count / max(b * c, 1)
        var draw = Tensor(uninitialized: y.shape)
        var dd = [Float](repeating: 0, count: b * c)
        let dv = d.scalars, slope = FusedLeakyReLU.slope, gain = FusedLeakyReLU.gain
        dy.withUnsafeBufferPointer { gp in
            y.withUnsafeBufferPointer { yp in
                raw.withUnsafeBufferPointer { rp in
                    draw.withUnsafeMutableBufferPointer { op in
                        dd.withUnsafeMutableBufferPointer { ddp in
                            let (g, yy, r, o, dq) = (ReadPointer(gp.baseAddress!),
                                                     ReadPointer(yp.baseAddress!),
                                                     ReadPointer(rp.baseAddress!),
                                                     SendablePointer(op.baseAddress!), SendablePointer(ddp.baseAddress!))
                            Parallel.for(b * c, costPerItem: 4 * p) { range in
                                for bc in range {
                                    var acc: Float = 0
                                    for i in (bc * p)..<((bc + 1) * p) {
                                        let v = g.p[i] * gain * (yy.p[i] >= 0 ? 1 : slope)
                                        acc += v * r.p[i]
                                        o.p[i] = v * dv[bc]
                                    }
                                    dq.p[bc] = acc
                                }
                            }
                        }
                    }
                }
            }
        }
        return (draw, Tensor(shape: [b, c], values: dd))
    }
}

extension StyledConv {
    func callAsFunction(_ x: Var, _ w: Var, noise: NoisePlane?, convOutput: ((Tensor) -> Void)? = nil) -> Var {
        let s = conv.modulation(w)
        let raw = conv.convolve(x.value, styles: s.value)
        let d = conv.demodulation(s.value)
        if let hook = convOutput { hook(Epilogue.apply(raw, demod: d, noise: nil, noiseWeight: 0, bias: nil, activate: false)) }
        var y = raw
        Epilogue.applyInPlace(&y, demod: d, noise: noise, noiseWeight: noiseWeight, bias: activateBias, activate: true)
        let conv = self.conv
        return taped(y, x, s) { dy in
            let (draw, dd) = Epilogue.backward(dy, output: y, raw: raw, demod: d)
            var ds = conv.demodulationBackward(dd, styles: s.value, demod: d)
            let (dx, ds2) = conv.convolveBackward(draw, x: x.value, styles: s.value)
            if x.needsGrad { x.accumulate(dx) }
            ds.withUnsafeMutableBufferPointer { a in ds2.withUnsafeBufferPointer { b in for i in 0..<a.count { a[i] += b[i] } } }
            s.accumulate(ds)
        }
    }
}

extension ToRGB {
    func callAsFunction(_ x: Var, _ w: Var, skip: Var?) -> Var {
        let s = conv.modulation(w)
        let out = self(x.value, s: s.value, skip: skip?.value)
        let conv = self.conv, up = upsample
        return taped(out, x, s, skip) { dy in
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
            if let skip, skip.needsGrad {
                if let up {
                    skip.accumulate(up.adjoint(dy, inputHeight: skip.shape[2], inputWidth: skip.shape[3]))
                } else {
                    skip.accumulate(dy)
                }
            }
        }
    }
}

extension Generator {
    /// Differentiable synthesis from W+ codes [N, n_latent, D]: gradients flow to `wplus` (the
    /// generator's own weights are frozen and hold no gradient buffers).
    public func synthesize(_ wplus: Var, noise: NoiseMode = .buffers) throws -> Var {
        let c = config
        guard wplus.shape.count == 3, wplus.shape[1] >= c.nLatent, wplus.shape[2] == c.styleDim else {
            throw ModelError.invalidInput("W+ codes must be [N, \(c.nLatent), \(c.styleDim)], got \(Shape.text(wplus.shape))")
        }
        let n = wplus.shape[0]
        let planes = try noisePlanes(noise, batch: n)
        let rows = (0..<c.nLatent).map { r in Diff.reshape(RowsOp.rows(wplus, r..<(r + 1)), [n, c.styleDim]) }
        var x = Var(Tensor(shape: [n] + Array(input.shape.dropFirst())) { out in
            let src = input.scalars
            for i in 0..<out.count { out[i] = src[i % src.count] }
        })
        x = conv1(x, rows[0], noise: planes[0])
        var skip = toRGB1(x, rows[1], skip: nil)
        for j in 0..<toRGBs.count {
            let i = 1 + 2 * j
            x = convs[2 * j](x, rows[i], noise: planes[i])
            x = convs[2 * j + 1](x, rows[i + 1], noise: planes[i + 1])
            skip = toRGBs[j](x, rows[i + 2], skip: skip)
        }
        return skip
    }
}
