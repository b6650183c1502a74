import Checkpoints
import FileIO
import Foundation
import Media

/// What drifted between a run and its golden run.
public struct RegressionReport: Sendable {
    public struct Drift: Sendable {
        public var key: String
        /// "green_lipstick.png", "green_lipstick clip_similarity", ...
        public var item: String
        public var what: String
    }
    /// The golden run's folder.
    public var golden = ""
    public var imagesCompared = 0
    public var scoresCompared = 0
    public var largestPixelDiff = 0
    public var largestScoreDiff = 0.0
    public var drifts: [Drift] = []
    public var passed: Bool { drifts.isEmpty }

    public var json: JSONValue {
        .object([
            ("drifts", .array(drifts.prefix(1000).map { .object([("item", .string($0.item)), ("key", .string($0.key)), ("what", .string($0.what))]) })),
            ("drift_count", .int(Int64(drifts.count))),
            ("golden", .string(golden)),
            ("images_compared", .int(Int64(imagesCompared))),
            ("largest_pixel_diff", .int(Int64(largestPixelDiff))),
            ("largest_score_diff", ScoreStatistics.number(largestScoreDiff)),
            ("passed", .bool(passed)),
            ("scores_compared", .int(Int64(scoresCompared))),
        ])
    }

    /// Lines for the terminal: a verdict, then up to `limit` drifts.
    public func lines(limit: Int = 20) -> [String] {
        var out = ["regression: \(passed ? "PASS" : "FAIL") (\(imagesCompared) images, \(scoresCompared) scores compared; "
                   + "largest pixel difference \(largestPixelDiff), largest score difference \(String(format: "%.3g", largestScoreDiff)))"]
        out += drifts.prefix(limit).map { "  drift: \($0.key) \($0.item): \($0.what)" }
        if drifts.count > limit { out.append("  ... and \(drifts.count - limit) more (regression.json lists them)") }
        return out
    }
}

/// Regression mode: every image and score of a finished run against a golden run's
/// outputs (same sample keys), within `max_pixel_diff` (8-bit channel values) and
/// `max_score_diff` (absolute); anything missing on either side is a drift too.
public enum RegressionCheck {
    public static func requireGolden(_ dir: String) throws {
        guard FileManager.default.fileExists(atPath: OutputLayout(root: dir).manifest) else {
            throw PipelineError.input(file: dir, what: "regression.golden is not a cfclip-batch output folder (no manifest.json)")
        }
    }

    public static func compare(output: OutputLayout, golden config: RegressionConfig) throws -> RegressionReport {
        let golden = OutputLayout(root: config.golden)
        let mine = try Manifest.read(output), theirs = try Manifest.read(golden)
        var report = RegressionReport()
        report.golden = golden.root
        func drift(_ key: String, _ item: String, _ what: String) { report.drifts.append(.init(key: key, item: item, what: what)) }

        // Scores, from the metrics files.
        let a = try scores(output, mine), b = try scores(golden, theirs)
        for (id, values) in a.sorted(by: { $0.key < $1.key }) {
            guard let other = b[id] else { drift(id.key, id.edit, "not in the golden run"); continue }
            for (m, v) in values.sorted(by: { $0.key < $1.key }) {
                guard let w = other[m] else { drift(id.key, "\(id.edit) \(m)", "no golden value"); continue }
                let d = abs(v - w)
                report.scoresCompared += 1
                report.largestScoreDiff = max(report.largestScoreDiff, d.isNaN ? .infinity : d)
                if !(d <= config.maxScoreDiff) { drift(id.key, "\(id.edit) \(m)", "\(v) vs golden \(w) (difference \(String(format: "%.3g", d)) > \(config.maxScoreDiff))") }
            }
        }
        for id in b.keys where a[id] == nil { drift(id.key, id.edit, "in the golden run only") }

        // Images, shard by shard, one pair at a time.
        let goldenReader = ShardReader(layout: golden, manifest: theirs)
        var goldenImages: [String: ShardReader.Member] = [:]
        for s in 0..<theirs.plan.count where FileManager.default.fileExists(atPath: golden.done(s)) {
            for m in try goldenReader.members(shard: s) where m.field != "json" { goldenImages[m.name] = m }
        }
        let reader = ShardReader(layout: output, manifest: mine)
        var seen: Set<String> = []
        for s in 0..<mine.plan.count {
            for m in try reader.members(shard: s) where m.field != "json" {
                seen.insert(m.name)
                guard let g = goldenImages[m.name] else { drift(m.key, m.field, "not in the golden run"); continue }
                let x = try decode(try reader.read(m), m.field), y = try decode(try goldenReader.read(g), m.field)
                report.imagesCompared += 1
                guard x.width == y.width, x.height == y.height else {
                    drift(m.key, m.field, "\(x.width)x\(x.height) vs golden \(y.width)x\(y.height)"); continue
                }
                var worst = 0
                for i in 0..<x.pixels.count { worst = max(worst, abs(Int(x.pixels[i]) - Int(y.pixels[i]))) }
                report.largestPixelDiff = max(report.largestPixelDiff, worst)
                if worst > config.maxPixelDiff { drift(m.key, m.field, "pixel difference \(worst) > \(config.maxPixelDiff)") }
            }
        }
        for (name, m) in goldenImages.sorted(by: { $0.key < $1.key }) where !seen.contains(name) {
            drift(m.key, m.field, "in the golden run only")
        }
        try DurableFile.write(Array((report.json.pretty(sortedKeys: true) + "\n").utf8), to: output.regression)
        return report
    }

    struct ScoreID: Hashable, Comparable {
        var key: String
        var edit: String
        static func < (a: ScoreID, b: ScoreID) -> Bool { (a.key, a.edit) < (b.key, b.edit) }
    }

    static func scores(_ layout: OutputLayout, _ manifest: Manifest) throws -> [ScoreID: [String: Double]] {
        var out: [ScoreID: [String: Double]] = [:]
        for s in 0..<manifest.plan.count {
            let path = layout.path(layout.metricsRelative(s))
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                guard let j = JSONValue.parse(Data(line.utf8)), let key = j["key"]?.stringValue, let edit = j["edit"]?.stringValue else { continue }
                var values: [String: Double] = [:]
                for m in manifest.metricNames { if let v = j[m]?.doubleValue { values[m] = v } }
                out[ScoreID(key: key, edit: edit)] = values
            }
        }
        return out
    }

    static func decode(_ bytes: [UInt8], _ field: String) throws -> RGBImage {
        field.hasSuffix(".jpg") ? try JPEG.decode(bytes, name: field) : try PNG.decode(bytes, name: field)
    }
}
