import Tensors

/// StyleCLIP / CF-CLIP `criteria/id_loss.py`: faces are cut from generator images in [-1, 1]
/// and compared by the cosine of their IR-SE embeddings.
public struct IDLoss: Sendable {
    public let facenet: Backbone

    /// The reference crops `[35:223, 32:220]` of a 256x256 image (an FFHQ-aligned face).
    public static let alignedSize = 256
    public static let cropTop = 35, cropLeft = 32, cropSize = 188

    public init(facenet: Backbone) { self.facenet = facenet }

    /// `extract_feats` up to the backbone input: `AdaptiveAvgPool2d(256)` when the height is not
    /// 256 (only the height is tested, as in the reference), crop, `AdaptiveAvgPool2d(112)`
    /// (overlapping 2-3 pixel windows for 188 -> 112).
    public func preprocess(_ x: Tensor) throws -> Tensor {
        guard x.rank == 4, x.shape[1] == 3 else {
            throw ModelError.invalidInput("IDLoss expects RGB images [N, 3, H, W] in [-1, 1], got \(Shape.text(x.shape))")
        }
        let s = Self.alignedSize
        let aligned = x.shape[2] != s ? Pool.adaptiveAverage(x, height: s, width: s) : x
        guard aligned.shape[3] >= Self.cropLeft + Self.cropSize else {
            throw ModelError.invalidInput("IDLoss: a 256-high image must be at least \(Self.cropLeft + Self.cropSize) wide, got \(Shape.text(x.shape))")
        }
        let face = Crop.forward(aligned, top: Self.cropTop, left: Self.cropLeft, height: Self.cropSize, width: Self.cropSize)
        let n = facenet.config.inputSize
        return Pool.adaptiveAverage(face, height: n, width: n)
    }

    /// `extract_feats`: unit identity embeddings [N, E] of images [N, 3, H, W] in [-1, 1].
    public func features(_ x: Tensor) throws -> Tensor { try facenet.embedding(try preprocess(x)) }

    /// Cosine identity similarity of each pair (row i of `a` with row i of `b`), in [-1, 1].
    public func similarity(_ a: Tensor, _ b: Tensor) throws -> [Float] {
        let fa = try features(a), fb = try features(b)
        return Self.rowDots(fa, fb)
    }

    /// `IDLoss.forward(y_hat, y)`: `mean_i (1 - <f(y_hat_i), f(y_i)>)`, accumulated in the
    /// reference's order (float32 running sum, then divided by the count).
    public func callAsFunction(_ yHat: Tensor, _ y: Tensor) throws -> Float {
        guard yHat.shape == y.shape, y.shape.first ?? 0 > 0 else {
            throw ModelError.invalidInput("IDLoss: y_hat \(Shape.text(yHat.shape)) and y \(Shape.text(y.shape)) must be the same non-empty shape")
        }
        let dots = Self.rowDots(try features(yHat), try features(y))
        var loss: Float = 0
        for d in dots { loss += 1 - d }
        return loss / Float(dots.count)
    }

    static func rowDots(_ a: Tensor, _ b: Tensor) -> [Float] {
        let d = a.shape[1], av = a.scalars, bv = b.scalars
        return (0..<a.shape[0]).map { i in
            var acc: Float = 0
            for k in 0..<d { acc += av[i * d + k] * bv[i * d + k] }
            return acc
        }
    }
}
