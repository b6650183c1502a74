import Models
import Tensors

/// Whether an edit kept the person: the cosine of the ArcFace IR-SE embeddings of source and
/// edit, with the StyleCLIP / CF-CLIP IDLoss face crop (faces only; 1 - this is the ID loss).
public struct IdentitySimilarity: Sendable {
    public let idLoss: IDLoss

    public init(backbone: Backbone) { idLoss = IDLoss(facenet: backbone) }

    /// Unit identity embeddings [N, E] of images [N, 3, H, W] in [-1, 1].
    public func features(_ images: Tensor) throws -> Tensor { try idLoss.features(images) }

    /// One score per pair of embedding rows.
    public func scores(sourceFeatures: Tensor, editFeatures: Tensor) -> [Float] {
        rowCosines(sourceFeatures, editFeatures)
    }
}
