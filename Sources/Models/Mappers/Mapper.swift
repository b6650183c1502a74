import Tensors

/// StyleCLIP's `Mapper`: `Sequential(PixelNorm, 4 x EqualLinear(D, D, lr_mul=0.01, fused_lrelu))`
/// (`mapping.1` ... `mapping.4`; index 0 is the PixelNorm). Input [B, n, D]: PixelNorm runs over
/// dim 1 (across the n rows, per feature), as the released weights were trained.
public struct Mapper: Sendable {
    public let mapping: [EqualLinear]

    init(_ r: WeightReader, _ prefix: String, dim: Int) {
        var layers: [EqualLinear] = []
        while r.contains("\(prefix).mapping.\(layers.count + 1).weight") {
            layers.append(EqualLinear(r, "\(prefix).mapping.\(layers.count + 1)", in: dim, out: dim, lrMul: 0.01, activate: true))
        }
        mapping = layers
    }

    /// x [B, n, D] -> [B, n, D]; the weights come from `params` where it binds them.
    public func callAsFunction(_ x: Var, _ params: Parameters? = nil) -> Var {
        var h = PixelNorm.forward(x)
        for l in mapping { h = l(h, params) }
        return h
    }
}
