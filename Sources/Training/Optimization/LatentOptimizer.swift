import Editing
import Models
import Tensors

/// The frozen networks of a latent optimisation: the generator that renders, the CLIP model
/// that guides (with the raw text embedding of the description), and the models of the
/// optional identity and perceptual terms.
public struct OptimizationModels: Sendable {
    public var generator: Generator
    public var clip: CLIPModel
    /// Raw CLIP text embedding [1, E] of the description (`encode_text(tokenize(text))`).
    public var textFeatures: Tensor
    public var idLoss: IDLoss?
    /// VGG16 (idinvert layout) for TediGAN's perceptual term.
    public var vgg: VGG?
    /// The noise of every render (the references: the stored buffers).
    public var noise: NoiseMode = .buffers

    public init(generator: Generator, clip: CLIPModel, textFeatures: Tensor, idLoss: IDLoss? = nil, vgg: VGG? = nil,
                noise: NoiseMode = .buffers) {
        self.generator = generator; self.clip = clip; self.textFeatures = textFeatures
        self.idLoss = idLoss; self.vgg = vgg; self.noise = noise
    }
}

/// One Adam step as the references see it: the loss terms before the update, the gradient
/// Adam is given, the lr of the step and the latent after the update.
public struct OptimizationStep {
    public var index: Int
    public var lr: Double
    public var loss: Float
    public var terms: [(name: String, value: Float)]
    public var gradient: Tensor
    public var latent: Tensor
}

/// Per-image latent optimisation (`OptimizationSettings` says which reference). One sample at
/// a time, so its result never depends on the batch it came in.
public struct LatentOptimizer: Sendable {
    public var settings: OptimizationSettings
    public var models: OptimizationModels

    public init(settings: OptimizationSettings, models: OptimizationModels) throws {
        self.settings = settings; self.models = models
        if settings.weights.identity != 0 && models.idLoss == nil {
            throw ModelError.invalidInput("latent optimisation: the identity term needs an ArcFace model")
        }
        if settings.weights.perceptual != 0 && models.vgg == nil {
            throw ModelError.invalidInput("latent optimisation: the perceptual term needs a VGG16 model")
        }
        if let vgg = models.vgg, VGGLayers.layer(named: Self.perceptualLayer, in: vgg.convs.map(\.layer)) == nil {
            throw ModelError.invalidInput("latent optimisation: the perceptual network has no \(Self.perceptualLayer)")
        }
    }

    /// TediGAN's feature layer (idinvert `output_layer_idx` 23: the ReLU after conv4_3).
    public static let perceptualLayer = "relu4_3"

    public struct Result {
        /// The latent of the last render [1, L, D] (before the last update, as both scripts
        /// return `img_gen` / `x_rec` of their last iteration) and that render [1, 3, H, W].
        public var latent: Tensor
        public var image: Tensor
        /// The source render the terms compare against [1, 3, H, W].
        public var sourceImage: Tensor
        /// The total loss of every step (before its update).
        public var losses: [Float]
    }

    /// The start latent [1, L, D] for `source` [1, L, D] under `settings.start`.
    public func startLatent(source: Tensor) throws -> Tensor {
        let g = models.generator
        switch settings.start {
        case .source: return source
        case .latentAvg:
            guard let avg = g.latentAvgW else {
                throw ModelError.invalidInput("latent optimisation starts at latent_avg, but the generator has none (use start: mean)")
            }
            return g.broadcast(avg.reshaped([1, g.config.styleDim]))
        case .mean:
            return g.broadcast(g.meanLatent(seed: settings.startSeed).reshaped([1, g.config.styleDim]))
        }
    }

    /// Optimises one sample: `source` [1, L, D] is w0 (the latent terms' anchor, and the latent
    /// of the source render the image terms compare against); `start` overrides
    /// `startLatent(source:)`. `record` sees every step, `progress` each finished step.
    public func run(source: Tensor, start: Tensor? = nil, record: ((OptimizationStep) -> Void)? = nil,
                    progress: ((Int) -> Void)? = nil) throws -> Result {
        let g = models.generator
        guard source.shape == [1, g.config.nLatent, g.config.styleDim] else {
            throw ModelError.invalidInput("latent optimisation expects one W+ code [1, \(g.config.nLatent), \(g.config.styleDim)], got \(Shape.text(source.shape))")
        }
        var w = try start ?? startLatent(source: source)
        guard w.shape == source.shape else {
            throw ModelError.invalidInput("latent optimisation: start \(Shape.text(w.shape)) differs from the source \(Shape.text(source.shape))")
        }
        let x0 = try g.synthesize(source, noise: models.noise)
        let terms = settings.terms
        let features0 = try terms.contains { $0.name == "perceptual" } ? perceptualFeatures(Var(x0)).value : nil
        var adam = Adam(lr: 0)
        var losses: [Float] = [], lastLatent = w, lastImage = x0
        for i in 0..<settings.steps {
            let lr = settings.learningRate(step: i)
            let tape = Tape()
            let wv = tape.parameter(w)
            let image = try g.synthesize(wv, noise: models.noise)
            var parts: [(Float, Var)] = [], values: [(name: String, value: Float)] = []
            for (name, weight) in terms {
                let v = try term(name, image: image, w: wv, source: source, x0: x0, features0: features0)
                parts.append((weight, v)); values.append((name, v.value[flat: 0]))
            }
            let loss = Diff.weightedSum(parts)
            tape.backward(loss)
            let grad = wv.grad ?? Tensor(zeros: w.shape)
            lastLatent = w; lastImage = image.value
            adam.lr = Float(lr)
            var params = [("latent", w)]
            adam.update(&params, grads: [("latent", grad)])
            w = params[0].1
            losses.append(loss.value[flat: 0])
            record?(OptimizationStep(index: i, lr: lr, loss: loss.value[flat: 0], terms: values, gradient: grad, latent: w))
            progress?(i + 1)
        }
        return Result(latent: lastLatent, image: lastImage, sourceImage: x0, losses: losses)
    }

    func term(_ name: String, image: Var, w: Var, source: Tensor, x0: Tensor, features0: Tensor?) throws -> Var {
        switch name {
        case "clip":
            let features = models.clip.encodeImage(CLIPPreprocess.styleCLIP(image, resolution: models.clip.visual.inputResolution))
            return GlobalCLIPLoss().loss(imageFeatures: features, textFeatures: models.textFeatures, logitScale: models.clip.logitScale)
        case "latent_l2_sum":
            return Diff.affine(Diff.meanSquaredError(w, Var(source)), scale: Float(source.count))
        case "latent_mse":
            return Diff.meanSquaredError(w, Var(source))
        case "identity":
            return try models.idLoss!.loss(image, x0)
        case "pixel_mse":
            return Diff.meanSquaredError(image, Var(x0))
        case "perceptual":
            return Diff.meanSquaredError(try perceptualFeatures(image), Var(features0!))
        default:
            preconditionFailure("unknown optimisation term \(name)")
        }
    }

    /// idinvert's `VGG16.forward` up to relu4_3 on Keras-preprocessed images.
    func perceptualFeatures(_ x: Var) throws -> Var {
        try models.vgg!.features(VGGPreprocess.keras(x), [Self.perceptualLayer])[Self.perceptualLayer]!
    }
}
