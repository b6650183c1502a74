import Tensors

/// StyleGAN2's equalised-learning-rate linear layer: stored `weight` [out, in] is used as
/// `weight * lr_mul / sqrt(in)`, stored `bias` as `bias * lr_mul`; with `activate`, the bias is
/// added inside the fused leaky ReLU (`sqrt(2) * lrelu(x W^T + b, 0.2)`).
public struct EqualLinear: Sendable {
    public var weight: Tensor       // weight [out, in]
    public var bias: Tensor?        // bias [out]
    public var lrMul: Float
    public var activate: Bool

    public var inFeatures: Int { weight.shape[1] }
    public var outFeatures: Int { weight.shape[0] }
    public var scale: Float { lrMul / Float(inFeatures).squareRoot() }

    public init(weight: Tensor, bias: Tensor?, lrMul: Float = 1, activate: Bool = false) {
        self.weight = weight; self.bias = bias; self.lrMul = lrMul; self.activate = activate
    }

    public init(_ r: WeightReader, _ key: String, in inF: Int, out outF: Int, lrMul: Float = 1, activate: Bool = false, bias: Bool = true) {
        weight = r.tensor("\(key).weight", [outF, inF])
        self.bias = bias ? r.tensor("\(key).bias", [outF]) : nil
        self.lrMul = lrMul; self.activate = activate
    }

    /// x [.., in] -> [.., out]
    public func callAsFunction(_ x: Tensor) -> Tensor {
        if activate {
            var y = Linear.forward(x, weight: weight, bias: nil, scale: scale)
            let b = bias.map { scaled($0, lrMul) }
            FusedLeakyReLU.forwardInPlace(&y, bias: b, axis: y.rank - 1)
            return y
        }
        return Linear.forward(x, weight: weight, bias: bias, scale: scale, biasScale: lrMul)
    }
}

func scaled(_ t: Tensor, _ s: Float) -> Tensor {
    var r = t
    r.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= s } }
    return r
}
