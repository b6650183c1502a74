import Checkpoints
import Tensors

/// The ArcFace IR-SE backbone (`model_irse.Backbone`, mode `ir_se`) in eval mode: the
/// attribute tree mirrors the checkpoint keys (`input_layer.0.weight`, `body.3.res_layer.5.fc1.
/// weight`, `body.3.shortcut_layer.1.running_var`, `output_layer.3.bias`).
public struct Backbone: Sendable {
    public let config: BackboneConfig
    public let inputConv: Tensor            // input_layer.0.weight [stem, 3, 3, 3]
    public let inputBN: BatchNormLayer      // input_layer.1
    public let inputPReLU: Tensor           // input_layer.2.weight [stem]
    public let body: [BottleneckIRSE]       // body.N
    public let outputBN: BatchNormLayer     // output_layer.0 (BatchNorm2d)
    public let linear: PackedMatrix         // output_layer.3.weight [E, C*side*side], packed at load
    public let linearBias: Tensor           // output_layer.3.bias [E]
    public let embeddingBN: BatchNormLayer  // output_layer.4 (BatchNorm1d)
    /// Floats per im2col tile (8 MB): small tiles stay in cache and are reused by the allocator
    /// instead of being mapped afresh per conv (see VGG.columnBudget).
    public var columnBudget = 1 << 21

    /// Loads `prefix` of a state dict (model_ir_se50.pth is a bare state dict: prefix "").
    /// `num_batches_tracked` counters are ignored; every missing key, wrong shape and unexpected
    /// key is reported at once. `stages` and `inputSize` fix the stage table where the weights
    /// cannot (see `BackboneConfig.infer`).
    public static func load(from dict: StateDict, prefix: String = "", source: String,
                            stages: [(units: Int, stride: Int)]? = nil, inputSize: Int = 112) throws -> Backbone {
        let r = WeightReader(dict, prefix: prefix, source: source)
        let config = try BackboneConfig.infer(r, stages: stages, inputSize: inputSize)
        r.ignore { $0.hasSuffix(".num_batches_tracked") }
        let b = Backbone(r, config: config)
        try r.finish()
        return b
    }

    init(_ r: WeightReader, config c: BackboneConfig) {
        config = c
        inputConv = r.tensor("input_layer.0.weight", [c.stem, c.imageChannels, 3, 3])
        inputBN = BatchNormLayer(r, "input_layer.1", channels: c.stem)
        inputPReLU = r.tensor("input_layer.2.weight", [c.stem])
        var side = c.inputSize
        body = c.units.enumerated().map { i, u in
            defer { side = (side - 1) / u.stride + 1 }
            return BottleneckIRSE(r, "body.\(i)", u, side: side)
        }
        outputBN = BatchNormLayer(r, "output_layer.0", channels: c.lastDepth)
        // packed: at batch 1 the product streams the weight once (51 MB at full size), where
        // OpenBLAS packed all of it again per sample
        linear = PackedMatrix(r.tensor("output_layer.3.weight", [c.embeddingDim, c.lastDepth * c.featureSize * c.featureSize]))
        linearBias = r.tensor("output_layer.3.bias", [c.embeddingDim])
        embeddingBN = BatchNormLayer(r, "output_layer.4", channels: c.embeddingDim)
    }

    /// Faces [N, 3, S, S] (S = `config.inputSize`, RGB in [-1, 1]) -> the raw output-layer
    /// embedding [N, E] (before the l2 norm). `hook` receives `input_layer`, `body.N` and `body`.
    public func embeddingRaw(_ x: Tensor, hook: ((String, Tensor) -> Void)? = nil) throws -> Tensor {
        try embeddingRaw(Var(x), hook: hook).value
    }

    /// `Backbone.forward`: the l2-normalised embedding [N, E].
    public func embedding(_ x: Tensor, hook: ((String, Tensor) -> Void)? = nil) throws -> Tensor {
        try embedding(Var(x), hook: hook).value
    }

    /// The network, its one definition: the weights are frozen constants with no gradient
    /// buffers; with a tape, gradients reach the faces.
    public func embeddingRaw(_ x: Var, hook: ((String, Tensor) -> Void)? = nil) throws -> Var {
        try checkInput(x.shape)
        var h = Conv2D(stride: 1, padding: 1, columnBudget: columnBudget).forward(x, frozenWeight: inputConv)
        h = PReLU.forward(inputBN(consume h), slope: inputPReLU)
        hook?("input_layer", h.value)
        for (i, unit) in body.enumerated() {
            h = unit(h, columnBudget: columnBudget)
            hook?("body.\(i)", h.value)
        }
        hook?("body", h.value)
        // output_layer: BatchNorm2d, Dropout (identity in eval), Flatten (channel-major), Linear, BatchNorm1d
        h = outputBN(consume h)
        let n = h.shape[0]
        let e = Linear.forward(Diff.reshape(h, [n, h.value.count / max(n, 1)]), packed: linear, bias: linearBias)
        return embeddingBN(e)
    }

    /// The unit embedding [N, E] on `Var`s (`Backbone.forward`).
    public func embedding(_ x: Var, hook: ((String, Tensor) -> Void)? = nil) throws -> Var {
        Diff.l2Normalize(try embeddingRaw(x, hook: hook), floor: 0)
    }

    func checkInput(_ shape: [Int]) throws {
        let c = config
        guard shape.count == 4, shape[1] == c.imageChannels, shape[2] == c.inputSize, shape[3] == c.inputSize else {
            throw ModelError.invalidInput("IR-SE input must be [N, \(c.imageChannels), \(c.inputSize), \(c.inputSize)], got \(Shape.text(shape))")
        }
    }
}
