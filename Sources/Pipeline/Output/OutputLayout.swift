import Foundation

/// Where everything lives in an output folder:
/// ```
/// OUT/manifest.json                 config hash, model checksums, plan, partition scheme
/// OUT/shards/shard-000000.tar       WebDataset shard (or shards/shard-000000/ folder)
/// OUT/shards/shard-000000.done.json done-marker, written last
/// OUT/metrics/shard-000000.jsonl    one line per (sample, edit)
/// OUT/summary.json, OUT/report.html
/// ```
/// Temporaries are the final name plus `.tmp`, in the same folder (same filesystem, so the
/// rename is atomic).
public struct OutputLayout: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    public var shardsDir: String { root + "/shards" }
    public var metricsDir: String { root + "/metrics" }
    public var manifest: String { root + "/manifest.json" }
    public var summary: String { root + "/summary.json" }
    public var report: String { root + "/report.html" }
    public var regression: String { root + "/regression.json" }

    public static func shardName(_ s: Int) -> String {
        let d = String(s)
        return "shard-" + String(repeating: "0", count: max(0, 6 - d.count)) + d
    }

    /// Paths relative to the root (as done-markers record them).
    public func tarRelative(_ s: Int) -> String { "shards/\(Self.shardName(s)).tar" }
    public func folderRelative(_ s: Int) -> String { "shards/\(Self.shardName(s))" }
    public func metricsRelative(_ s: Int) -> String { "metrics/\(Self.shardName(s)).jsonl" }
    public func doneRelative(_ s: Int) -> String { "shards/\(Self.shardName(s)).done.json" }

    public func path(_ relative: String) -> String { root + "/" + relative }
    public func done(_ s: Int) -> String { path(doneRelative(s)) }

    /// Shard indices with a done-marker in `shards/`.
    public func markedShards() -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: shardsDir)) ?? []
        return names.compactMap { n -> Int? in
            guard n.hasPrefix("shard-"), n.hasSuffix(".done.json") else { return nil }
            return Int(n.dropFirst(6).dropLast(10))
        }.sorted()
    }
}
