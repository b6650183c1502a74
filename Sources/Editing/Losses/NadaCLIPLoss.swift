import Models
import Tensors

/// One CLIP model of StyleGAN-NADA's loss (`criteria/clip_loss.py`, `CLIPLoss` with
/// lambda_direction 1): its text direction over the 79 templates, the weight it carries in the
/// sum over models, and the raw target text features its global loss (layer selection) uses.
/// Images go in as the generator renders them ([-1, 1]); the preprocessing is NADA's: (x+1)/2,
/// bicubic resize to the model's resolution without antialias, CLIP mean/std.
public struct NadaCLIPLoss: Sendable {
    public let model: CLIPModel
    public let weight: Float
    /// n(mean_j(n(E_T(target_j)) - n(E_T(source_j)))) [1, E].
    public let direction: Tensor
    /// `encode_text(tokenize(target))` of the bare class text [1, E] (not normalised).
    public let targetFeatures: Tensor

    public init(model: CLIPModel, weight: Float, tokenizer: CLIPTokenizer, source: String, target: String) throws {
        self.model = model; self.weight = weight
        direction = try Self.textDirection(model: model, tokenizer: tokenizer, source: source, target: target)
        targetFeatures = try model.encodeText([tokenizer.tokenize(target, contextLength: model.contextLength)])
    }

    /// A loss with its text side already computed (benchmarks, tests).
    public init(model: CLIPModel, weight: Float, direction: Tensor, targetFeatures: Tensor) {
        self.model = model; self.weight = weight; self.direction = direction; self.targetFeatures = targetFeatures
    }

    /// `compute_text_direction(source, target)`.
    public static func textDirection(model: CLIPModel, tokenizer: CLIPTokenizer, source: String, target: String) throws -> Tensor {
        func features(_ cls: String) throws -> Tensor {
            let ids = try tokenizer.tokenize(TextTemplates.filled(cls), contextLength: model.contextLength)
            let n = model.contextLength
            return l2Normalized(try model.encodeText(stride(from: 0, to: ids.count, by: n).map { Array(ids[$0..<($0 + n)]) }))
        }
        let d = l2Normalized((try features(target) - features(source)).meanRows())
        return d.reshaped([1, d.count])
    }

    /// `get_image_features`: normalised embeddings [N, E] of renders [N, 3, H, W].
    public func imageFeatures(_ images: Var) -> Var {
        Diff.l2Normalize(model.encodeImage(CLIPPreprocess.fromGenerator(images, resolution: model.visual.inputResolution)))
    }

    /// `clip_directional_loss`: mean_b (1 - cos(n(E(target_b) - E(source_b)), direction)), with
    /// `sourceFeatures` the normalised embeddings of the frozen renders. When the two embeddings
    /// are identical (a difference summing to exactly 0) the reference encodes target + 1e-6
    /// instead, and so does this.
    public func directionalLoss(sourceFeatures: Tensor, target: Var) -> Var {
        var edited = imageFeatures(target)
        let total = (edited.value - sourceFeatures).withUnsafeBufferPointer { p in p.reduce(Float(0), +) }
        if total == 0 { edited = imageFeatures(Diff.affine(target, scale: 1, shift: 1e-6)) }
        return DirectionalCLIPLoss().loss(sourceImage: Var(sourceFeatures), editedImage: edited, direction: direction)
    }

    /// `global_clip_loss(images, target)`: mean_b (1 - logits_per_image[b] / 100) on NADA's
    /// preprocessing, against the bare target text.
    public func globalLoss(_ images: Var) -> Var {
        let features = model.encodeImage(CLIPPreprocess.fromGenerator(images, resolution: model.visual.inputResolution))
        return GlobalCLIPLoss().loss(imageFeatures: features, textFeatures: targetFeatures, logitScale: model.logitScale)
    }
}
