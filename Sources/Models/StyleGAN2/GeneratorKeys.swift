import Checkpoints
import Tensors

extension GeneratorConfig {
    /// Every state-dict entry of a rosinality generator of this configuration with its shape,
    /// in module order (171 entries for FFHQ 1024, 153 for AFHQ 512).
    public var stateDictShapes: [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        for i in 1...nMLP { out += [("style.\(i).weight", [styleDim, styleDim]), ("style.\(i).bias", [styleDim])] }
        func styled(_ p: String, _ cin: Int, _ cout: Int, up: Bool) {
            out.append(("\(p).conv.weight", [1, cout, cin, 3, 3]))
            if up { out.append(("\(p).conv.blur.kernel", [4, 4])) }
            out += [("\(p).conv.modulation.weight", [cin, styleDim]), ("\(p).conv.modulation.bias", [cin]),
                    ("\(p).noise.weight", [1]), ("\(p).activate.bias", [cout])]
        }
        func rgb(_ p: String, _ cin: Int, up: Bool) {
            out.append(("\(p).bias", [1, 3, 1, 1]))
            if up { out.append(("\(p).upsample.kernel", [4, 4])) }
            out += [("\(p).conv.weight", [1, 3, cin, 1, 1]), ("\(p).conv.modulation.weight", [cin, styleDim]),
                    ("\(p).conv.modulation.bias", [cin])]
        }
        out.append(("input.input", [1, channels[0], 4, 4]))
        styled("conv1", channels[0], channels[0], up: false)
        rgb("to_rgb1", channels[0], up: false)
        for j in 0..<(channels.count - 1) {
            styled("convs.\(2 * j)", channels[j], channels[j + 1], up: true)
            styled("convs.\(2 * j + 1)", channels[j + 1], channels[j + 1], up: false)
        }
        for j in 0..<(channels.count - 1) { rgb("to_rgbs.\(j)", channels[j + 1], up: true) }
        for i in 0..<numLayers { out.append(("noises.noise_\(i)", [1, 1, noiseSize(i), noiseSize(i)])) }
        return out
    }

    /// A state dict of seeded random weights in this configuration (benchmarks, demo models):
    /// N(0,1) weights, modulation biases 1, small other biases, the [1,3,3,1] kernels.
    public func randomStateDict(seed: UInt64, prefix: String = "") -> StateDict {
        var dict = StateDict(source: "random generator (seed \(seed))")
        let kernel = Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4)
        for (i, (name, shape)) in stateDictShapes.enumerated() {
            let t: Tensor
            if name.hasSuffix("kernel") {
                t = kernel
            } else if name.hasSuffix("modulation.bias") {
                t = Tensor(repeating: 1, shape: shape)
            } else {
                let g = SeededNoise.gaussian(count: shape.reduce(1, *), seed: seed &+ UInt64(i) &* 7919)
                let s: Float = name.hasSuffix("bias") || name.hasSuffix("noise.weight") ? 0.1 : 1
                t = Tensor(shape: shape, values: g.map { $0 * s })
            }
            dict.insert(prefix + name, StoredTensor(t))
        }
        return dict
    }
}
