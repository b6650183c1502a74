import Models
import Tensors

/// StyleGAN-NADA's directional CLIP measure: whether the image moved in CLIP space the way
/// the text moved, `cos(I(edit) - I(source), T(target) - T(source text))` with unit features
/// on both sides. Near 0 for an edit unrelated to the text; higher is better. Plain texts,
/// no prompt templates, so the number is reproducible from the pipeline file alone.
public struct DirectionalCLIPSimilarity: Sendable {
    /// T(target) - T(source text) of unit text features, [1, E].
    public let textDirection: Tensor

    public init(targetFeature: Tensor, sourceFeature: Tensor) {
        let t = l2Normalized(targetFeature.reshaped([1, targetFeature.count]))
        let s = l2Normalized(sourceFeature.reshaped([1, sourceFeature.count]))
        textDirection = Tensor(shape: [1, t.count], values: zip(t.scalars, s.scalars).map { $0 - $1 })
    }

    /// One score per pair from unit image features of the sources and the edits, [N, E] each.
    public func scores(sourceFeatures: Tensor, editFeatures: Tensor) -> [Float] {
        precondition(sourceFeatures.shape == editFeatures.shape)
        let n = sourceFeatures.shape[0]
        let diff = Tensor(shape: editFeatures.shape, values: zip(editFeatures.scalars, sourceFeatures.scalars).map { $0 - $1 })
        return rowCosines(diff, Tensor.concatenate(Array(repeating: textDirection, count: n)))
    }
}
