import Checkpoints
import Tensors

extension BackboneConfig {
    /// Every state-dict entry of a backbone of this configuration with its shape, in module order
    /// (343 for IR-SE50, 397 with the `num_batches_tracked` counters).
    public func stateDictShapes(withCounters: Bool = false) -> [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        func bn(_ key: String, _ c: Int) {
            out += ["weight", "bias", "running_mean", "running_var"].map { ("\(key).\($0)", [c]) }
            if withCounters { out.append(("\(key).num_batches_tracked", [])) }
        }
        out.append(("input_layer.0.weight", [stem, imageChannels, 3, 3]))
        bn("input_layer.1", stem)
        out.append(("input_layer.2.weight", [stem]))
        for (i, u) in units.enumerated() {
            let k = "body.\(i)"
            if u.hasShortcutConv {
                out.append(("\(k).shortcut_layer.0.weight", [u.depth, u.inChannel, 1, 1]))
                bn("\(k).shortcut_layer.1", u.depth)
            }
            bn("\(k).res_layer.0", u.inChannel)
            out.append(("\(k).res_layer.1.weight", [u.depth, u.inChannel, 3, 3]))
            out.append(("\(k).res_layer.2.weight", [u.depth]))
            out.append(("\(k).res_layer.3.weight", [u.depth, u.depth, 3, 3]))
            bn("\(k).res_layer.4", u.depth)
            out.append(("\(k).res_layer.5.fc1.weight", [u.seChannels, u.depth, 1, 1]))
            out.append(("\(k).res_layer.5.fc2.weight", [u.depth, u.seChannels, 1, 1]))
        }
        bn("output_layer.0", lastDepth)
        out.append(("output_layer.3.weight", [embeddingDim, lastDepth * featureSize * featureSize]))
        out.append(("output_layer.3.bias", [embeddingDim]))
        bn("output_layer.4", embeddingDim)
        return out
    }

    /// Seeded random weights in this configuration (benchmarks, tests): conv and linear weights
    /// N(0, 2/fan_in), PReLU slopes 0.25, BatchNorm near identity (statistics and affine
    /// perturbed by 0.1 N(0,1), variances in [0.5, 1.5)).
    public func randomStateDict(seed: UInt64) -> StateDict {
        var dict = StateDict(source: "random IR-SE backbone (seed \(seed))")
        for (i, (name, shape)) in stateDictShapes().enumerated() {
            let count = shape.reduce(1, *)
            let g = SeededNoise.gaussian(count: count, seed: seed &+ UInt64(i) &* 7919)
            let values: [Float]
            if name.hasSuffix("running_var") {
                values = g.map { 1 + 0.5 * tanh($0) }
            } else if name.hasSuffix("running_mean") || name.hasSuffix("bias") {
                values = g.map { 0.1 * $0 }
            } else if shape.count == 1 && name.contains("_layer.2.") {
                values = Array(repeating: 0.25, count: count)           // PReLU
            } else if shape.count == 1 {
                values = g.map { 1 + 0.1 * $0 }                          // BatchNorm weight
            } else {
                let fanIn = Float(count / shape[0])
                values = g.map { $0 * (2 / fanIn).squareRoot() }
            }
            dict.insert(name, StoredTensor(Tensor(shape: shape, values: values)))
        }
        return dict
    }
}

#if canImport(Glibc)
import Glibc
#endif
