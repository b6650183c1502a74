import Foundation
import Models
import Tensors

/// CF-CLIP's CLIP-NCE loss (`criteria/nce_loss.py` + `infonce.py`), on CLIP embeddings that are
/// already L2-normalised: the query is the normalised direction from source to edited image; each
/// query row is scored against one positive and the 79 negatives, twice — once with the text
/// direction K_T+ as positive, once with K_I+ (target text mean minus the source image) — and the
/// negatives come from the FIRST source image only, as the official code does. τ = 0.1; the loss
/// averages the 2n cross-entropy rows, i.e. (L_T + L_I) / 2.
public struct CLIPNCELoss: Sendable {
    public var temperature: Float = 0.1

    /// The intermediate vectors and the loss (names follow the fixture's `nce.*` tensors).
    public struct Result: Sendable {
        public var query: Tensor            // [n, E]
        public var posTextDirection: Tensor // [1, E]
        public var posImageToText: Tensor   // [n, E]
        public var negatives: Tensor        // [J, E]
        public var targetTextMean: Tensor   // [1, E]
        public var logits: Tensor           // [2n, 1 + J], already divided by τ
        public var crossEntropy: Tensor     // [2n]
        public var lossText: Float          // L_T
        public var lossImage: Float         // L_I
        public var loss: Float { (lossText + lossImage) / 2 }
    }

    public init(temperature: Float = 0.1) { self.temperature = temperature }

    /// `sourceImage` / `editedImage`: normalised embeddings of the (repeated) source renders and
    /// the (augmented) edited renders, row-aligned [n, E]; `sourceText` / `targetText`: normalised
    /// template embeddings [J, E] of the source word and of the description. The values of
    /// `terms` (the one definition), without a tape.
    public func callAsFunction(sourceImage: Tensor, editedImage: Tensor, sourceText: Tensor, targetText: Tensor) -> Result {
        let t = terms(sourceImage: Var(sourceImage), editedImage: Var(editedImage), sourceText: sourceText, targetText: targetText)
        let n = sourceImage.shape[0]
        return Result(query: t.query.value, posTextDirection: t.posText.value, posImageToText: t.posImage.value,
                      negatives: t.negatives.value, targetTextMean: t.targetTextMean, logits: t.logits.value,
                      crossEntropy: Tensor(shape: [2 * n], values: t.crossEntropy),
                      lossText: t.crossEntropy[0..<n].reduce(0, +) / Float(n), lossImage: t.crossEntropy[n...].reduce(0, +) / Float(n))
    }

    /// The loss on `Var`s (image embeddings normalised, text embeddings constant), built from
    /// differentiable row ops so its backward is theirs.
    public func loss(sourceImage: Var, editedImage: Var, sourceText: Tensor, targetText: Tensor) -> Var {
        terms(sourceImage: sourceImage, editedImage: editedImage, sourceText: sourceText, targetText: targetText).loss
    }

    /// Every intermediate of the loss, on `Var`s: recorded on the tape when an input has one.
    public struct Terms {
        public var query, posText, posImage, negatives, logits, loss: Var
        public var targetTextMean: Tensor
        public var crossEntropy: [Float]     // [2n]: the text-positive rows, then the image-positive rows
    }

    public func terms(sourceImage: Var, editedImage: Var, sourceText: Tensor, targetText: Tensor) -> Terms {
        let n = sourceImage.shape[0], j = sourceText.shape[0]
        let q = Diff.l2Normalize(Diff.sub(editedImage, sourceImage))
        let tMean = targetText.meanRows()
        let posText = Var(l2Normalized((targetText - sourceText).meanRows()))
        let posImage = Diff.l2Normalize(Diff.sub(Diff.repeatRows(Var(tMean), n), sourceImage))
        let neg = Diff.l2Normalize(Diff.sub(Var(sourceText), Diff.repeatRows(Diff.slice(sourceImage, 0..<1), j)))
        let negScores = Diff.matmulTransposed(q, neg)
        let top = Diff.concatenate([Diff.matmulTransposed(q, posText), negScores], axis: 1)
        let bottom = Diff.concatenate([Diff.rowDot(q, posImage), negScores], axis: 1)
        let logits = Diff.affine(Diff.concatenate([top, bottom]), scale: 1 / temperature)
        let ce = Diff.crossEntropyFirstColumn(logits)
        return Terms(query: q, posText: posText, posImage: posImage, negatives: neg, logits: logits, loss: ce.mean,
                     targetTextMean: tMean, crossEntropy: ce.perRow)
    }
}

/// StyleGAN-NADA's directional CLIP loss: mean_b (1 - cos(dI_b, dT)), dI = normalise(E(edit) -
/// E(source)) on normalised image embeddings, dT the template-averaged text direction.
public struct DirectionalCLIPLoss: Sendable {
    public init() {}
    public func callAsFunction(sourceImage: Tensor, editedImage: Tensor, sourceText: Tensor, targetText: Tensor) -> Float {
        loss(sourceImage: Var(sourceImage), editedImage: Var(editedImage), sourceText: sourceText, targetText: targetText).value[flat: 0]
    }
}

/// StyleCLIP's global CLIP loss: mean_b (1 - logits_per_image[b] / 100), i.e. 1 - cos(E_I, E_T)
/// with the trained logit scale of 100, on StyleCLIP's own preprocessing.
public struct GlobalCLIPLoss: Sendable {
    public init() {}
    public func callAsFunction(imageFeatures: Tensor, textFeatures: Tensor, logitScale: Float) -> Float {
        loss(imageFeatures: Var(imageFeatures), textFeatures: textFeatures, logitScale: logitScale).value[flat: 0]
    }
}

// MARK: on Var (the definitions; the Tensor calls above are their values without a tape)

extension DirectionalCLIPLoss {
    public func loss(sourceImage: Var, editedImage: Var, sourceText: Tensor, targetText: Tensor) -> Var {
        let dT = l2Normalized((targetText - sourceText).meanRows())
        return loss(sourceImage: sourceImage, editedImage: editedImage, direction: dT.reshaped([1, dT.count]))
    }

    /// The loss against a text direction already computed ([1, E], normalised).
    public func loss(sourceImage: Var, editedImage: Var, direction: Tensor) -> Var {
        let dI = Diff.l2Normalize(Diff.sub(editedImage, sourceImage))
        let cos = Diff.matmulTransposed(dI, Var(direction))           // [n, 1]
        return Diff.affine(Diff.sum(cos), scale: -1 / Float(cos.shape[0]), shift: 1)
    }
}

extension GlobalCLIPLoss {
    public func loss(imageFeatures: Var, textFeatures: Tensor, logitScale: Float) -> Var {
        let cos = Diff.matmulTransposed(Diff.l2Normalize(imageFeatures), Var(l2Normalized(textFeatures)))
        let k = expf(logitScale) / 100
        return Diff.affine(Diff.sum(cos), scale: -k / Float(cos.value.count), shift: 1)
    }
}
