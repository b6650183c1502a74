import Foundation

/// StyleGAN2's fused leaky ReLU: `sqrt(2) * leaky_relu(x + bias, 0.2)`.
public enum FusedLeakyReLU {
    public static let slope: Float = 0.2
    public static let gain: Float = Float(2).squareRoot()

    /// `bias` is broadcast along `axis` (1 for [N,C] and [N,C,H,W]; the last axis for the mappers'
    /// 3-D [B,n,D] variant); pass nil for no bias.
    public static func forward(_ x: Tensor, bias: Tensor?, axis: Int = 1) -> Tensor {
        var y = x
        forwardInPlace(&y, bias: bias, axis: axis)
        return y
    }

    public static func forwardInPlace(_ x: inout Tensor, bias: Tensor?, axis: Int = 1) {
        let shape = x.shape
        let channels = shape.count > axis ? shape[axis] : 1
        let inner = shape.count > axis ? shape[(axis + 1)...].reduce(1, *) : 1
        let outer = x.count / max(channels * inner, 1)
        if let b = bias { precondition(b.count == channels, "fused_leaky_relu: bias \(b.shape) for \(channels) channels") }
        let biasValues = bias?.scalars ?? [Float](repeating: 0, count: channels)
        let slope = Self.slope, gain = Self.gain
        x.withUnsafeMutableBufferPointer { buf in
            let p = SendablePointer(buf.baseAddress!)
            Parallel.for(outer * channels, costPerItem: inner) { range in
                for oc in range {
                    let b = biasValues[oc % channels]
                    let row = p.p + oc * inner
                    for i in 0..<inner {
                        let v = row[i] + b
                        row[i] = (v >= 0 ? v : v * slope) * gain
                    }
                }
            }
        }
    }
}

extension FusedLeakyReLU {
    /// Gradients of `forward` from its output y (y >= 0 exactly where the pre-activation is):
    /// dv = dy * gain * (y >= 0 ? 1 : slope); db = dv summed over every axis but `axis`.
    public static func backward(_ dy: Tensor, output y: Tensor, axis: Int = 1, needBias: Bool) -> (dx: Tensor, db: Tensor?) {
        let shape = y.shape
        let channels = shape.count > axis ? shape[axis] : 1
        let inner = shape.count > axis ? shape[(axis + 1)...].reduce(1, *) : 1
        var dv = Tensor(uninitialized: shape)
        var db = needBias ? [Float](repeating: 0, count: channels) : []
        dy.withUnsafeBufferPointer { g in
            y.withUnsafeBufferPointer { yp in
                dv.withUnsafeMutableBufferPointer { o in
                    for i in 0..<o.count { o[i] = g[i] * gain * (yp[i] >= 0 ? 1 : slope) }
                    if needBias { for i in 0..<o.count { db[(i / inner) % channels] += o[i] } }
                }
            }
        }
        return (dv, needBias ? Tensor(shape: [channels], values: db) : nil)
    }

    public static func forward(_ x: Var, bias: Var?, axis: Int = 1) -> Var {
        let y = forward(x.value, bias: bias?.value, axis: axis)
        return taped(y, x, bias) { dy in
            let g = backward(dy, output: y, axis: axis, needBias: bias?.needsGrad ?? false)
            if x.needsGrad { x.accumulate(g.dx) }
            if let d = g.db, let bias { bias.accumulate(d) }
        }
    }
}
