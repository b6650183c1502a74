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
    public func features(_ images: Tensor) -> Tensor {
        let x = CLIPPreprocess.fromGenerator(images, resolution: model.visual.inputResolution)
        return l2Normalized(model.encodeImage(x))
    }
}

/// Cosine similarity of row `i` of `a` with row `i` of `b` (both [N, E], any length).
public func rowCosines(_ a: Tensor, _ b: Tensor) -> [Float] {
    precondition(a.shape == b.shape && a.rank == 2, "rowCosines: \(a.shape) vs \(b.shape)")
    let (n, e) = (a.shape[0], a.shape[1])
    return a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            (0..<n).map { i in
                var dot: Float = 0, na: Float = 0, nb: Float = 0
                for k in 0..<e {
                    let x = ap[i * e + k], y = bp[i * e + k]
                    dot += x * y; na += x * x; nb += y * y
                }
                return dot / max((na * nb).squareRoot(), 1e-12)
            }
        }
    }
}
