import Checkpoints
import Tensors

extension VGG {
    /// Seeded random weights for the convs of `depth` with the given widths (benchmarks,
    /// tests): N(0, 2/fan_in) weights, 0.1 N(0,1) biases, under the key names of `layout`.
    public static func randomStateDict(depth: VGGDepth = .vgg19, widths: [Int]? = nil, layout: VGGKeyLayout = .torchvision,
                                       seed: UInt64) -> StateDict {
        let table = VGGLayers.table(depth), widths = widths ?? VGGLayers.releasedWidths(depth)
        precondition(widths.count == table.count, "\(depth.name) has \(table.count) convs")
        var dict = StateDict(source: "random \(depth.name) (seed \(seed))")
        var cin = 3
        for (i, l) in table.enumerated() {
            let shape = [widths[i], cin, 3, 3], fanIn = Float(cin * 9)
            let w = SeededNoise.gaussian(count: shape.reduce(1, *), seed: seed &+ UInt64(2 * i) &* 7919)
            let b = SeededNoise.gaussian(count: widths[i], seed: seed &+ UInt64(2 * i + 1) &* 7919)
            dict.insert("\(layout.key(l)).weight", StoredTensor(Tensor(shape: shape, values: w.map { $0 * (2 / fanIn).squareRoot() })))
            dict.insert("\(layout.key(l)).bias", StoredTensor(Tensor(shape: [widths[i]], values: b.map { $0 * 0.1 })))
            cin = widths[i]
        }
        return dict
    }
}
