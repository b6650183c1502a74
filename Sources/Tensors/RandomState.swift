import Foundation

/// numpy's legacy `RandomState`: MT19937 seeded with `init_genrand`, 53-bit doubles, and the
/// polar Box-Muller `randn` that returns the second value of each pair first and caches the
/// other. Reproducing it regenerates CF-CLIP's sampled AFHQ codes from the seed alone.
public struct RandomState: Sendable, Codable, Equatable {
    var mt = [UInt32](repeating: 0, count: 624)
    var index = 624
    var cachedGaussian: Double?

    public init(seed: UInt32) {
        mt[0] = seed
        for i in 1..<624 { mt[i] = 1_812_433_253 &* (mt[i - 1] ^ (mt[i - 1] >> 30)) &+ UInt32(i) }
        index = 624
    }

    mutating func twist() {
        for i in 0..<624 {
            let y = (mt[i] & 0x8000_0000) | (mt[(i + 1) % 624] & 0x7FFF_FFFF)
            mt[i] = mt[(i + 397) % 624] ^ (y >> 1) ^ ((y & 1) != 0 ? 0x9908_B0DF : 0)
        }
        index = 0
    }

    public mutating func nextUInt32() -> UInt32 {
        if index >= 624 { twist() }
        var y = mt[index]
        index += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// `random_sample()`: (a >> 5, b >> 6) -> 53-bit double in [0, 1).
    public mutating func randomSample() -> Double {
        let a = Double(nextUInt32() >> 5), b = Double(nextUInt32() >> 6)
        return (a * 67_108_864.0 + b) / 9_007_199_254_740_992.0
    }

    /// `randn()`: one standard normal value (legacy polar method).
    public mutating func gaussian() -> Double {
        if let g = cachedGaussian { cachedGaussian = nil; return g }
        var x1 = 0.0, x2 = 0.0, r2 = 0.0
        repeat {
            x1 = 2 * randomSample() - 1
            x2 = 2 * randomSample() - 1
            r2 = x1 * x1 + x2 * x2
        } while r2 >= 1 || r2 == 0
        let f = (-2 * log(r2) / r2).squareRoot()
        cachedGaussian = f * x1
        return f * x2
    }

    /// `randn(n)` as Double.
    public mutating func randn(_ n: Int) -> [Double] { (0..<n).map { _ in gaussian() } }
}
