import Checkpoints
import Foundation

/// A study's answer key (`key.json` of `study build`) and the participants' answer files (JSON
/// or CSV, as the survey page exports them), checked against it. A file that cannot count is
/// rejected with its reason, never half-used.
public struct StudyKey: Sendable {
    public var path: String
    public var bundle: String
    public var dataset: String
    public var methods: [String]
    public var tasks: [String]
    /// group id -> (text, sample, method by slot)
    public var groups: [String: (text: String, sample: Int, slots: [String: String])]
    public var groupOrder: [String]

    public static func load(_ path: String) throws -> StudyKey {
        let file = FileManager.default.fileExists(atPath: path + "/key.json") ? path + "/key.json" : path
        guard let data = FileManager.default.contents(atPath: file), let j = JSONValue.parse(data) else {
            throw PipelineError.input(file: file, what: "not readable as JSON (expected the key.json that study build wrote)")
        }
        guard j["format"]?.stringValue == "cfclip-study-key", let bundle = j["bundle"]?.stringValue,
              let groups = j["groups"]?.arrayValue, let methods = j["methods"]?.arrayValue?.compactMap(\.stringValue) else {
            throw PipelineError.input(file: file, what: "not a study key (needs format 'cfclip-study-key', bundle, groups, methods)")
        }
        var key = StudyKey(path: file, bundle: bundle, dataset: j["dataset"]?.stringValue ?? "dataset", methods: methods,
                           tasks: StudyBundle.tasks.map(\.id), groups: [:], groupOrder: [])
        for (i, g) in groups.enumerated() {
            guard let id = g["group"]?.stringValue, let text = g["text"]?.stringValue, let sample = g["sample"]?.intValue,
                  case let .object(slots)? = g["slots"] else {
                throw PipelineError.input(file: file, what: "groups[\(i)] needs group, text, sample and slots")
            }
            var bySlot: [String: String] = [:]
            for (slot, m) in slots {
                guard let name = m.stringValue, methods.contains(name) else {
                    throw PipelineError.input(file: file, what: "groups[\(i)].slots.\(slot) names no method of the key")
                }
                bySlot[slot] = name
            }
            key.groups[id] = (text, sample, bySlot)
            key.groupOrder.append(id)
        }
        return key
    }
}

/// One participant's complete answers: ranks[group][task][slot].
public struct StudyAnswer: Sendable {
    public var file: String
    public var bundle: String
    public var participant: String
    public var ranks: [String: [String: [String: Int]]]

    /// Reads an answers file as the page exports it (`.json` or `.csv`).
    public static func load(_ path: String) throws -> StudyAnswer {
        guard let data = FileManager.default.contents(atPath: path) else { throw PipelineError.input(file: path, what: "cannot be read") }
        if path.lowercased().hasSuffix(".csv") { return try fromCSV(String(decoding: data, as: UTF8.self), file: path) }
        guard let j = JSONValue.parse(data), j["format"]?.stringValue == "cfclip-study-answers",
              let bundle = j["bundle"]?.stringValue, let groups = j["groups"]?.arrayValue else {
            throw PipelineError.input(file: path, what: "not a study answers file (needs format 'cfclip-study-answers', bundle, groups)")
        }
        let participant = j["participant"]?.stringValue ?? j["participant"].map { $0.serialized() } ?? ""
        var ranks: [String: [String: [String: Int]]] = [:]
        for (i, g) in groups.enumerated() {
            guard let id = g["group"]?.stringValue else { throw PipelineError.input(file: path, what: "groups[\(i)] has no group id") }
            guard ranks[id] == nil else { throw PipelineError.input(file: path, what: "group \(id) is answered twice") }
            var tasks: [String: [String: Int]] = [:]
            for t in StudyBundle.tasks.map(\.id) {
                guard case let .object(members)? = g[t] else { continue }
                var r: [String: Int] = [:]
                for (slot, v) in members { r[slot] = v.intValue ?? 0 }
                tasks[t] = r
            }
            ranks[id] = tasks
        }
        return StudyAnswer(file: path, bundle: bundle, participant: participant, ranks: ranks)
    }

    static func fromCSV(_ text: String, file: String) throws -> StudyAnswer {
        let rows = CSV.parse(text)
        guard let header = rows.first, let b = header.firstIndex(of: "bundle"), let p = header.firstIndex(of: "participant"),
              let g = header.firstIndex(of: "group"), let s = header.firstIndex(of: "slot") else {
            throw PipelineError.input(file: file, what: "not a study answers CSV (needs columns bundle, participant, group, slot and one per task)")
        }
        let taskColumns = StudyBundle.tasks.compactMap { t in header.firstIndex(of: t.id).map { (t.id, $0) } }
        var ranks: [String: [String: [String: Int]]] = [:]
        var bundle = "", participant = ""
        for (i, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            guard row.count == header.count else { throw PipelineError.input(file: file, what: "line \(i + 2) has \(row.count) fields, the header \(header.count)") }
            if bundle.isEmpty { bundle = row[b]; participant = row[p] }
            guard row[b] == bundle, row[p] == participant else { throw PipelineError.input(file: file, what: "line \(i + 2) belongs to another bundle or participant") }
            for (t, c) in taskColumns {
                guard ranks[row[g], default: [:]][t, default: [:]][row[s]] == nil else {
                    throw PipelineError.input(file: file, what: "line \(i + 2): group \(row[g]) slot \(row[s]) is answered twice")
                }
                ranks[row[g], default: [:]][t, default: [:]][row[s]] = Int(row[c]) ?? 0
            }
        }
        return StudyAnswer(file: file, bundle: bundle, participant: participant, ranks: ranks)
    }

    /// Why this file cannot count against `key`, or nil when it is complete and consistent.
    public func problem(against key: StudyKey) -> String? {
        let missing = key.groupOrder.filter { ranks[$0] == nil }
        if !missing.isEmpty { return "missing group(s) \(missing.prefix(6).joined(separator: ", "))\(missing.count > 6 ? " and \(missing.count - 6) more" : "") of \(key.groupOrder.count)" }
        if let extra = ranks.keys.sorted().first(where: { key.groups[$0] == nil }) { return "group \(extra) is not in the bundle" }
        for id in key.groupOrder {
            let slots = Set(key.groups[id]!.slots.keys), m = slots.count
            guard m > 0 else { return "group \(id) has no images in the key" }
            for t in key.tasks {
                guard let r = ranks[id]?[t], !r.isEmpty else { return "group \(id): no \(t) ranks" }
                guard Set(r.keys) == slots else { return "group \(id), \(t): ranks slots \(r.keys.sorted()), the group has \(slots.sorted())" }
                guard r.values.sorted() == Array(1...m) else {
                    return "group \(id), \(t): ranks \(slots.sorted().map { r[$0]! }) are not each of 1...\(m) once"
                }
            }
        }
        return nil
    }
}
