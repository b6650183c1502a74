import Checkpoints
import FileIO
import Foundation

/// The file that says a shard is complete, written after everything it lists: the shard's
/// sample rows, the size and SHA-256 of each of its files, the config hash it was made
/// with, which part made it, and its timings (timings live here and in the summary only,
/// never in per-sample outputs).
public struct DoneMarker: Sendable, Equatable {
    public var shard: Int
    public var configHash: String
    public var rows: Range<Int>
    public var files: [String: FileRecord]
    /// Busy seconds per stage, and "wall" for the shard's wall-clock time.
    public var timings: [String: Double]
    public var partition: Partition

    public var json: JSONValue {
        .object([
            ("config_hash", .string(configHash)),
            ("files", .object(files.keys.sorted().map { k in
                (k, .object([("bytes", .int(Int64(files[k]!.bytes))), ("sha256", .string(files[k]!.sha256))]))
            })),
            ("partition", .object([("count", .int(Int64(partition.count))), ("index", .int(Int64(partition.index)))])),
            ("rows", .array([.int(Int64(rows.lowerBound)), .int(Int64(rows.upperBound))])),
            ("samples", .int(Int64(rows.count))),
            ("shard", .int(Int64(shard))),
            ("timings", .object(timings.keys.sorted().map { ($0, .double((timings[$0]! * 1e4).rounded() / 1e4)) })),
            ("version", .int(1)),
        ])
    }

    public static func read(path: String) throws -> DoneMarker {
        func bad(_ what: String) -> PipelineError { .input(file: path, what: what) }
        guard let data = FileManager.default.contents(atPath: path), let j = JSONValue.parse(data) else {
            throw bad("not a readable done-marker (JSON)")
        }
        guard let shard = j["shard"]?.intValue, let hash = j["config_hash"]?.stringValue,
              case let .array(rows)? = j["rows"], rows.count == 2, let a = rows[0].intValue, let b = rows[1].intValue,
              case let .object(fileList)? = j["files"] else { throw bad("done-marker lacks shard, config_hash, rows or files") }
        guard shard >= 0, a >= 0, a <= b else { throw bad("done-marker has shard \(shard) and rows \(a)..<\(b)") }
        var files: [String: FileRecord] = [:]
        for (k, v) in fileList {
            // Part folders come from other machines: a key is one of this shard's own names,
            // never a path that could lead outside the folder.
            guard isShardFile(k, shard: shard) else {
                throw bad("done-marker lists '\(printable(k))', which is not a file of shard \(shard) (expected \(OutputLayout.shardName(shard)).tar, its folder's plain file names, or its metrics)")
            }
            guard let n = v["bytes"]?.intValue, n >= 0, let s = v["sha256"]?.stringValue else { throw bad("done-marker entry '\(printable(k))' lacks bytes or sha256") }
            files[k] = FileRecord(bytes: n, sha256: s)
        }
        var timings: [String: Double] = [:]
        if case let .object(t)? = j["timings"] { for (k, v) in t { timings[k] = v.doubleValue } }
        let p = Partition(index: j["partition"]?["index"]?.intValue ?? 0, count: j["partition"]?["count"]?.intValue ?? 1)
        return DoneMarker(shard: shard, configHash: hash, rows: a..<b, files: files, timings: timings, partition: p)
    }
}

extension JSONValue {
    var intValue: Int? {
        switch self {
        case let .int(i): return Int(i)
        case let .double(d): return d == d.rounded() ? Int(d) : nil
        default: return nil
        }
    }
    var doubleValue: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        case let .string(s): return Double(s)   // "NaN" as written for non-finite numbers
        default: return nil
        }
    }
    var stringValue: String? { if case let .string(s) = self { return s } else { return nil } }
    var arrayValue: [JSONValue]? { if case let .array(a) = self { return a } else { return nil } }
}

/// Whether `relative` names a file that shard `s` may have: its tar, its metrics, or a plain
/// file name (no separators, no dot-only names) inside its folder.
func isShardFile(_ relative: String, shard s: Int) -> Bool {
    let layout = OutputLayout(root: "")
    if relative == layout.tarRelative(s) || relative == layout.metricsRelative(s) { return true }
    let folder = layout.folderRelative(s) + "/"
    guard relative.hasPrefix(folder) else { return false }
    let name = relative.dropFirst(folder.count)
    return !name.isEmpty && name.utf8.count <= 255 && name != "." && name != ".."
        && !name.unicodeScalars.contains { $0 == "/" || $0 == "\\" || $0.value < 0x20 || $0.value == 0x7f }
}

/// Text from a file, safe to put in a one-line message: control characters escaped
/// (`ErrorReport.escape`, newlines included) and long text cut.
public func printable(_ text: String, limit: Int = 120) -> String {
    ErrorReport.escape(String(text.prefix(limit))) + (text.count > limit ? "..." : "")
}
