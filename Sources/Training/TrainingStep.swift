import Editing
import Models
import Tensors

/// Which CLIP loss drives the edit: CF-CLIP's contrastive loss, StyleGAN-NADA's directional
/// loss, or StyleCLIP's global loss (the baselines).
public enum CLIPLossKind: String, Codable, Sendable, CaseIterable { case nce, directional, global }

/// Loss weights in the coach's order of accumulation: id, perceptual, latent L2, CLIP term.
public struct LossWeights: Codable, Sendable, Equatable {
    // Decodable with defaults: see TrainingConfig.swift
    public var id: Float = 0.2
    public var perceptual: Float = 0
    public var latentL2: Float = 0.8
    public var clip: Float = 0.3

    public init(id: Float = 0.2, perceptual: Float = 0, latentL2: Float = 0.8, clip: Float = 0.3) {
        self.id = id; self.perceptual = perceptual; self.latentL2 = latentL2; self.clip = clip
    }
}

/// The frozen networks and constant text features of a training run.
public struct TrainingModels: Sendable {
    public var generator: Generator
    public var clip: CLIPModel
    /// Raw CLIP embedding of the description (the text mapper's input), [E].
    public var textEmbedding: Tensor
    /// Normalised template embeddings [79, E] of the source word and of the description.
    public var sourceText: Tensor
    public var targetText: Tensor
    public var idLoss: IDLoss?
    public var perceptual: PerceptualLoss?

    public init(generator: Generator, clip: CLIPModel, textEmbedding: Tensor, sourceText: Tensor, targetText: Tensor,
                idLoss: IDLoss? = nil, perceptual: PerceptualLoss? = nil) {
        self.generator = generator; self.clip = clip; self.textEmbedding = textEmbedding
        self.sourceText = sourceText; self.targetText = targetText; self.idLoss = idLoss; self.perceptual = perceptual
    }
}

/// One forward and backward pass of the CF-CLIP coach (`calc_loss` + `backward`).
public struct TrainingStep: Sendable {
    public var kind: CLIPLossKind = .nce
    public var weights = LossWeights()

    public init(kind: CLIPLossKind = .nce, weights: LossWeights = LossWeights()) { self.kind = kind; self.weights = weights }

    public struct Result {
        public var loss: Float
        public var parts: [(String, Float)]
        public var gradients: [(String, Tensor)]
        public var x: Tensor, xHat: Tensor
        /// Gradients of the intermediate tensors, for checks against the reference.
        public var gradXHat: Tensor?, gradWHat: Tensor?, gradTW: Tensor?
    }

    /// `warps`: per augmented view, the sampling coefficients of one perspective warp applied to
    /// the whole batch (empty = the identity view, as the fixtures' nce_l2 variant).
    public func run(mapper: MapperCheckpoint, w: Tensor, models m: TrainingModels, warps: [[Float]] = []) throws -> Result {
        let res = m.clip.visual.inputResolution
        let encoder = CLIPImageEncoder(model: m.clip)
        let prof = Profiler("training step")
        defer { prof.report() }
        let x = try prof.measure("render x") { try m.generator.synthesize(w) }
        let tape = Tape()
        let params = mapper.parameters(on: tape)
        let (wHat, tW) = try mapper.edit(Var(w), textEmbedding: Var(m.textEmbedding), params: params)
        let xHat = try prof.measure("render x_hat (taped)") { try m.generator.synthesize(wHat) }
        // kept after the backward for the reference checks (the tape frees other intermediates' gradients)
        xHat.retainGrad(); wHat.retainGrad(); tW?.retainGrad()
        func features(_ images: Var) -> Var {
            Diff.l2Normalize(m.clip.encodeImage(CLIPPreprocess.fromGenerator(images, resolution: res)))
        }
        var terms: [(Float, Var)] = [], parts: [(String, Float)] = []
        if weights.id > 0, let id = m.idLoss {
            let v = try prof.measure("identity loss") { try id.loss(xHat, x) }
            terms.append((weights.id, v)); parts.append(("loss_id", v.value[flat: 0]))
        }
        if weights.perceptual > 0, let p = m.perceptual {
            let v = try prof.measure("perceptual loss") { try p.featureMatching(xHat, x) }
            terms.append((weights.perceptual, v)); parts.append(("loss_perc", v.value[flat: 0]))
        }
        if weights.latentL2 > 0 {
            let v = Diff.meanSquaredError(wHat, Var(w))
            terms.append((weights.latentL2, v)); parts.append(("loss_l2_latent", v.value[flat: 0]))
        }
        let clipTerm: Var
        switch kind {
        case .nce:
            // source renders repeated once per view, edited renders warped per view
            let views = prof.measure("perspective views") {
                warps.isEmpty ? [xHat] : warps.map { Perspective.warp(xHat, coefficients: $0, fill: [0]) }
            }
            // the source renders are not warped: encode each once, then repeat per view
            let src = prof.measure("CLIP source features") { Tensor.concatenate(Array(repeating: encoder.features(x), count: views.count)) }
            let edited = prof.measure("CLIP edited features (taped)") { features(Diff.concatenate(views)) }
            clipTerm = CLIPNCELoss().loss(sourceImage: Var(src), editedImage: edited, sourceText: m.sourceText, targetText: m.targetText)
            parts.append(("loss_nce", clipTerm.value[flat: 0]))
        case .directional:
            clipTerm = DirectionalCLIPLoss().loss(sourceImage: Var(encoder.features(x)), editedImage: features(xHat),
                                                  sourceText: m.sourceText, targetText: m.targetText)
            parts.append(("loss_directional", clipTerm.value[flat: 0]))
        case .global:
            clipTerm = GlobalCLIPLoss().loss(imageFeatures: m.clip.encodeImage(CLIPPreprocess.styleCLIP(xHat, resolution: res)), textFeatures: m.textEmbedding.reshaped([1, m.textEmbedding.count]),
                                             logitScale: m.clip.logitScale)
            parts.append(("loss_clip", clipTerm.value[flat: 0]))
        }
        terms.append((weights.clip, clipTerm))
        let loss = Diff.weightedSum(terms)
        prof.measure("backward") { tape.backward(loss) }
        return Result(loss: loss.value[flat: 0], parts: parts, gradients: params.gradients, x: x, xHat: xHat.value,
                      gradXHat: xHat.grad, gradWHat: wHat.grad, gradTW: tW?.grad)
    }
}
