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

extension PixelNorm {
    /// Differentiable `forward`: y = x r with r = (mean_m x² + 1e-8)^-1/2 over dim 1, so
    /// dx = r dy - x r³ / M * sum_m (dy x).
    public static func forward(_ x: Var) -> Var {
        let y = forward(x.value)
        return taped(y, x) { dy in
            let shape = x.shape
            let outer = shape[0], mid = shape.count > 1 ? shape[1] : 1, inner = x.value.count / max(outer * mid, 1)
            var dx = Tensor(uninitialized: shape)
            x.value.withUnsafeBufferPointer { xp in
                dy.withUnsafeBufferPointer { gp in
                    dx.withUnsafeMutableBufferPointer { op in
                        for o in 0..<outer { for i in 0..<inner {
                            var ss: Float = 0, dot: Float = 0
                            for m in 0..<mid { let k = (o * mid + m) * inner + i; ss += xp[k] * xp[k]; dot += gp[k] * xp[k] }
                            let r = 1 / (ss / Float(mid) + 1e-8).squareRoot()
                            let c = r * r * r / Float(mid) * dot
                            for m in 0..<mid { let k = (o * mid + m) * inner + i; op[k] = r * gp[k] - xp[k] * c }
                        } }
                    }
                }
            }
            x.accumulate(dx)
        }
    }
}
