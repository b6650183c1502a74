import Foundation

/// BatchNorm in eval mode over [N, C, ...] (BatchNorm2d on NCHW, BatchNorm1d on [N, C]):
/// `(x - mean) / sqrt(var + eps) * weight + bias` with the running statistics. Written as
/// PyTorch's CPU inference kernel computes it: one per-channel affine `x * alpha + beta`.
public enum BatchNorm {
    /// alpha = weight / sqrt(var + eps), beta = bias - mean * alpha (float32, as PyTorch).
    public static func coefficients(weight: Tensor?, bias: Tensor?, runningMean: Tensor, runningVar: Tensor,
                                    eps: Float = 1e-5) -> (scale: Tensor, shift: Tensor) {
        let c = runningMean.count
        precondition(runningVar.count == c && (weight?.count ?? c) == c && (bias?.count ?? c) == c,
                     "batch_norm: statistics of different lengths")
        let m = runningMean.scalars, v = runningVar.scalars
        let w = weight?.scalars ?? [Float](repeating: 1, count: c), b = bias?.scalars ?? [Float](repeating: 0, count: c)
        var alpha = [Float](repeating: 0, count: c), beta = [Float](repeating: 0, count: c)
        for i in 0..<c {
            let invstd = 1 / (v[i] + eps).squareRoot()
            alpha[i] = invstd * w[i]
            beta[i] = b[i] - m[i] * alpha[i]
        }
        return (Tensor(shape: [c], values: alpha), Tensor(shape: [c], values: beta))
    }

    /// y[n, c, i] = x[n, c, i] * scale[c] + shift[c] over `inner` values per channel plane;
    /// `x` and `y` may be the same buffer.
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, batch: Int, channels: Int,
                               inner: Int, scale: UnsafePointer<Float>, shift: UnsafePointer<Float>) {
        let xs = ReadPointer(x), ys = SendablePointer(y)
        let a = ReadPointer(scale), b = ReadPointer(shift)
        Parallel.for(batch * channels, costPerItem: inner * 2) { planes in
            for p in planes {
                let c = p % channels, s = a.p[c], t = b.p[c]
                let src = xs.p + p * inner, dst = ys.p + p * inner
                for i in 0..<inner { dst[i] = src[i] * s + t }
            }
        }
    }

    public static func forwardInPlace(_ x: inout Tensor, scale: Tensor, shift: Tensor) {
        let c = x.rank > 1 ? x.shape[1] : x.count
        precondition(scale.count == c && shift.count == c, "batch_norm: \(scale.count) channels for input \(x.shape)")
        let n = x.shape.first ?? 1, inner = x.count / max(n * c, 1)
        x.withUnsafeMutableBufferPointer { p in
            scale.withUnsafeBufferPointer { a in
                shift.withUnsafeBufferPointer { b in
                    forward(p.baseAddress!, p.baseAddress!, batch: n, channels: c, inner: inner,
                            scale: a.baseAddress!, shift: b.baseAddress!)
                }
            }
        }
    }

    public static func forward(_ x: Tensor, scale: Tensor, shift: Tensor) -> Tensor {
        var y = x
        forwardInPlace(&y, scale: scale, shift: shift)
        return y
    }
}

/// Row-wise L2 normalisation over the last axis, `x / max(||x||_2, floor)`: floor 1e-12 is
/// `F.normalize` (a zero row stays zero), floor 0 is ArcFace's `l2_norm` (a zero row gives NaN
/// there too). The one kernel behind every normalisation (CLIP features, the losses' directions,
/// identity embeddings); the norm is accumulated in double.
public enum L2Normalize {
    public static let torchFloor: Float = 1e-12

    /// Writes y and, when asked, each row's (floored) norm.
    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                               floor: Float, norms: UnsafeMutablePointer<Float>? = nil) {
        for r in 0..<rows {
            let src = x + r * width, dst = y + r * width
            var ss = 0.0
            for i in 0..<width { ss += Double(src[i]) * Double(src[i]) }
            let norm = max(Float(ss.squareRoot()), floor)
            for i in 0..<width { dst[i] = src[i] / norm }
            norms?[r] = norm
        }
    }

    public static func forward(_ x: Tensor, floor: Float) -> Tensor {
        let d = x.shape.last ?? 1
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                if yp.count > 0 { forward(xp.baseAddress!, yp.baseAddress!, rows: x.count / max(d, 1), width: d, floor: floor) }
            }
        }
        return y
    }
}

extension BatchNorm {
    /// Gradient of the eval-mode affine with frozen statistics: dx = dy * scale[c] (the same
    /// kernel with a zero shift).
    public static func backward(_ dy: Tensor, scale: Tensor) -> Tensor {
        forward(dy, scale: scale, shift: Tensor(zeros: scale.shape))
    }

    /// Differentiable `forward` with respect to `x`; scale and shift are constants.
    public static func forward(_ x: consuming Var, scale: Tensor, shift: Tensor) -> Var {
        if let y = Var.inPlace(&x, { forwardInPlace(&$0, scale: scale, shift: shift) }) { return y }
        let input = x
        return taped(forward(input.value, scale: scale, shift: shift), input) { dy in input.accumulate(backward(dy, scale: scale)) }
    }
}
