/// LayerNorm over the last axis: `(x - mean) / sqrt(var + eps) * weight + bias` (biased variance).
public enum LayerNorm {
    public static func forward(_ x: Tensor, weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Tensor {
        let d = x.shape.last ?? 1
        precondition(weight.count == d && bias.count == d, "layer_norm: weight \(weight.shape) for \(x.shape)")
        let rows = x.count / max(d, 1)
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                bias.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        let xs = ReadPointer(xp.baseAddress!), ys = SendablePointer(yp.baseAddress!)
                        let ws = ReadPointer(wp.baseAddress!)
                        let bs = ReadPointer(bp.baseAddress!)
                        Parallel.for(rows, costPerItem: d * 8) { range in
                            for r in range {
                                let row = xs.p + r * d, out = ys.p + r * d
                                let (mean, inv) = rowStatistics(row, count: d, eps: eps)
                                for i in 0..<d { out[i] = (row[i] - mean) * inv * ws.p[i] + bs.p[i] }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// A row's mean and 1 / sqrt(biased variance + eps), each sum in eight running lanes added
    /// at the end: one running sum was a chain of d dependent adds (two per row of 768, about a
    /// fifth of CLIP's time outside its products), and it is no more accurate.
    @inline(__always)
    static func rowStatistics(_ row: UnsafePointer<Float>, count d: Int, eps: Float) -> (mean: Float, inv: Float) {
        let body = d / 8 * 8
        var lanes = SIMD8<Float>()
        for i in stride(from: 0, to: body, by: 8) { lanes += UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self) }
        var sum = lanes.sum()
        for i in body..<d { sum += row[i] }
        let mean = sum / Float(d), m = SIMD8<Float>(repeating: mean)
        lanes = SIMD8<Float>()
        for i in stride(from: 0, to: body, by: 8) {
            let c = UnsafeRawPointer(row + i).loadUnaligned(as: SIMD8<Float>.self) - m
            lanes += c * c
        }
        var v = lanes.sum()
        for i in body..<d { let c = row[i] - mean; v += c * c }
        return (mean, 1 / (v / Float(d) + eps).squareRoot())
    }
}

/// CLIP's QuickGELU: `x * sigmoid(1.702 x)`.
public enum QuickGELU {
    /// The sigmoid's slope: x · sigmoid(a x).
    public static let a: Float = 1.702

    public static func forwardInPlace(_ x: inout Tensor) {
        x.withUnsafeMutableBufferPointer { p in
            let s = SendablePointer(p.baseAddress!)
            Parallel.for(p.count, costPerItem: 8) { range in
                VectorMath.xSigmoid(s.p + range.lowerBound, count: range.count, a: a)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif

extension LayerNorm {
    /// dx of `forward` for constant weight/bias: with xhat = (x - mean) * inv and g = dy * weight,
    /// dx = inv * (g - mean(g) - xhat * mean(g * xhat)) per row.
    public static func backward(_ dy: Tensor, x: Tensor, weight: Tensor, eps: Float = 1e-5) -> Tensor {
        let d = x.shape.last ?? 1, rows = x.count / max(d, 1)
        var dx = Tensor(uninitialized: x.shape)
        let w = weight.scalars
        x.withUnsafeBufferPointer { xp in
            dy.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { op in
                    var xhat = [Float](repeating: 0, count: d), g = [Float](repeating: 0, count: d)
                    for r in 0..<rows {
                        let row = xp.baseAddress! + r * d, grow = gp.baseAddress! + r * d
                        let (mean, inv) = rowStatistics(row, count: d, eps: eps)
                        var mg: Float = 0, mgx: Float = 0
                        for i in 0..<d { xhat[i] = (row[i] - mean) * inv; g[i] = grow[i] * w[i]; mg += g[i]; mgx += g[i] * xhat[i] }
                        mg /= Float(d); mgx /= Float(d)
                        for i in 0..<d { op[r * d + i] = inv * (g[i] - mg - xhat[i] * mgx) }
                    }
                }
            }
        }
        return dx
    }

    public static func forward(_ x: Var, weight: Tensor, bias: Tensor, eps: Float = 1e-5) -> Var {
        taped(forward(x.value, weight: weight, bias: bias, eps: eps), x) { dy in
            x.accumulate(backward(dy, x: x.value, weight: weight, eps: eps))
        }
    }
}

extension QuickGELU {
    /// d/dx [x sigmoid(a x)] = s + a x s (1 - s).
    public static func forward(_ x: consuming Var) -> Var {
        if let y = Var.inPlace(&x, { forwardInPlace(&$0) }) { return y }
        let x = copy x
        var y = x.value
        forwardInPlace(&y)
        return taped(y, x) { dy in
            var dx = Tensor(uninitialized: x.shape)
            x.value.withUnsafeBufferPointer { xp in
                dy.withUnsafeBufferPointer { gp in
                    dx.withUnsafeMutableBufferPointer { o in
                        for i in 0..<o.count {
                            let v = xp[i], s = 1 / (1 + expf(-a * v))
                            o[i] = gp[i] * (s + a * v * s * (1 - s))
                        }
                    }
                }
            }
            x.accumulate(dx)
        }
    }
}
