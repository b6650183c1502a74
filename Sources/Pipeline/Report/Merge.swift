import FileIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `cfclip-batch merge PART... --output OUT`: joins the output folders of a partitioned job.
/// Every part must come from the same configuration (config hash) and plan; every shard
/// must be done in some part, with files whose SHA-256 match its done-marker; a shard done
/// in two parts must have the same bytes in both. All of that is checked before anything
/// is copied, then shards are copied (temporary + rename, marker last) and the manifest,
/// summary and report rebuilt.
public enum Merge {
    public struct Result: Sendable {
        public var shards: Int
        public var samples: Int
        public var copied: Int
    }

    public static func run(parts: [String], output: String) throws -> Result {
        guard !parts.isEmpty else { throw PipelineError.merge(what: "no parts given") }
        let layouts = parts.map { OutputLayout(root: URL(fileURLWithPath: $0).standardizedFileURL.path) }
        let manifests = try layouts.map { try Manifest.read($0) }
        let first = manifests[0]
        for (l, m) in zip(layouts, manifests).dropFirst() {
            guard m.configHash == first.configHash else {
                throw PipelineError.merge(what: "\(l.root) was made with another configuration (config hash \(m.configHash.prefix(12)), "
                    + "\(layouts[0].root) has \(first.configHash.prefix(12)))")
            }
            guard m.plan == first.plan else { throw PipelineError.merge(what: "\(l.root) has another shard plan than \(layouts[0].root)") }
        }
        // Choose a verified source for every shard.
        var chosen: [(shard: Int, part: OutputLayout, marker: DoneMarker)] = []
        var missing: [Int] = []
        for s in 0..<first.plan.count {
            var found: (OutputLayout, DoneMarker)? = nil
            for l in layouts {
                guard FileManager.default.fileExists(atPath: l.done(s)) else { continue }
                let marker = try DoneMarker.read(path: l.done(s))
                guard marker.shard == s, marker.configHash == first.configHash, marker.rows == first.plan.rows(of: s) else {
                    throw PipelineError.merge(what: "\(l.done(s)) belongs to another configuration or plan")
                }
                try verify(marker, in: l)
                if let (other, m0) = found {
                    guard m0.files == marker.files else {
                        throw PipelineError.merge(what: "shard \(s) is in \(other.root) and \(l.root) with different bytes")
                    }
                } else { found = (l, marker) }
            }
            if let (l, m) = found { chosen.append((s, l, m)) } else { missing.append(s) }
        }
        guard missing.isEmpty else {
            let list = missing.prefix(10).map(String.init).joined(separator: ", ") + (missing.count > 10 ? ", ..." : "")
            throw PipelineError.merge(what: "\(missing.count) of \(first.plan.count) shards are done in none of the parts (shards \(list))")
        }

        let out = OutputLayout(root: URL(fileURLWithPath: output).standardizedFileURL.path)
        let folder = OutputFolder(layout: out)
        try folder.create()
        if let existing = try? Manifest.read(out), existing.configHash != first.configHash {
            throw PipelineError.output(folder: out.root, what: "holds outputs of another configuration; merge into an empty folder")
        }
        var copied = 0
        for (s, part, marker) in chosen where part.root != out.root {
            if folder.isComplete(s, configHash: first.configHash, rows: marker.rows),
               (try? DoneMarker.read(path: out.done(s)))?.files == marker.files { continue }
            folder.removeShard(s)
            try copyShard(marker, from: part, to: out)
            copied += 1
        }
        var manifest = first
        manifest.partitionCount = 1
        try manifest.write(to: out)
        let summary = try Summary.build(layout: out, manifest: manifest, verify: false)
        try summary.write(to: out)
        try ReportPage.write(layout: out, manifest: manifest, summary: summary)
        return Result(shards: chosen.count, samples: first.plan.samples, copied: copied)
    }

    /// Every file of a marker exists with its recorded size and SHA-256.
    static func verify(_ marker: DoneMarker, in layout: OutputLayout) throws {
        for (rel, record) in marker.files.sorted(by: { $0.key < $1.key }) {
            let path = layout.path(rel)
            guard FileManager.default.fileExists(atPath: path) else { throw PipelineError.merge(what: "\(path) is listed in its done-marker but missing") }
            let sum = try FileChecksum.sha256(path: path)
            guard sum == record.sha256 else { throw PipelineError.merge(what: "\(path) does not match its done-marker (SHA-256 differs): corrupt or changed") }
        }
    }

    /// Copies a shard's files (folder shards into `shard-N.tmp/`, renamed as a whole), then
    /// its metrics, then its marker.
    static func copyShard(_ marker: DoneMarker, from part: OutputLayout, to out: OutputLayout) throws {
        let folderPrefix = out.folderRelative(marker.shard) + "/"
        let inFolder = marker.files.keys.filter { $0.hasPrefix(folderPrefix) }.sorted()
        if !inFolder.isEmpty {
            let tmp = out.path(out.folderRelative(marker.shard)) + ".tmp"
            try? FileManager.default.removeItem(atPath: tmp)
            try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            Temporaries.add(tmp)
            defer { Temporaries.remove(tmp) }
            for rel in inFolder { try copy(part.path(rel), to: tmp + "/" + String(rel.dropFirst(folderPrefix.count))) }
            let final = out.path(out.folderRelative(marker.shard))
            guard rename(tmp, final) == 0 else { let e = errno; throw PipelineError.output(folder: out.root, what: "cannot rename \(tmp): \(String(cString: strerror(e)))") }
            DurableFile.syncFolder(out.shardsDir)
        }
        for rel in marker.files.keys.sorted() where !rel.hasPrefix(folderPrefix) { try copy(part.path(rel), to: out.path(rel)) }
        try copy(part.done(marker.shard), to: out.done(marker.shard))
    }

    static func copy(_ from: String, to: String) throws {
        let input = try InputFile(path: from)
        let file = try DurableFile(path: to)
        try input.forEachChunk { try file.write($0) }
        try file.commit()
    }
}
