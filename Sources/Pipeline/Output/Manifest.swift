import Checkpoints
import FileIO
import Foundation

/// `OUT/manifest.json`: the dataset-level view, written idempotently at the start of every
/// run (parts of one job write identical bytes): config hash and canonical config, model
/// checksums, the shard plan and the partition scheme. Merge, report and resume read it.
public struct Manifest: Sendable {
    public var configHash: String
    public var config: JSONValue
    public var checksums: [String: String]
    public var plan: ShardPlan
    public var partitionCount: Int

    public var json: JSONValue {
        .object([
            ("config", config),
            ("config_hash", .string(configHash)),
            ("models", .object(checksums.keys.sorted().map { ($0, .string(checksums[$0]!)) })),
            ("partition", .object([("count", .int(Int64(partitionCount))),
                                   ("scheme", .string("round-robin: shard s belongs to part s % count"))])),
            ("samples", .int(Int64(plan.samples))),
            ("samples_per_shard", .int(Int64(plan.samplesPerShard))),
            ("shards", .int(Int64(plan.count))),
            ("version", .int(1)),
        ])
    }

    /// Idempotent: parts of one job write the same bytes, and an unchanged file is left alone.
    public func write(to layout: OutputLayout) throws {
        let bytes = Array((json.pretty(sortedKeys: true) + "\n").utf8)
        if let old = FileManager.default.contents(atPath: layout.manifest), [UInt8](old) == bytes { return }
        try DurableFile.write(bytes, to: layout.manifest, shared: true)
    }

    public static func read(_ layout: OutputLayout) throws -> Manifest {
        let path = layout.manifest
        guard let data = FileManager.default.contents(atPath: path) else {
            throw PipelineError.input(file: path, what: "no manifest: not a cfclip-batch output folder")
        }
        guard let j = JSONValue.parse(data), let hash = j["config_hash"]?.stringValue, let config = j["config"],
              let samples = j["samples"]?.intValue, let per = j["samples_per_shard"]?.intValue, per > 0 else {
            throw PipelineError.input(file: path, what: "not a cfclip-batch manifest (needs config_hash, config, samples, samples_per_shard)")
        }
        // edit names become file names (KEY.NAME.png): a copied or edited manifest must not
        // name a path ("../x") or a member another edit owns
        for e in config["edits"]?.arrayValue ?? [] {
            if let name = e["name"]?.stringValue, !EditConfig.isValidName(name) {
                throw PipelineError.input(file: path, what: "edit name \(printable(name, limit: 70)) is not a valid edit name (letters, digits, '_', '-', and '@ALPHA' from an alpha list)")
            }
        }
        var sums: [String: String] = [:]
        if case let .object(m)? = j["models"] { for (k, v) in m { sums[k] = v.stringValue } }
        return Manifest(configHash: hash, config: config, checksums: sums, plan: ShardPlan(samples: samples, samplesPerShard: per),
                        partitionCount: j["partition"]?["count"]?.intValue ?? 1)
    }

    /// Edit names, metric names and the image extension, from the canonical config.
    public var editNames: [String] { config["edits"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? [] }
    public var metricNames: [String] { config["scores"]?["metrics"]?.arrayValue?.compactMap(\.stringValue) ?? [] }
    public var isTar: Bool { config["output"]?["format"]?.stringValue != "folder" }
    public var imageExtension: String { config["output"]?["image_format"]?.stringValue == "jpeg" ? "jpg" : "png" }
}
