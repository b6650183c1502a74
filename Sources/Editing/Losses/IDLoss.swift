import Models
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
    public func preprocess(_ x: Tensor) throws -> Tensor { try preprocess(Var(x)).value }

    /// Validates RGB images [N, 3, H, W]; true when the height is not 256 (pool to 256 first).
    func checkImage(_ shape: [Int]) throws -> Bool {
        guard shape.count == 4, shape[1] == 3 else {
            throw ModelError.invalidInput("IDLoss expects RGB images [N, 3, H, W] in [-1, 1], got \(Shape.text(shape))")
        }
        let pools = shape[2] != Self.alignedSize
        guard (pools ? Self.alignedSize : shape[3]) >= Self.cropLeft + Self.cropSize else {
            throw ModelError.invalidInput("IDLoss: a 256-high image must be at least \(Self.cropLeft + Self.cropSize) wide, got \(Shape.text(shape))")
        }
        return pools
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
        try checkPair(yHat.shape, y.shape)
        return Self.meanDistance(Self.rowDots(try features(yHat), try features(y)))
    }

    func checkPair(_ a: [Int], _ b: [Int]) throws {
        guard a == b, b.first ?? 0 > 0 else {
            throw ModelError.invalidInput("IDLoss: y_hat \(Shape.text(a)) and y \(Shape.text(b)) must be the same non-empty shape")
        }
    }

    /// `mean_i (1 - d_i)` as the reference sums it (float32 running sum, then divided).
    static func meanDistance(_ dots: [Float]) -> Float {
        var loss: Float = 0
        for d in dots { loss += 1 - d }
        return loss / Float(dots.count)
    }

    /// Summed in double and rounded once: the reference's vectorised float32 dot is that
    /// accurate, so a face compared with itself scores exactly 1 (loss exactly 0) there and here.
    static func rowDots(_ a: Tensor, _ b: Tensor) -> [Float] {
        let d = a.shape[1], av = a.scalars, bv = b.scalars
        return (0..<a.shape[0]).map { i in
            var acc: Double = 0
            for k in 0..<d { acc += Double(av[i * d + k]) * Double(bv[i * d + k]) }
            return Float(acc)
        }
    }
}

extension IDLoss {
    /// `preprocess`, its one definition: both adaptive pools and the crop pass gradients back.
    public func preprocess(_ x: Var) throws -> Var {
        let pools = try checkImage(x.shape)
        let s = Self.alignedSize, n = facenet.config.inputSize
        let aligned = pools ? Pool.adaptiveAverage(x, height: s, width: s) : x
        let face = Crop.forward(aligned, top: Self.cropTop, left: Self.cropLeft, height: Self.cropSize, width: Self.cropSize)
        return Pool.adaptiveAverage(face, height: n, width: n)
    }

    /// Differentiable `features`: unit embeddings [N, E] of images in [-1, 1].
    public func features(_ x: Var) throws -> Var { try facenet.embedding(try preprocess(x)) }

    /// Differentiable `IDLoss.forward(y_hat, y)` = mean_i (1 - <f(y_hat_i), f(y_i)>) with the
    /// features of `y` constant (detached, as the reference). Its value equals `callAsFunction`'s
    /// exactly; d/df(y_hat_i) = -f(y_i) / N.
    public func loss(_ yHat: Var, _ y: Tensor) throws -> Var {
        try checkPair(yHat.shape, y.shape)
        let fy = try features(y), fx = try features(yHat)
        let n = Float(y.shape[0])
        let value = Self.meanDistance(Self.rowDots(fx.value, fy))
        return taped(Tensor(shape: [], values: [value]), fx) { g in
            let k = -g[flat: 0] / n
            var d = fy
            d.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= k } }
            fx.accumulate(d)
        }
    }
}
