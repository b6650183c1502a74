import Foundation

/// The options of StyleGAN-NADA's `train.py` that this trainer follows. The defaults are its
/// README example (the one the CF-CLIP paper compares with): batch 2, lr 0.002, 301
/// iterations, adaptive layer selection of 18 layers from a batch of 8 after one SGD step,
/// mixing 0, ViT-B/32 and ViT-B/16 at weight 1 each (the models are given as files).
public struct NadaSettings: Sendable, Equatable {
    public var sourceClass = "photo"
    public var targetClass = "sketch"
    public var iterations = 301
    public var batch = 2
    public var lr = 0.002
    /// `g_reg_every`: Adam runs at lr * r and betas (0^r, 0.99^r), r = g/(g+1).
    public var gRegEvery = 4
    /// Layers trained per iteration (top-k of the selection); nil trains them all.
    public var autoLayerK: Int? = 18
    /// SGD steps on w of the selection; 0 turns the selection off (the phase's layers train).
    public var autoLayerIters = 1
    public var autoLayerBatch = 8
    /// Samples of the selection rendered at once (the w gradients are per sample, so any split
    /// gives the same result; smaller chunks hold less memory).
    public var selectionChunk = 2
    public var phase: NadaPhase? = nil
    /// Whether the selection's starting codes are a copy of the ones it moves (see
    /// `SelectionBaseline`).
    public var selectionBaseline = SelectionBaseline.separate
    /// Probability of style mixing for a training batch.
    public var mixing = 0.0
    /// Seed of every draw (z, mixing, noise); iteration i draws from its own stream, so a
    /// resumed run draws what an uninterrupted one would.
    public var seed: UInt64 = 2
    /// Sample grids every `outputInterval` iterations (0: none), `nSample` fixed codes,
    /// truncation `sampleTruncation` towards a seeded mean latent.
    public var outputInterval = 50
    public var nSample = 4
    public var sampleTruncation: Float = 0.7
    /// Checkpoints every `saveInterval` iterations (0: only at the end).
    public var saveInterval = 150

    public init() {}

    public var adamRatio: Double { Double(gRegEvery) / Double(gRegEvery + 1) }
    public var adamLearningRate: Float { Float(lr * adamRatio) }
    public var adamBetas: (Float, Float) { (Float(pow0(adamRatio)), Float(pow(0.99, adamRatio))) }
    /// Python's `0 ** r` (1 for r = 0).
    func pow0(_ r: Double) -> Double { r == 0 ? 1 : 0 }

    /// Problems with the settings, each naming its option.
    public func problems(nLatent: Int) -> [String] {
        var out: [String] = []
        if iterations < 0 { out.append("--iterations must be >= 0, got \(iterations)") }
        if batch < 1 { out.append("--batch must be >= 1, got \(batch)") }
        if !(lr > 0) { out.append("--lr must be > 0, got \(lr)") }
        if autoLayerIters < 0 { out.append("--auto-layer-iters must be >= 0, got \(autoLayerIters)") }
        if autoLayerIters > 0 {
            if autoLayerBatch < 1 { out.append("--auto-layer-batch must be >= 1, got \(autoLayerBatch)") }
            if let k = autoLayerK, k < 1 || k > nLatent { out.append("--auto-layer-k must be in 1...\(nLatent) (n_latent), got \(k)") }
        }
        if selectionChunk < 1 { out.append("--selection-chunk must be >= 1, got \(selectionChunk)") }
        if !(0...1).contains(mixing) { out.append("--mixing must be in [0, 1], got \(mixing)") }
        if sourceClass.isEmpty || targetClass.isEmpty { out.append("--source-class and --target-class must not be empty") }
        if outputInterval < 0 || saveInterval < 0 { out.append("--output-interval and --save-interval must be >= 0") }
        if nSample < 1 { out.append("--n-sample must be >= 1, got \(nSample)") }
        return out
    }
}

/// `determine_opt_layers` copies the starting codes with `torch.Tensor(w0.cpu().detach().numpy())`.
/// On the reference's CUDA device `.cpu()` makes a copy, the SGD step moves only the copy and
/// the layers that moved most are chosen (`separate`, the default). Run on the CPU the same line
/// shares w0's storage: the step moves both, every layer weight is 0 and torch's tie order of
/// top-k picks the layers, whatever the text (`shared`; fixtures/nada was recorded this way).
public enum SelectionBaseline: String, Sendable, CaseIterable, Codable {
    case separate, shared
}
