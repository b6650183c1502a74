import Tensors

/// `style`: PixelNorm then n_mlp EqualLinear(lr_mul = lr_mlp) with fused leaky ReLU; z -> w.
public struct MappingNetwork: Sendable {
    public let layers: [EqualLinear]    // style.1 ... style.n_mlp

    public init(_ r: WeightReader, config c: GeneratorConfig) {
        layers = (1...max(c.nMLP, 1)).map {
            EqualLinear(r, "style.\($0)", in: c.styleDim, out: c.styleDim, lrMul: c.lrMLP, activate: true)
        }
    }

    /// z [N, style_dim] -> w [N, style_dim]
    public func callAsFunction(_ z: Tensor) -> Tensor {
        var h = PixelNorm.forward(z)
        for l in layers { h = l(h) }
        return h
    }
}

/// `x * rsqrt(mean(x², dim=1) + 1e-8)`. For a 2-D input that is per row; for the mappers' 3-D
/// [B, n, D] input the mean runs over dim 1 (across rows of a group, per feature), as the
/// reference code does.
public enum PixelNorm {
    public static func forward(_ x: Tensor) -> Tensor {
        let shape = x.shape
        let outer = shape[0], mid = shape.count > 1 ? shape[1] : 1
        let inner = x.count / max(outer * mid, 1)
        var y = x
        y.withUnsafeMutableBufferPointer { p in
            for o in 0..<outer {
                let base = p.baseAddress! + o * mid * inner
                for i in 0..<inner {
                    var ss: Float = 0
                    for m in 0..<mid { let v = base[m * inner + i]; ss += v * v }
                    let r = 1 / (ss / Float(mid) + 1e-8).squareRoot()
                    for m in 0..<mid { base[m * inner + i] *= r }
                }
            }
        }
        return y
    }
}
