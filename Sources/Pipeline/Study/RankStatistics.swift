import Foundation

/// The statistics of a ranking study, on the Table 1 layout: blocks are participants,
/// treatments are methods, and each participant's value per method is their mean rank over the
/// groups (1 = best).
public enum RankStatistics {
    /// The Friedman test on `values[block][treatment]`: ranks within each block (ties get their
    /// average rank), then Q = (12 / (n k (k + 1)) Σ_j R_j² - 3 n (k + 1)) / C with the tie
    /// correction C = 1 - Σ (t³ - t) / (n k (k² - 1)); p = P(χ²_{k-1} ≥ Q). Kendall's W = Q / (n (k - 1)).
    /// (The same formulas as `scipy.stats.friedmanchisquare`.)
    public struct Friedman: Sendable, Equatable {
        public var statistic: Double
        public var p: Double
        public var kendallW: Double
        public var blocks: Int
        public var treatments: Int
    }

    public static func friedman(_ values: [[Double]]) -> Friedman? {
        let n = values.count
        guard n > 0, let k = values.first?.count, k >= 2, values.allSatisfy({ $0.count == k }) else { return nil }
        var rankSums = [Double](repeating: 0, count: k)
        var ties = 0.0
        for row in values {
            let (ranks, tieTerm) = averageRanks(row)
            for j in 0..<k { rankSums[j] += ranks[j] }
            ties += tieTerm
        }
        let nk = Double(n), kk = Double(k)
        let raw = 12 / (nk * kk * (kk + 1)) * rankSums.reduce(0) { $0 + $1 * $1 } - 3 * nk * (kk + 1)
        let c = 1 - ties / (nk * kk * (kk * kk - 1))
        // every block all ties: no information (scipy divides by zero here)
        guard c > 0 else { return Friedman(statistic: 0, p: 1, kendallW: 0, blocks: n, treatments: k) }
        let q = raw / c
        return Friedman(statistic: q, p: ChiSquare.survival(q, degrees: k - 1), kendallW: q / (nk * (kk - 1)),
                        blocks: n, treatments: k)
    }

    /// Ranks 1...k of `row` (ascending; ties share their average rank) and Σ (t³ - t) over tie groups.
    static func averageRanks(_ row: [Double]) -> (ranks: [Double], tieTerm: Double) {
        let order = row.indices.sorted { row[$0] < row[$1] || (row[$0] == row[$1] && $0 < $1) }
        var ranks = [Double](repeating: 0, count: row.count)
        var tieTerm = 0.0
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && row[order[j + 1]] == row[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for t in i...j { ranks[order[t]] = rank }
            let t = Double(j - i + 1)
            tieTerm += t * t * t - t
            i = j + 1
        }
        return (ranks, tieTerm)
    }

    /// Percentile bootstrap of the column means of `values[block][treatment]`: `resamples`
    /// resamples of the blocks with replacement from a seeded generator; returns the 2.5% and
    /// 97.5% quantiles per treatment (linear interpolation between order statistics).
    public static func bootstrapIntervals(_ values: [[Double]], resamples: Int = 10_000, seed: UInt64 = 0,
                                          level: Double = 0.95) -> [(low: Double, high: Double)] {
        let n = values.count, k = values.first?.count ?? 0
        guard n > 0, k > 0 else { return [] }
        var rng = SplitMix64(seed: seed)
        var means = [[Double]](repeating: [Double](repeating: 0, count: resamples), count: k)
        for b in 0..<resamples {
            var sums = [Double](repeating: 0, count: k)
            for _ in 0..<n {
                let row = values[rng.below(n)]
                for j in 0..<k { sums[j] += row[j] }
            }
            for j in 0..<k { means[j][b] = sums[j] / Double(n) }
        }
        let tail = (1 - level) / 2
        return means.map { column in
            let s = column.sorted()
            return (quantile(s, tail), quantile(s, 1 - tail))
        }
    }

    /// The q-quantile of sorted values (numpy's default "linear" method).
    static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let h = Double(sorted.count - 1) * q, lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }
}

/// Tail probabilities of the χ² distribution: P(X ≥ x) = Q(k/2, x/2), the regularised upper
/// incomplete gamma function (series below a + 1, Lentz's continued fraction above).
public enum ChiSquare {
    public static func survival(_ x: Double, degrees k: Int) -> Double {
        guard x > 0 else { return 1 }
        return upperGamma(Double(k) / 2, x / 2)
    }

    static func upperGamma(_ a: Double, _ x: Double) -> Double {
        let logPrefix = a * log(x) - x - lgamma(a)
        if x < a + 1 {
            // P(a, x) = e^{-x} x^a / Γ(a) Σ x^n / (a (a+1) ... (a+n))
            var term = 1 / a, sum = term, ap = a
            for _ in 0..<10_000 {
                ap += 1
                term *= x / ap
                sum += term
                if abs(term) < abs(sum) * 1e-16 { break }
            }
            return max(0, 1 - sum * exp(logPrefix))
        }
        // Q(a, x) = e^{-x} x^a / Γ(a) * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...))
        let tiny = 1e-300
        var b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d
        for i in 1..<10_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b; if abs(d) < tiny { d = tiny }
            c = b + an / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < 1e-16 { break }
        }
        return min(1, exp(logPrefix) * h)
    }
}

/// SplitMix64: the seeded generator of the study's choices and resamples (a sample's choice
/// never depends on anything but the seed).
public struct SplitMix64: Sendable {
    var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in 0..<n (n > 0), by rejection so no value is favoured.
    public mutating func below(_ n: Int) -> Int {
        let bound = UInt64(n), limit = UInt64.max - UInt64.max % bound
        while true { let v = next(); if v < limit { return Int(v % bound) } }
    }

    /// Fisher-Yates.
    public mutating func shuffle<T>(_ a: inout [T]) {
        guard a.count > 1 else { return }
        for i in stride(from: a.count - 1, to: 0, by: -1) { a.swapAt(i, below(i + 1)) }
    }
}
