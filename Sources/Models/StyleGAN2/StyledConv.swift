import Tensors

/// `StyledConv` = ModulatedConv2d -> NoiseInjection -> FusedLeakyReLU, with demodulation, noise,
/// bias and activation fused into one pass over the conv output.
public struct StyledConv: Sendable {
    public let conv: ModulatedConv2D
    public let noiseWeight: Float        // noise.weight [1]
    public let activateBias: Tensor      // activate.bias [out]
    /// The checkpoint prefix (`convs.3`), so a run can bind the layer's tensors to parameters.
    public let key: String

    public init(_ r: WeightReader, _ prefix: String, in cin: Int, out cout: Int, styleDim: Int, upsample: Bool, blurKernel: Tensor?) {
        conv = ModulatedConv2D(r, "\(prefix).conv", in: cin, out: cout, kernel: 3, styleDim: styleDim,
                               upsample: upsample, blurKernel: blurKernel)
        noiseWeight = r.tensor("\(prefix).noise.weight", [1])[flat: 0]
        activateBias = r.tensor("\(prefix).activate.bias", [cout])
        key = prefix
    }

    /// The layer's tensors under their checkpoint names (the conv weight as [out, in, k, k]).
    public var namedParameters: [(String, Tensor)] {
        [("\(key).conv.weight", conv.weight), ("\(key).conv.modulation.weight", conv.modulation.weight),
         ("\(key).conv.modulation.bias", conv.modulation.bias!), ("\(key).noise.weight", Tensor(shape: [1], values: [noiseWeight])),
         ("\(key).activate.bias", activateBias)]
    }

    /// Plain inference of this layer and the `rgb` layer after it in one pass, where nothing else
    /// reads this layer's output (the generator's last): each channel's rows are summed into
    /// the image while they are in the cache and never written (at 1024², 128 MB neither written
    /// nor read back). The bytes of the two layers run one after the other. Nil where it does
    /// not apply: a tape, or a shape the fused convolution does not take.
    func intoRGB(_ x: Var, _ w: Var, noise: NoisePlane?, rgb: ToRGB, _ rgbW: Var, skip: Var) -> Var? {
        guard Tape.of(x, w, rgbW, skip) == nil, conv.convolvesIntoRGB(x.shape) else { return nil }
        let s = conv.modulation(w, nil)
        let tail = StyledTail(channels: conv.outChannels, demod: conv.demodulation(s.value), noise: noise?.values,
                              noiseWeight: noiseWeight, bias: activateBias, activate: true)
        let rgbStyles = rgb.conv.modulation(rgbW, nil).value
        let (n, h, wd) = (x.shape[0], x.shape[2], x.shape[3]), p = h * wd
        var out = Tensor(uninitialized: [n, 3, h, wd])
        let up = rgb.upsampledSkip(skip.value, shape: out.shape)
        out.withUnsafeMutableBufferPointer { op in
            conv.convolveIntoRGB(x.value, styles: s.value, tail: tail) { b, body in
                rgb.withProduct(styles: rgbStyles, sample: b, skip: up, out: op.baseAddress! + b * 3 * p, pixels: p, body)
            }
        }
        return Var(out)
    }

    /// x [B, in, H, W], w [B, style_dim] -> [B, out, H', W']. `convOutput` receives the
    /// ModulatedConv2d output (demodulated, before noise) when asked for, as a forward hook would.
    /// With a tape the backward reaches x, w and whichever of this layer's tensors `params` binds
    /// (holding the same values); without one nothing is kept and the epilogue runs in place.
    func callAsFunction(_ x: Var, _ w: Var, noise: NoisePlane?, params: Parameters? = nil,
                        convOutput: ((Tensor) -> Void)? = nil) -> Var {
        let s = conv.modulation(w, params)
        let d = conv.demodulation(s.value)
        let weight = params?["\(key).conv.weight"], nw = params?["\(key).noise.weight"], bias = params?["\(key).activate.bias"]
        let recording = Tape.of(x, s, weight, nw, bias) != nil
        if !recording && convOutput == nil {
            // nothing keeps the conv output: the convolution applies the tail as it writes
            let tail = StyledTail(channels: conv.outChannels, demod: d, noise: noise?.values, noiseWeight: noiseWeight,
                                  bias: activateBias, activate: true)
            return Var(conv.convolve(x.value, styles: s.value, tail: tail))
        }
        var y = conv.convolve(x.value, styles: s.value)
        if let hook = convOutput { hook(Epilogue.apply(y, demod: d, noise: nil, noiseWeight: 0, bias: nil, activate: false)) }
        guard recording else {
            Epilogue.applyInPlace(&y, demod: d, noise: noise, noiseWeight: noiseWeight, bias: activateBias, activate: true)
            return Var(y)
        }
        let raw = y
        Epilogue.applyInPlace(&y, demod: d, noise: noise, noiseWeight: noiseWeight, bias: activateBias, activate: true)
        let out = y, conv = self.conv
        return taped(out, x, s, weight, nw, bias) { dy in
            let e = Epilogue.backward(dy, output: out, raw: raw, demod: d, noise: nw?.needsGrad == true ? noise : nil,
                                      sums: bias?.needsGrad == true || nw?.needsGrad == true)
            var ds = conv.demodulationBackward(e.dd, styles: s.value, demod: d)
            let g = conv.convolveBackward(e.draw, x: x.value, styles: s.value, needWeight: weight?.needsGrad == true)
            if x.needsGrad { x.accumulate(g.dx) }
            Elementwise.addInPlace(&ds, g.ds)
            s.accumulate(ds)
            if let weight, var dW = g.dW {
                Elementwise.addInPlace(&dW, conv.demodulationWeightGradient(e.dd, styles: s.value, demod: d))
                weight.accumulate(dW)
            }
            if let bias, bias.needsGrad { bias.accumulate(e.channelSums(batch: x.shape[0])) }
            if let nw, nw.needsGrad { nw.accumulate(Tensor(shape: [1], values: [e.noiseSum])) }
        }
    }
}

/// The elementwise tail of a styled layer over [B, C, P]:
/// `y = act(x * d[b, c] + noiseWeight * noise[b or 0, p] + bias[c])`, act = sqrt(2) * lrelu(., 0.2).
enum Epilogue {
    static func apply(_ x: Tensor, demod: Tensor?, noise: NoisePlane?, noiseWeight: Float, bias: Tensor?, activate: Bool) -> Tensor {
        var y = x
        applyInPlace(&y, demod: demod, noise: noise, noiseWeight: noiseWeight, bias: bias, activate: activate)
        return y
    }

    static func applyInPlace(_ x: inout Tensor, demod: Tensor?, noise: NoisePlane?, noiseWeight: Float, bias: Tensor?, activate: Bool) {
        StyledTail(channels: x.shape[1], demod: demod, noise: noise?.values, noiseWeight: noiseWeight, bias: bias, activate: activate)
            .applyPlanes(&x)
    }
}

extension Epilogue {
    /// What the backward of a styled layer's tail gives: the gradient of the conv output before
    /// demodulation, of the demodulation factors, and (when asked) per-plane sums of
    /// dv = d(pre-activation) for the bias and of dv * noise for the noise strength.
    struct Gradients {
        var draw: Tensor
        var dd: Tensor
        var planeSums: [Float]
        var noiseSum: Float

        /// Σ_b planeSums[b, c]: the bias gradient [C].
        func channelSums(batch b: Int) -> Tensor {
            let c = planeSums.count / max(b, 1)
            var out = [Float](repeating: 0, count: c)
            for bi in 0..<b { for ch in 0..<c { out[ch] += planeSums[bi * c + ch] } }
            return Tensor(shape: [c], values: out)
        }
    }

    /// From the activated output y and the conv output before demodulation:
    /// dv = dy * gain * (y >= 0 ? 1 : slope); draw = dv * d[b, c]; dd[b, c] = Σ_p dv * raw.
    static func backward(_ dy: Tensor, output y: Tensor, raw: Tensor, demod d: Tensor, noise: NoisePlane?, sums: Bool) -> Gradients {
        let (b, c) = (y.shape[0], y.shape[1]), p = y.count / max(b * c, 1)
        var draw = Tensor(uninitialized: y.shape)
        var dd = [Float](repeating: 0, count: b * c)
        var planeSums = [Float](repeating: 0, count: sums ? b * c : 0)
        var noiseSums = [Float](repeating: 0, count: noise == nil ? 0 : b * c)
        let dv = d.scalars, slope = FusedLeakyReLU.slope, gain = FusedLeakyReLU.gain
        let perSample = noise?.perSample ?? false
        let noiseValues = noise?.values ?? Tensor(shape: [0], values: [])
        dy.withUnsafeBufferPointer { gp in
            y.withUnsafeBufferPointer { yp in
                raw.withUnsafeBufferPointer { rp in
                    draw.withUnsafeMutableBufferPointer { op in
                        dd.withUnsafeMutableBufferPointer { ddp in
                            planeSums.withUnsafeMutableBufferPointer { psp in
                                noiseSums.withUnsafeMutableBufferPointer { nsp in
                                    noiseValues.withUnsafeBufferPointer { nvp in
                                        let (g, yy, r, o, dq) = (ReadPointer(gp.baseAddress!),
                                                                 ReadPointer(yp.baseAddress!),
                                                                 ReadPointer(rp.baseAddress!),
                                                                 SendablePointer(op.baseAddress!), SendablePointer(ddp.baseAddress!))
                                        // the sums' buffers are empty unless asked for: gate on the flags, not the pointers
                                        let ps = sums ? SendablePointer(psp.baseAddress!) : nil
                                        let ns = noise == nil ? nil : SendablePointer(nsp.baseAddress!)
                                        let nv = noise == nil ? nil : ReadPointer(nvp.baseAddress!)
                                        Parallel.for(b * c, costPerItem: 4 * p) { range in
                                            for bc in range {
                                                let (gr, yr, rr, orow) = (g.p + bc * p, yy.p + bc * p, r.p + bc * p, o.p + bc * p)
                                                var acc: Float = 0
                                                if ps == nil && ns == nil {
                                                    for i in 0..<p {
                                                        let v = gr[i] * gain * (yr[i] >= 0 ? 1 : slope)
                                                        acc += v * rr[i]
                                                        orow[i] = v * dv[bc]
                                                    }
                                                } else {
                                                    let nrow = nv.map { $0.p + (perSample ? (bc / c) * p : 0) }
                                                    var vsum: Float = 0, nsum: Float = 0
                                                    for i in 0..<p {
                                                        let v = gr[i] * gain * (yr[i] >= 0 ? 1 : slope)
                                                        acc += v * rr[i]
                                                        orow[i] = v * dv[bc]
                                                        vsum += v
                                                        if let nrow { nsum += v * nrow[i] }
                                                    }
                                                    ps?.p[bc] = vsum
                                                    ns?.p[bc] = nsum
                                                }
                                                dq.p[bc] = acc
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Gradients(draw: draw, dd: Tensor(shape: [b, c], values: dd), planeSums: planeSums,
                         noiseSum: noiseSums.reduce(0, +))
    }
}
