import Checkpoints
import Tensors

/// The IR-SE backbone's stage table, as the reference `get_blocks` writes it: per stage the
/// input width, the depth, the unit count and the first unit's stride (later units: depth ->
/// depth, stride 1). Read from the checkpoint's tensor shapes so IR-SE50 and reduced test
/// models load with no flags.
public struct BackboneConfig: Sendable, Equatable {
    public struct Stage: Sendable, Equatable {
        public var inChannel: Int
        public var depth: Int
        public var numUnits: Int
        public var stride: Int
        public init(inChannel: Int, depth: Int, numUnits: Int, stride: Int = 2) {
            self.inChannel = inChannel; self.depth = depth; self.numUnits = numUnits; self.stride = stride
        }
    }

    /// One `bottleneck_IR_SE` unit (`body.N`).
    public struct Unit: Sendable, Equatable {
        public var inChannel: Int
        public var depth: Int
        public var stride: Int
        /// SE bottleneck width (`depth // 16` in the reference).
        public var seChannels: Int
        /// MaxPool(1, stride) shortcut when the width is kept, else Conv1x1 + BN.
        public var hasShortcutConv: Bool { inChannel != depth }
    }

    public var imageChannels = 3
    /// `input_layer.0`: 3 -> stem channels.
    public var stem: Int
    public var stages: [Stage]
    /// SE width of each unit in body order.
    public var seChannels: [Int]
    /// Side of the last feature map (7 for a 112 input): output_layer.3 reads depth * side².
    public var featureSize: Int
    public var embeddingDim: Int

    public var units: [Unit] {
        var out: [Unit] = []
        for s in stages {
            for u in 0..<s.numUnits {
                out.append(Unit(inChannel: u == 0 ? s.inChannel : s.depth, depth: s.depth, stride: u == 0 ? s.stride : 1,
                                seChannels: seChannels[out.count]))
            }
        }
        return out
    }
    public var lastDepth: Int { stages.last?.depth ?? stem }
    /// Input side the output layer expects (112 for the released model).
    public var inputSize: Int { stages.reduce(featureSize) { $0 * $1.stride } }

    public init(stem: Int, stages: [Stage], seChannels: [Int]? = nil, featureSize: Int, embeddingDim: Int) {
        self.stem = stem; self.stages = stages; self.featureSize = featureSize; self.embeddingDim = embeddingDim
        var se: [Int] = []
        for s in stages { se += Array(repeating: max(s.depth / 16, 1), count: s.numUnits) }
        self.seChannels = seChannels ?? se
    }

    /// `get_blocks(num_layers)` of the reference for 50, 100 and 152 layers (unit counts per
    /// stage; widths 64 -> 64, 128, 256, 512).
    public static let referenceUnitCounts: [Int: [Int]] = [50: [3, 4, 14, 3], 100: [3, 13, 30, 3], 152: [3, 8, 36, 3]]

    /// `Backbone(112, num_layers, mode='ir_se')`: IR-SE50 is 24 units, 512-d.
    public static func irse(numLayers: Int = 50) -> BackboneConfig {
        let counts = referenceUnitCounts[numLayers] ?? [3, 4, 14, 3]
        let widths = [64, 64, 128, 256, 512]
        let stages = (0..<4).map { Stage(inChannel: widths[$0], depth: widths[$0 + 1], numUnits: counts[$0]) }
        return BackboneConfig(stem: 64, stages: stages, featureSize: 7, embeddingDim: 512)
    }

    /// Derives the configuration from `input_layer.0.weight`, `body.N.res_layer.{1,5.fc1}.weight`
    /// and `output_layer.3.weight`. Stage boundaries are the units that change width, plus unit 0;
    /// a stage that keeps its width (MaxPool shortcut) leaves no trace in the weights, so then the
    /// boundaries come from `stages` (unit count and first stride per stage, e.g. a fixture's
    /// config.json), else from the reference tables for 50/100/152 layers.
    /// `inputSize` (IDLoss feeds 112) fixes how many stride-2 stages there are.
    public static func infer(_ r: WeightReader, stages hint: [(units: Int, stride: Int)]? = nil,
                             inputSize: Int = 112) throws -> BackboneConfig {
        func fail(_ why: String) -> CheckpointError { .mismatch(source: r.source, problems: [why]) }
        guard let stemShape = r.shape("input_layer.0.weight"), stemShape.count == 4 else {
            throw fail("no IR-SE backbone here: missing 'input_layer.0.weight' (a [C, 3, 3, 3] conv)")
        }
        var depths: [Int] = [], se: [Int] = []
        while let s = r.shape("body.\(depths.count).res_layer.1.weight"), s.count == 4 {
            se.append(r.shape("body.\(depths.count).res_layer.5.fc1.weight")?.first ?? max(s[0] / 16, 1))
            depths.append(s[0])
        }
        guard !depths.isEmpty else { throw fail("no IR-SE units: missing 'body.0.res_layer.1.weight'") }
        guard let out = r.shape("output_layer.3.weight"), out.count == 2 else {
            throw fail("missing 'output_layer.3.weight' (the [embedding, C*side*side] linear layer)")
        }
        let plane = out[1] / depths.last!
        var side = 1
        while side * side < plane { side += 1 }
        guard plane * depths.last! == out[1], side * side == plane else {
            throw fail("'output_layer.3.weight' has \(out[1]) inputs, not \(depths.last!) channels times a square feature map")
        }
        // Units that change width must start a stage.
        let n = depths.count
        let ins = [stemShape[0]] + depths.dropLast()
        let forced = [0] + (1..<n).filter { ins[$0] != depths[$0] }

        var counts: [Int], strides: [Int]
        if let hint {
            counts = hint.map(\.units); strides = hint.map(\.stride)
            let starts = counts.indices.map { counts[..<$0].reduce(0, +) }
            guard counts.reduce(0, +) == n, Set(forced).isSubset(of: starts) else {
                throw fail("stage unit counts \(counts) do not fit the \(n) units of body.* (units \(forced) change width)")
            }
        } else {
            var expected = 0, s = side
            while s < inputSize { s *= 2; expected += 1 }
            guard s == inputSize else {
                throw fail("a \(side)x\(side) final feature map is not \(inputSize) halved a whole number of times")
            }
            if forced.count == expected {
                counts = forced.indices.map { ($0 + 1 < forced.count ? forced[$0 + 1] : n) - forced[$0] }
            } else if let table = referenceUnitCounts.values.first(where: { t in
                t.count == expected && t.reduce(0, +) == n
                    && Set(forced).isSubset(of: t.indices.map { t[..<$0].reduce(0, +) })
            }) {
                counts = table
            } else {
                throw fail("cannot tell which of the \(n) units of body.* downsample: units \(forced) change width, "
                    + "\(expected) stride-2 stages are needed; give the unit count per stage (config.json 'stages')")
            }
            strides = Array(repeating: 2, count: counts.count)
        }
        var stages: [Stage] = [], u = 0
        for (c, s) in zip(counts, strides) {
            stages.append(Stage(inChannel: ins[u], depth: depths[u], numUnits: c, stride: s))
            u += c
        }
        return BackboneConfig(stem: stemShape[0], stages: stages, seChannels: se, featureSize: side, embeddingDim: out[0])
    }
}
