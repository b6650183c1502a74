import Models
import Tensors

/// CF-CLIP's `VGGLosses_fix` (criteria/vgg_loss.py) on the Caffe-style VGG19: features r12,
/// r22, r32, r42, r52 of both images (CF-CLIP preprocessing), then
/// - `fm`: sum_i w_i * L1(x_i, y_i) with w = [0, 0, 0, 0, 1], i.e. mean |r52(x) - r52(y)|, the
///   term CF-CLIP trains with;
/// - `style`: sum over the five layers of L1 between Gram matrices `F F^T / (C*H*W)`;
/// - `perc`: MSE of r42.
public struct PerceptualLoss: Sendable {
    public let vgg: VGG
    public var layerWeights: [Float] = [0, 0, 0, 0, 1]
    public var bgrMean = VGGPreprocess.caffeBGRMean
    public var scale: Float = 255
    public static let layers = ["relu1_2", "relu2_2", "relu3_2", "relu4_2", "relu5_2"]

    public init(vgg: VGG) { self.vgg = vgg }

    public struct Values: Sendable { public var fm: Float; public var style: Float; public var perc: Float }

    /// The five feature maps of images in [-1, 1], in `layers` order.
    public func features(_ x: Tensor) throws -> [Tensor] {
        let f = try vgg.features(VGGPreprocess.caffe(x, bgrMean: bgrMean, scale: scale), Self.layers)
        return Self.layers.map { f[$0]! }
    }

    /// `VGGLosses_fix(x, y)`: the three values in the reference's order of accumulation.
    public func callAsFunction(_ x: Tensor, _ y: Tensor) throws -> Values {
        let fx = try features(x), fy = try features(y)
        var fm: Float = 0, style: Float = 0
        for i in 0..<fx.count { fm += layerWeights[i] * MeanError.absolute(fx[i], fy[i]) }
        for i in 0..<fx.count { style += MeanError.absolute(Gram.forward(fx[i]), Gram.forward(fy[i])) }
        let perc = MeanError.squared(fx[fx.count - 2], fy[fy.count - 2])
        return Values(fm: fm, style: style, perc: perc)
    }

    /// Only the terms with a non-zero weight of `fm` (by default mean |r52(x) - r52(y)|, what
    /// CF-CLIP trains with): no Gram matrices, no shallower feature maps kept.
    public func featureMatching(_ x: Tensor, _ y: Tensor) throws -> Float { try featureMatching(Var(x), y).value[flat: 0] }

    /// Indices of `layers` with a non-zero weight in `fm`.
    var usedLayers: [Int] { Self.layers.indices.filter { layerWeights[$0] != 0 } }
}

extension PerceptualLoss {
    /// `featureMatching`, its one definition, differentiable with respect to `x`; the features of
    /// `y` are constant (detached, as the reference). The gradient of
    /// each term is sign(r52(x) - r52(y)) / N through VGG19 and the preprocessing.
    public func featureMatching(_ x: Var, _ y: Tensor) throws -> Var {
        guard x.shape == y.shape else {
            throw ModelError.invalidInput("perceptual loss: x \(Shape.text(x.shape)) and y \(Shape.text(y.shape)) must be the same shape")
        }
        let names = usedLayers.map { Self.layers[$0] }
        let fx = try vgg.features(VGGPreprocess.caffe(x, bgrMean: bgrMean, scale: scale), names)
        let fy = try vgg.features(VGGPreprocess.caffe(y, bgrMean: bgrMean, scale: scale), names)
        return Diff.weightedSum(usedLayers.map { i in (layerWeights[i], MeanError.absolute(fx[Self.layers[i]]!, fy[Self.layers[i]]!)) })
    }
}
