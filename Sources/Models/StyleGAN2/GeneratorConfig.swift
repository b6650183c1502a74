/// The generator's architecture, read from the checkpoint's tensor shapes, so FFHQ 1024,
/// AFHQ 512 and reduced test models load with no flags.
public struct GeneratorConfig: Sendable, Equatable {
    public var size: Int
    public var styleDim: Int
    public var nMLP: Int
    public var lrMLP: Float = 0.01
    /// Channels per resolution: channels[j] for 4 * 2^j.
    public var channels: [Int]

    public var logSize: Int { channels.count + 1 }
    public var numLayers: Int { (logSize - 2) * 2 + 1 }
    /// Rows of a W+ code: 18 at 1024, 16 at 512.
    public var nLatent: Int { logSize * 2 - 2 }
    /// Noise resolution of layer i: 2^((i + 5) / 2).
    public func noiseSize(_ layer: Int) -> Int { 1 << ((layer + 5) / 2) }

    public init(size: Int, styleDim: Int, nMLP: Int, channels: [Int], lrMLP: Float = 0.01) {
        self.size = size; self.styleDim = styleDim; self.nMLP = nMLP; self.channels = channels; self.lrMLP = lrMLP
    }

    /// Config-f (channel multiplier 2), as the released FFHQ 1024 and AFHQ 512 generators.
    public static func configF(size: Int, styleDim: Int = 512, nMLP: Int = 8) -> GeneratorConfig {
        let table: [Int: Int] = [4: 512, 8: 512, 16: 512, 32: 512, 64: 512, 128: 256, 256: 128, 512: 64, 1024: 32]
        var ch: [Int] = []
        var r = 4
        while r <= size { ch.append(table[r] ?? 32); r *= 2 }
        return GeneratorConfig(size: size, styleDim: styleDim, nMLP: nMLP, channels: ch)
    }

    /// Derives the configuration from `style.N.weight`, `input.input`, `convs.N.conv.weight` and
    /// `to_rgbs.N`; nil when the keys do not look like a rosinality generator.
    public static func infer(_ r: WeightReader) -> GeneratorConfig? {
        guard let inputShape = r.shape("input.input"), inputShape.count == 4,
              let styleShape = r.shape("style.1.weight"), styleShape.count == 2 else { return nil }
        var nMLP = 0
        while r.contains("style.\(nMLP + 1).weight") { nMLP += 1 }
        var ch = [inputShape[1]]
        var j = 0
        while let s = r.shape("convs.\(2 * j).conv.weight"), s.count == 5 { ch.append(s[1]); j += 1 }
        return GeneratorConfig(size: 4 << j, styleDim: styleShape[1], nMLP: nMLP, channels: ch)
    }
}
