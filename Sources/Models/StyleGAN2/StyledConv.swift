import Tensors

/// `StyledConv` = ModulatedConv2d -> NoiseInjection -> FusedLeakyReLU, with demodulation, noise,
/// bias and activation fused into one pass over the conv output.
public struct StyledConv: Sendable {
    public let conv: ModulatedConv2D
    public let noiseWeight: Float        // noise.weight [1]
    public let activateBias: Tensor      // activate.bias [out]

    public init(_ r: WeightReader, _ prefix: String, in cin: Int, out cout: Int, styleDim: Int, upsample: Bool, blurKernel: Tensor?) {
        conv = ModulatedConv2D(r, "\(prefix).conv", in: cin, out: cout, kernel: 3, styleDim: styleDim,
                               upsample: upsample, blurKernel: blurKernel)
        noiseWeight = r.tensor("\(prefix).noise.weight", [1])[flat: 0]
        activateBias = r.tensor("\(prefix).activate.bias", [cout])
    }

    /// x [B, in, H, W], w [B, style_dim] -> [B, out, H', W']. `convOutput` receives the
    /// ModulatedConv2d output (demodulated, before noise) when asked for, as a forward hook would.
    func callAsFunction(_ x: Tensor, _ w: Tensor, noise: NoisePlane?, convOutput: ((Tensor) -> Void)? = nil) -> Tensor {
        let s = conv.styles(w)
        var y = conv.convolve(x, styles: s)
        let d = conv.demodulation(s)
        if let hook = convOutput { hook(Epilogue.apply(y, demod: d, noise: nil, noiseWeight: 0, bias: nil, activate: false)) }
        Epilogue.applyInPlace(&y, demod: d, noise: noise, noiseWeight: noiseWeight, bias: activateBias, activate: true)
        return y
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
        let (b, c) = (x.shape[0], x.shape[1])
        let p = x.count / max(b * c, 1)
        if let n = noise { precondition(n.values.shape[1] == p, "noise plane of \(n.values.shape[1]) pixels for \(p)") }
        let dv = demod?.scalars, bv = bias?.scalars
        let slope = FusedLeakyReLU.slope, gain = FusedLeakyReLU.gain
        let perSample = noise?.perSample ?? false
        // the noise pointer lives only inside its buffer's scope (no pointer escapes a closure)
        let noiseValues = noise?.values ?? Tensor(shape: [0], values: [])
        noiseValues.withUnsafeBufferPointer { nbuf in
            let noisePtr = noise == nil ? nil : nbuf.baseAddress.map { ReadPointer($0) }
            x.withUnsafeMutableBufferPointer { buf in
                let base = SendablePointer(buf.baseAddress!)
                Parallel.for(b * c, costPerItem: p * 4) { range in
                    for bc in range {
                        let bi = bc / c, ch = bc % c
                        let row = base.p + bc * p
                        let d = dv?[bc] ?? 1, bias = bv?[ch] ?? 0
                        if let np = noisePtr {
                            let nrow = np.p + (perSample ? bi * p : 0)
                            for i in 0..<p {
                                let v = row[i] * d + noiseWeight * nrow[i] + bias
                                row[i] = activate ? (v >= 0 ? v : v * slope) * gain : v
                            }
                        } else {
                            for i in 0..<p {
                                let v = row[i] * d + bias
                                row[i] = activate ? (v >= 0 ? v : v * slope) * gain : v
                            }
                        }
                    }
                }
            }
        }
    }
}
