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
                        let xs = SendablePointer(UnsafeMutablePointer(mutating: xp.baseAddress!)), ys = SendablePointer(yp.baseAddress!)
                        let ws = SendablePointer(UnsafeMutablePointer(mutating: wp.baseAddress!))
                        let bs = SendablePointer(UnsafeMutablePointer(mutating: bp.baseAddress!))
                        Parallel.for(rows, costPerItem: d * 8) { range in
                            for r in range {
                                let row = xs.p + r * d, out = ys.p + r * d
                                var mean: Float = 0
                                for i in 0..<d { mean += row[i] }
                                mean /= Float(d)
                                var v: Float = 0
                                for i in 0..<d { let c = row[i] - mean; v += c * c }
                                let inv = 1 / (v / Float(d) + eps).squareRoot()
                                for i in 0..<d { out[i] = (row[i] - mean) * inv * ws.p[i] + bs.p[i] }
                            }
                        }
                    }
                }
            }
        }
        return y
    }
}

/// CLIP's QuickGELU: `x * sigmoid(1.702 x)`.
public enum QuickGELU {
    public static func forwardInPlace(_ x: inout Tensor) {
        x.withUnsafeMutableBufferPointer { p in
            let s = SendablePointer(p.baseAddress!)
            Parallel.for(p.count, costPerItem: 8) { range in
                VectorMath.xSigmoid(s.p + range.lowerBound, count: range.count, a: 1.702)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#endif
