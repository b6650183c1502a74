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
