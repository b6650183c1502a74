import Checkpoints
import Foundation

/// What the report compares, read back from a finished output folder: every edit with its text,
/// alpha, method and mapper, and every sample's scores per edit (from `metrics/`).
struct ReportData {
    struct Edit {
        var name: String
        var text: String
        var alpha: Double
        var mapper: String
        /// From the rows: "cfclip-mapper", "optimize (tedigan, 200 steps)", ...; "mapper" for
        /// runs written before rows named their method.
        var method = "mapper"
        /// Its CLIP scores were made by the CLIP model that guided it.
        var judgedByGuide = false
        /// "green lipstick · cfclip (cfclip-mapper, alpha 1)", for headings.
        var heading: String { "\(text) · \(name) (\(method), alpha \(ReportData.number(alpha)))" }
    }

    var edits: [Edit]
    var metrics: [String]
    /// sample key -> edit -> metric -> value
    var scores: [String: [String: [String: Double]]]
    /// Sample keys in order.
    var keys: [String]

    static func load(layout: OutputLayout, manifest: Manifest) throws -> ReportData {
        var edits: [Edit] = (manifest.config["edits"]?.arrayValue ?? []).compactMap { e in
            guard let name = e["name"]?.stringValue else { return nil }
            // the canonical config names a mapper by its SHA-256
            let mapper = e["mapper"]?.stringValue.map { $0.count == 64 && $0.allSatisfy(\.isHexDigit) ? "mapper \($0.prefix(12))" : URL(fileURLWithPath: $0).lastPathComponent } ?? "no mapper"
            return Edit(name: name, text: e["text"]?.stringValue ?? "", alpha: e["alpha"]?.doubleValue ?? 1, mapper: mapper)
        }
        var scores: [String: [String: [String: Double]]] = [:]
        var keys: [String] = []
        for s in 0..<manifest.plan.count {
            guard let marker = try? DoneMarker.read(path: layout.done(s)), marker.configHash == manifest.configHash else { continue }
            let path = layout.path(layout.metricsRelative(s))
            guard let data = FileManager.default.contents(atPath: path) else { throw PipelineError.input(file: path, what: "missing metrics of a finished shard") }
            for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
                guard let j = JSONValue.parse(Data(line.utf8)), let key = j["key"]?.stringValue, let edit = j["edit"]?.stringValue else {
                    throw PipelineError.input(file: path, what: "not a metrics line: \(printable(String(line), limit: 80))")
                }
                if scores[key] == nil { keys.append(key) }
                if let i = edits.firstIndex(where: { $0.name == edit }) {
                    if let m = j["method"]?.stringValue {
                        let preset = j["preset"]?.stringValue, steps = j["steps"]?.intValue
                        edits[i].method = preset.map { "\(m) (\($0)\(steps.map { ", \($0) steps" } ?? ""))" } ?? m
                    }
                    if case .bool(true)? = j["clip_judge_guided"] { edits[i].judgedByGuide = true }
                }
                for m in manifest.metricNames { if let v = j[m]?.doubleValue { scores[key, default: [:]][edit, default: [:]][m] = v } }
            }
        }
        return ReportData(edits: edits, metrics: manifest.metricNames, scores: scores, keys: keys)
    }

    /// Whether a larger value of the metric is the better one (latent distance: smaller is).
    static func higherIsBetter(_ metric: String) -> Bool { metric != "latent_l2" }

    func values(_ edit: String, _ metric: String) -> [Double] { keys.compactMap { scores[$0]?[edit]?[metric] } }

    /// Groups of edits sharing a text (the methods to compare), in edit order.
    var textGroups: [(text: String, edits: [Edit])] {
        var out: [(text: String, edits: [Edit])] = []
        for e in edits {
            if let i = out.firstIndex(where: { $0.text == e.text }) { out[i].edits.append(e) } else { out.append((e.text, [e])) }
        }
        return out
    }

    /// Mean and a seeded percentile-bootstrap 95% interval of the mean.
    static func meanInterval(_ v: [Double], resamples: Int = 2000, seed: UInt64 = 1) -> (mean: Double, low: Double, high: Double) {
        let x = v.filter(\.isFinite)
        guard !x.isEmpty else { return (.nan, .nan, .nan) }
        let mean = x.reduce(0, +) / Double(x.count)
        let ci = RankStatistics.bootstrapIntervals(x.map { [$0] }, resamples: resamples, seed: seed)[0]
        return (mean, ci.low, ci.high)
    }

    static func number(_ d: Double) -> String { d.isFinite ? String(format: "%.4g", d) : "n/a" }
}
