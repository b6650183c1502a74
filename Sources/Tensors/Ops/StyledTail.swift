/// The elementwise tail of a StyleGAN2 styled layer over its conv output [B, C, P]:
/// `y = act(x · demod[b, c] + noiseWeight · noise[b or 0, p] + bias[c])`, act = sqrt(2) ·
/// leaky_relu(·, 0.2) when `activate`. One definition: the styled layer's own pass over whole
/// planes, and the convolutions that apply it to each output row while it is still in the
/// cache (`WinogradBlocks`, the blur after the upsamplers), compute the same expression, so
/// fusing it changes no byte.
public struct StyledTail: @unchecked Sendable {
    /// The tensors it reads (kept alive here, so the pointers below stay valid: a tensor's
    /// storage never moves, and a writer to another copy copies first).
    let tensors: [Tensor]
    let demod: UnsafePointer<Float>?       // [B * C]
    let bias: UnsafePointer<Float>?        // [C]
    let noise: UnsafePointer<Float>?       // [1 or B, P]
    let noiseStride: Int                   // P per sample, 0 for one shared plane
    let noisePixels: Int
    public let noiseWeight: Float
    public let activate: Bool
    public let channels: Int

    public init(channels: Int, demod: Tensor?, noise: Tensor?, noiseWeight: Float, bias: Tensor?, activate: Bool) {
        self.channels = channels
        tensors = [demod, noise, bias].compactMap { $0 }
        self.demod = demod.map { UnsafePointer($0.storage.pointer) }
        self.bias = bias.map { UnsafePointer($0.storage.pointer) }
        self.noise = noise.map { UnsafePointer($0.storage.pointer) }
        let planes = max(noise?.shape.first ?? 1, 1)
        noisePixels = (noise?.count ?? 0) / planes
        noiseStride = planes > 1 ? noisePixels : 0
        self.noiseWeight = noiseWeight; self.activate = activate
    }

    /// Pixels p0 ..< p0 + count of plane bc (sample bc / channels, channel bc % channels), in place.
    @inline(__always)
    public func apply(_ row: UnsafeMutablePointer<Float>, count: Int, plane bc: Int, pixel p0: Int) {
        let d = demod?[bc] ?? 1, b = bias?[bc % channels] ?? 0
        let slope = FusedLeakyReLU.slope, gain = FusedLeakyReLU.gain, activate = activate, noiseWeight = noiseWeight
        if let noise {
            let nrow = noise + (bc / channels) * noiseStride + p0
            for i in 0..<count {
                let v = row[i] * d + noiseWeight * nrow[i] + b
                row[i] = activate ? (v >= 0 ? v : v * slope) * gain : v
            }
        } else {
            for i in 0..<count {
                let v = row[i] * d + b
                row[i] = activate ? (v >= 0 ? v : v * slope) * gain : v
            }
        }
    }

    /// Every plane of x [B, C, ...], in place, split across the cores.
    public func applyPlanes(_ x: inout Tensor) {
        let (b, c) = (x.shape[0], x.shape[1]), p = x.count / max(b * c, 1)
        precondition(c == channels, "StyledTail: \(c) channels for \(channels)")
        if noise != nil { precondition(noisePixels == p, "noise plane of \(noisePixels) pixels for \(p)") }
        x.withUnsafeMutableBufferPointer { buf in
            let base = SendablePointer(buf.baseAddress!)
            Parallel.for(b * c, costPerItem: p * 4) { range in
                for bc in range { apply(base.p + bc * p, count: p, plane: bc, pixel: 0) }
            }
        }
    }
}
