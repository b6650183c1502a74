import Checkpoints

/// Mean, standard deviation (population) and percentiles of one score, percentiles by
/// linear interpolation between order statistics (numpy's default).
public struct ScoreStatistics: Sendable, Equatable {
    public var count: Int
    public var mean: Double
    public var std: Double
    /// "min", "p05", "p25", "p50", "p75", "p95", "max"
    public var quantiles: [(String, Double)]

    public static let levels: [(String, Double)] = [("min", 0), ("p05", 0.05), ("p25", 0.25), ("p50", 0.5), ("p75", 0.75), ("p95", 0.95), ("max", 1)]

    public init(_ values: [Double]) {
        let v = values.filter(\.isFinite).sorted()
        count = v.count
        mean = v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count)
        let m = mean
        std = v.isEmpty ? .nan : (v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count)).squareRoot()
        quantiles = Self.levels.map { name, q in
            guard !v.isEmpty else { return (name, .nan) }
            let pos = q * Double(v.count - 1), lo = Int(pos), hi = min(lo + 1, v.count - 1)
            return (name, v[lo] + (v[hi] - v[lo]) * (pos - Double(lo)))
        }
    }

    public var json: JSONValue {
        .object([("count", .int(Int64(count))), ("mean", Self.number(mean)), ("std", Self.number(std))]
                + quantiles.map { ($0.0, Self.number($0.1)) })
    }

    /// Seven significant digits: summaries are read by people; exact values are in metrics/.
    static func number(_ d: Double) -> JSONValue {
        guard d.isFinite else { return .null }
        return .double(Double(String(format: "%.7g", d))!)
    }

    public static func == (a: ScoreStatistics, b: ScoreStatistics) -> Bool {
        a.count == b.count && a.json == b.json
    }
}
