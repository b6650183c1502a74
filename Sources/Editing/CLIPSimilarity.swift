import Models
import Tensors

/// How well an edited image matches its target text: the cosine of the CLIP image feature
/// and the CLIP text feature of the edit's text (the quantity StyleCLIP's CLIP loss is
/// `1 - ` of, without the logit scale). Higher is better.
public struct CLIPSimilarity: Sendable {
    /// Unit text feature [E] of the target text.
    public let text: Tensor

    public init(textFeature: Tensor) { text = l2Normalized(textFeature.reshaped([1, textFeature.count])) }

    /// One score per image from unit image features [N, E].
    public func scores(imageFeatures f: Tensor) -> [Float] {
        let n = f.shape[0]
        return rowCosines(f, Tensor.concatenate(Array(repeating: text, count: n)))
    }
}
