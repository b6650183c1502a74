import Foundation
import Tensors

/// Where the per-layer noise of the synthesis network comes from.
public enum NoiseMode: Sendable {
    /// The registered buffers `noises.noise_i` (what CF-CLIP and StyleCLIP render with).
    case buffers
    /// Explicit tensors, one per layer, each [1 or B, 1, H, W].
    case explicit([Tensor])
    /// Fresh N(0, 1) noise per sample from that sample's seed, so a sample's image never
    /// depends on the batch it was rendered in.
    case seeded([UInt64])
}

/// One layer's noise as the epilogue reads it: a plane shared by the batch or one per sample.
struct NoisePlane {
    let values: Tensor          // [1 or B, H*W]
    let perSample: Bool

    init(_ t: Tensor, batch: Int) {
        let planes = t.shape.first ?? 1
        precondition(planes == 1 || planes == batch, "noise with \(planes) planes for a batch of \(batch)")
        values = t.reshaped([planes, t.count / max(planes, 1)])
        perSample = planes > 1
    }
}

/// Gaussian noise from a 64-bit seed: SplitMix64 bits, Box-Muller pairs.
public enum SeededNoise {
    public static func gaussian(count: Int, seed: UInt64) -> [Float] {
        var state = seed
        func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
        var out = [Float](repeating: 0, count: count)
        var i = 0
        while i < count {
            let u1 = (Double(next() >> 11) + 1) / 9007199254740993.0   // (0, 1]
            let u2 = Double(next() >> 11) / 9007199254740992.0
            let r = (-2 * log(u1)).squareRoot()
            out[i] = Float(r * cos(2 * .pi * u2))
            if i + 1 < count { out[i + 1] = Float(r * sin(2 * .pi * u2)) }
            i += 2
        }
        return out
    }

    /// The seed of layer `layer` for a sample seed (distinct streams per layer).
    public static func layerSeed(_ sample: UInt64, layer: Int) -> UInt64 {
        sample &* 0x2545_F491_4F6C_DD1D &+ UInt64(layer) &* 0x9E37_79B9_7F4A_7C15
    }
}

