import Foundation

/// Per-image latent optimisation as the paper's optimisation baselines run it. Two presets
/// reproduce the reference scripts; every field can be overridden.
/// - `styleclip`: StyleCLIP `optimization/run_optimization.py`, mode edit: from the source
///   latent, `clip + l2_lambda * sum((w0 - w)^2) + id_lambda * IDLoss`, 300 steps, with the
///   script's defaults l2_lambda 0.008 and id_lambda 0 (its faces notebook sets 0.005).
/// - `tedigan`: TediGAN `ext/demo.py`, mode man: from the mean latent,
///   `mean((x - x_rec)^2) + 5e-5 * mean((F(x) - F(x_rec))^2) + 2 * mean((w0 - w)^2) + clip`,
///   F = VGG16 to the ReLU after conv4_3; 200 steps (the paper's setting).
/// Both: Adam (lr 0.1, betas 0.9 / 0.999, eps 1e-8) with the lr of `get_lr(i / steps, lr)`.
public struct OptimizationSettings: Sendable, Equatable {
    public enum Preset: String, Sendable, CaseIterable { case styleclip, tedigan }

    /// Where the optimised latent starts: the source latent, the generator's `latent_avg`, or
    /// a seeded `mean_latent(4096)` (the reference draws it from unseeded z).
    public enum Start: String, Sendable, CaseIterable { case source, latentAvg = "latent_avg", mean }

    /// Loss weights; a zero weight skips its term (and the model it needs).
    public struct Weights: Sendable, Equatable {
        /// `1 - logits_per_image / 100` of the render after StyleCLIP's Upsample(7) + AvgPool.
        public var clip: Float = 1
        /// StyleCLIP's `l2_lambda`: times `sum((w0 - w)^2)`.
        public var latentL2Sum: Float = 0
        /// TediGAN's `loss_reg_weight`: times `mean((w0 - w)^2)`.
        public var latentMSE: Float = 0
        /// StyleCLIP's `id_lambda`: times `IDLoss(render, source render)`.
        public var identity: Float = 0
        /// TediGAN's `loss_pix_weight`: times `mean((x - x_rec)^2)` against the source render.
        public var pixelMSE: Float = 0
        /// TediGAN's `loss_feat_weight`: times the MSE of VGG16 relu4_3 features (Keras input).
        public var perceptual: Float = 0

        public init() {}
    }

    public var preset: Preset
    public var steps: Int
    public var lr: Double
    /// `get_lr`'s ramps, as fractions of the run.
    public var rampUp: Double = 0.05
    public var rampDown: Double = 0.25
    public var weights: Weights
    public var start: Start
    /// The seed of `start: mean`'s 4096 codes.
    public var startSeed: UInt32 = 0

    public init(preset: Preset) {
        self.preset = preset
        lr = 0.1
        weights = Weights()
        switch preset {
        case .styleclip:
            steps = 300; start = .source
            weights.latentL2Sum = 0.008
        case .tedigan:
            steps = 200; start = .latentAvg
            weights.pixelMSE = 1; weights.perceptual = 5e-5; weights.latentMSE = 2
        }
    }

    /// `get_lr(t, lr)` of both scripts: a cosine ramp-down over the last `rampDown` of the run
    /// times a linear ramp-up over the first `rampUp` (0 at step 0). Python floats: double.
    public func learningRate(step i: Int) -> Double {
        let t = Double(i) / Double(steps)
        var ramp = min(1, (1 - t) / rampDown)
        ramp = 0.5 - 0.5 * cos(ramp * Double.pi)
        ramp *= min(1, t / rampUp)
        return lr * ramp
    }

    /// The loss terms in use, in the order they are summed (both references' orders fit it:
    /// TediGAN's pixel, feature, regularisation, CLIP; StyleCLIP's CLIP, L2, identity).
    public var terms: [(name: String, weight: Float)] {
        [("pixel_mse", weights.pixelMSE), ("perceptual", weights.perceptual), ("latent_mse", weights.latentMSE),
         ("clip", weights.clip), ("latent_l2_sum", weights.latentL2Sum), ("identity", weights.identity)]
            .filter { $0.1 != 0 }
    }
}
