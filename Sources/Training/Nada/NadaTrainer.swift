import Editing
import Models
import Tensors

/// StyleGAN-NADA (rinongal/StyleGAN-nada, `ZSSGAN` for StyleGAN2 and the loop of `train.py`):
/// a trainable twin of a frozen generator moves, layer by chosen layer, so that the CLIP
/// direction from each frozen render to its trainable twin follows the text direction from
/// `source_class` to `target_class`.
public struct NadaTrainer: Sendable {
    public let settings: NadaSettings
    public let frozen: Generator
    public private(set) var trainable: TrainableGenerator
    /// One loss per CLIP model, summed with their weights.
    public let losses: [NadaCLIPLoss]
    public private(set) var adam: Adam
    /// Iterations done.
    public private(set) var iteration = 0

    public init(settings: NadaSettings, generator: TrainableGenerator, losses: [NadaCLIPLoss]) throws {
        let problems = settings.problems(nLatent: generator.generator.config.nLatent)
        guard problems.isEmpty else { throw ModelError.invalidInput(problems.joined(separator: "; ")) }
        guard !losses.isEmpty else { throw ModelError.invalidInput("StyleGAN-NADA needs at least one CLIP model") }
        self.settings = settings
        frozen = generator.generator
        trainable = generator
        self.losses = losses
        let (b1, b2) = settings.adamBetas
        adam = Adam(lr: settings.adamLearningRate, beta1: b1, beta2: b2)
    }

    /// What one iteration did (`images` before its update; gradients in checkpoint shapes).
    public struct Iteration: Sendable {
        public var index: Int
        /// Indices into `NadaLayers.selectable` chosen by the selection (nil without one).
        public var chosen: [Int]?
        public var layers: [String]
        public var loss: Float
        public var frozenImage: Tensor
        public var trainableImage: Tensor
        public var gradients: [(String, Tensor)]
    }

    /// Continues a run: the trainable twin as saved, Adam's state and the iterations done.
    public mutating func restore(generator: TrainableGenerator, adamState: [String: Tensor], iteration: Int) throws {
        trainable = generator
        try adam.restore(adamState, step: iteration)
        self.iteration = iteration
    }

    /// The layers trained this iteration, by selection or by phase.
    public func layers(chosen: [Int]?) -> [String] {
        let c = frozen.config
        guard let chosen else { return NadaLayers.phase(settings.phase, c) }
        let all = NadaLayers.selectable(c)
        return chosen.map { all[$0] }
    }

    /// One training iteration: the selection (when on), the two renders, the loss over the CLIP
    /// models, its gradient for the chosen layers and one Adam step of those layers.
    /// `progress` hears the phase it is in (`select`, `render`, `backward`).
    public mutating func step(_ d: NadaDraws, progress: ((String) -> Void)? = nil) throws -> Iteration {
        var chosen: [Int]? = nil
        if settings.autoLayerIters > 0 {
            progress?("select")
            // the shared baseline never renders: its draws are made (the stream stays the
            // reference's) but not needed
            guard let autoZ = d.autoZ, settings.selectionBaseline == .shared || d.autoNoise.count >= settings.autoLayerIters else {
                throw ModelError.invalidInput("StyleGAN-NADA: the layer selection needs auto_z and one noise list per SGD step")
            }
            chosen = try selectLayers(autoZ: autoZ, noise: d.autoNoise)
        }
        let layers = layers(chosen: chosen)
        let names = Set(layers.flatMap(NadaLayers.parameters))
        progress?("render")
        let w = d.z.map { frozen.mapping($0) }
        func latent(_ inject: Int?) -> Tensor {
            guard w.count > 1, let i = inject else { return frozen.broadcast(w[0]) }
            return frozen.mix(w[0], w[1], injectIndex: i)
        }
        let frozenImage = try frozen.synthesize(latent(d.injectIndex?.frozen), noise: .explicit(d.frozenNoise))
        let g = trainable.generator
        let tape = Tape()
        let params = Parameters(g.namedParameters.filter { names.contains($0.0) }, tape: tape)
        let image = try g.synthesize(Var(latent(d.injectIndex?.trainable)), noise: .explicit(d.trainableNoise), params: params)
        let terms = losses.map { l in
            (l.weight, l.directionalLoss(sourceFeatures: l.imageFeatures(Var(frozenImage)).value, target: image))
        }
        let loss = Diff.weightedSum(terms)
        progress?("backward")
        tape.backward(loss)
        // parameters no gradient reached keep their value and moments, as with torch's None grads
        let grads = params.names.compactMap { n in params[n]?.grad.map { (n, $0.reshaped(trainable.value(n)!.shape)) } }
        var values = grads.map { ($0.0, trainable.value($0.0)!) }
        adam.update(&values, grads: grads)
        try trainable.update(values)
        iteration += 1
        return Iteration(index: iteration - 1, chosen: chosen, layers: layers, loss: loss.value[flat: 0],
                         frozenImage: frozenImage, trainableImage: image.value, gradients: grads)
    }

    /// `determine_opt_layers`: W codes of `autoZ` from the frozen mapping, repeated over the
    /// W+ rows, take `auto_layer_iters` SGD steps (lr 0.01) on the weighted global CLIP loss
    /// of the trainable twin's renders; the rows that moved most (mean |Δw| over the style
    /// dimension, then over the batch) are the top-k.
    public func selectLayers(autoZ: Tensor, noise: [[Tensor]]) throws -> [Int] {
        let c = trainable.generator.config
        let k = settings.autoLayerK ?? c.nLatent
        // the moved codes are the baseline: every weight is 0, the renders change nothing
        if settings.selectionBaseline == .shared { return TorchTopK.indices([Double](repeating: 0, count: c.nLatent), k: k) }
        return TorchTopK.indices(try selectionWeights(autoZ: autoZ, noise: noise), k: k)
    }

    /// The selection's layer weights `|w - w0|.mean(-1).mean(0)` [n_latent], with w0 a copy (the
    /// `separate` baseline). The batch runs in chunks of `selectionChunk`: each row's gradient
    /// depends only on its own sample, and each chunk's mean carries its share of the batch.
    public func selectionWeights(autoZ: Tensor, noise: [[Tensor]]) throws -> [Double] {
        let g = trainable.generator
        let a = autoZ.shape[0]
        let w0 = frozen.broadcast(frozen.mapping(autoZ))
        var w = w0
        for it in 0..<settings.autoLayerIters {
            var grad = Tensor(zeros: w.shape)
            for start in stride(from: 0, to: a, by: settings.selectionChunk) {
                let r = start..<min(a, start + settings.selectionChunk)
                let tape = Tape()
                let wv = tape.parameter(w.slice(axis: 0, r))
                let image = try g.synthesize(wv, noise: .explicit(noise[it].map { $0.slice(axis: 0, r) }))
                let share = Float(r.count) / Float(a)
                tape.backward(Diff.weightedSum(losses.map { ($0.weight * share, $0.globalLoss(image)) }))
                if let gw = wv.grad { grad.setSlice(axis: 0, r, gw) }
            }
            w.withUnsafeMutableBufferPointer { p in grad.withUnsafeBufferPointer { gp in for i in 0..<p.count { p[i] += -0.01 * gp[i] } } }
        }
        return Self.layerWeights(moved: w, from: w0)
    }

    /// `|w - w0|.mean(-1).mean(0)`: how far each W+ row moved, averaged over the style
    /// dimension and the batch (in double).
    public static func layerWeights(moved w: Tensor, from w0: Tensor) -> [Double] {
        let (a, l, d) = (w.shape[0], w.shape[1], w.shape[2])
        let wv = w.scalars, w0v = w0.scalars
        var weights = [Double](repeating: 0, count: l)
        for r in 0..<l {
            var total: Double = 0
            for b in 0..<a {
                var s: Double = 0
                for j in 0..<d { let i = (b * l + r) * d + j; s += Double(abs(wv[i] - w0v[i])) }
                total += s / Double(d)
            }
            weights[r] = total / Double(a)
        }
        return weights
    }
}
