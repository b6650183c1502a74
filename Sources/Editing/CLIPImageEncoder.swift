import Models
import Tensors

/// CLIP image features of generator output, as the scores compare them: images in [-1, 1]
/// go through the CF-CLIP loss preprocessing (`(x+1)/2`, bicubic to the model's input
/// resolution, CLIP mean/std), the vision tower, then unit length. Using the training-time
/// preprocessing keeps the scores comparable to the losses the mappers were trained on.
public struct CLIPImageEncoder: Sendable {
    public let model: CLIPModel

    public init(model: CLIPModel) { self.model = model }

    /// images [N, 3, H, W] in [-1, 1] -> unit features [N, embed].
    public func features(_ images: Tensor) -> Tensor { features(of: [images]) }

    /// The features of several batches of images in one pass through the tower, in order. Each
    /// batch is brought to the model's resolution first, so full-size renders are never copied
    /// into one tensor.
    public func features(of batches: [Tensor]) -> Tensor {
        let r = model.visual.inputResolution
        let x = Tensor.concatenate(batches.map { CLIPPreprocess.fromGenerator($0, resolution: r) })
        return l2Normalized(model.encodeImage(x))
    }
}
