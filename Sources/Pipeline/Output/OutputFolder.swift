import FileIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The output folder as a resumable job sees it: it creates and probes the folder, refuses
/// one made with another configuration (unless forced), removes the leftovers of unfinished
/// shards this part owns (and only those: other parts may be writing next to it), and tells
/// which owned shards are already done.
public struct OutputFolder: Sendable {
    public let layout: OutputLayout

    public init(layout: OutputLayout) { self.layout = layout }

    /// Creates the folders and checks that files can be created and renamed in them.
    public func create() throws {
        let fm = FileManager.default
        for dir in [layout.root, layout.shardsDir, layout.metricsDir] {
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: dir, isDirectory: &isDir) {
                guard isDir.boolValue else { throw PipelineError.output(folder: layout.root, what: "\(dir) exists and is not a folder") }
                continue
            }
            do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
                throw PipelineError.output(folder: layout.root, what: "cannot create \(dir) (\(Self.reason(error)))")
            }
        }
        let probe = layout.shardsDir + "/.write-probe.tmp"
        let fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw PipelineError.output(folder: layout.root, what: "not writable (\(String(cString: strerror(errno))))") }
        close(fd)
        unlink(probe)
    }

    /// Returns the owned shards already done for `configHash`; clears everything else of the
    /// owned shards. A folder made with another config hash is an error unless `force`.
    public func reconcile(configHash: String, plan: ShardPlan, partition: Partition, force: Bool, verify: Bool = true) throws -> Set<Int> {
        let fm = FileManager.default
        let previous = fm.fileExists(atPath: layout.manifest) ? try? Manifest.read(layout) : nil
        let markers = layout.markedShards().compactMap { try? DoneMarker.read(path: layout.done($0)) }
        let foreign = previous.map { $0.configHash != configHash } ?? markers.contains { $0.configHash != configHash }
        if foreign {
            let old = previous?.configHash ?? markers.first { $0.configHash != configHash }!.configHash
            guard force else {
                throw PipelineError.output(folder: layout.root, what: "was made with another configuration (config hash "
                    + "\(old.prefix(12)), now \(configHash.prefix(12))); pass --force to replace its outputs, or choose another --output")
            }
            for s in 0..<max(plan.count, (markers.map(\.shard).max() ?? -1) + 1) where partition.owns(s) { removeShard(s) }
            for p in [layout.summary, layout.report, layout.regression] { try? fm.removeItem(atPath: p) }
        }
        var done: Set<Int> = []
        for s in 0..<plan.count where partition.owns(s) {
            if isComplete(s, configHash: configHash, rows: plan.rows(of: s), verify: verify) { done.insert(s) } else { removeShard(s) }
        }
        if partition.count == 1 {
            // stray `manifest.json.PID.tmp` and the like; with parts in one folder another
            // part may be writing these right now, so then they are left alone
            for name in (try? fm.contentsOfDirectory(atPath: layout.root)) ?? [] where name.hasSuffix(".tmp") {
                try? fm.removeItem(atPath: layout.root + "/" + name)
            }
        }
        return done
    }

    /// A shard is done when its marker matches the config and rows and every file it lists
    /// exists with the recorded size and, with `verify`, the recorded SHA-256 (a flipped byte
    /// keeps the size: resume and report re-hash by default, as merge does).
    public func isComplete(_ s: Int, configHash: String, rows: Range<Int>, verify: Bool = false) -> Bool {
        guard let m = try? DoneMarker.read(path: layout.done(s)), m.shard == s, m.configHash == configHash, m.rows == rows, !m.files.isEmpty else {
            return false
        }
        return m.files.allSatisfy { path, record in
            guard let file = try? InputFile(path: layout.path(path)), file.size == record.bytes else { return false }
            return !verify || (try? file.sha256()) == record.sha256
        }
    }

    /// Removes every file of shard `s`, final or temporary (marker first: a shard without a
    /// marker is never taken as done).
    func removeShard(_ s: Int) {
        let fm = FileManager.default
        for rel in [layout.doneRelative(s), layout.tarRelative(s), layout.folderRelative(s), layout.metricsRelative(s)] {
            let p = layout.path(rel)
            try? fm.removeItem(atPath: p)
            try? fm.removeItem(atPath: p + ".tmp")
        }
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        if let u = ns.userInfo[NSUnderlyingErrorKey] as? NSError, let p = POSIXErrorCode(rawValue: Int32(u.code)) {
            return String(cString: strerror(p.rawValue))
        }
        return ns.localizedDescription
    }
}
