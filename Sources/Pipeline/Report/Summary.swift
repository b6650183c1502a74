import Checkpoints
import FileIO
import Foundation

/// `OUT/summary.json`: per edit and score, count, mean, std and percentiles over every
/// finished shard's metrics; plus the timings from the done-markers (per-stage busy
/// seconds and the slowest stage). Recomputed from the files alone, so `merge` and
/// `report` rebuild it for joined parts.
public struct Summary: Sendable {
    public var configHash: String
    public var samples: Int
    public var shardsDone: Int
    public var shardsTotal: Int
    /// edit -> metric -> values, in sample order.
    public var values: [String: [String: [Double]]]
    public var editOrder: [String]
    public var metricOrder: [String]
    public var stageSeconds: [String: Double]
    public var shardWallSeconds: Double

    public var slowestStage: String? {
        stageSeconds.filter { $0.key != "wall" }.max { $0.value < $1.value }?.key
    }

    /// `verify`: re-hash every finished shard's files against its done-marker first (the
    /// report command does; a run and a merge have just checked them).
    public static func build(layout: OutputLayout, manifest: Manifest, verify: Bool = true) throws -> Summary {
        var values: [String: [String: [Double]]] = [:]
        var stages: [String: Double] = [:]
        var wall = 0.0, samples = 0, done = 0
        for s in 0..<manifest.plan.count {
            guard let marker = try? DoneMarker.read(path: layout.done(s)), marker.configHash == manifest.configHash else { continue }
            if verify && !OutputFolder(layout: layout).isComplete(s, configHash: manifest.configHash, rows: marker.rows, verify: true) {
                throw PipelineError.input(file: layout.done(s), what: "shard \(s)'s files do not match their done-marker (missing, or SHA-256 differs): "
                    + "rerun the pipeline to redo it")
            }
            done += 1
            samples += marker.rows.count
            for (k, v) in marker.timings { if k == "wall" { wall += v } else { stages[k, default: 0] += v } }
            let path = layout.path(layout.metricsRelative(s))
            guard let data = FileManager.default.contents(atPath: path) else { throw PipelineError.input(file: path, what: "missing metrics of a finished shard") }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                guard let j = JSONValue.parse(Data(line.utf8)), let edit = j["edit"]?.stringValue else {
                    throw PipelineError.input(file: path, what: "not a metrics line: \(printable(String(line), limit: 80))")
                }
                for m in manifest.metricNames { if let v = j[m]?.doubleValue { values[edit, default: [:]][m, default: []].append(v) } }
            }
        }
        return Summary(configHash: manifest.configHash, samples: samples, shardsDone: done, shardsTotal: manifest.plan.count,
                       values: values, editOrder: manifest.editNames, metricOrder: manifest.metricNames,
                       stageSeconds: stages, shardWallSeconds: wall)
    }

    public var json: JSONValue {
        let edits: JSONValue = .object(editOrder.map { e in
            (e, .object(metricOrder.compactMap { m in values[e]?[m].map { (m, ScoreStatistics($0).json) } }))
        })
        return .object([
            ("complete", .bool(shardsDone == shardsTotal)),
            ("config_hash", .string(configHash)),
            ("edits", edits),
            ("samples", .int(Int64(samples))),
            ("shards", .object([("done", .int(Int64(shardsDone))), ("total", .int(Int64(shardsTotal)))])),
            ("timings", .object([
                ("shard_wall_seconds", ScoreStatistics.number(shardWallSeconds)),
                ("slowest_stage", slowestStage.map { .string($0) } ?? .null),
                ("stage_busy_seconds", .object(stageSeconds.keys.sorted().map { ($0, ScoreStatistics.number(stageSeconds[$0]!)) })),
            ])),
        ])
    }

    public func write(to layout: OutputLayout) throws {
        try DurableFile.write(Array((json.pretty(sortedKeys: true) + "\n").utf8), to: layout.summary, shared: true)
    }
}
