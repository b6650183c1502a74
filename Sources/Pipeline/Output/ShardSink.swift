import FileIO
import Foundation
import Media
#if canImport(Glibc)
import Glibc
#endif

/// Receives the samples of one shard in order and publishes them atomically.
protocol ShardSink: AnyObject {
    func add(_ sample: EncodedSample) throws
    /// Makes the shard visible under its final name; returns path (relative to OUT) -> record.
    func publish() throws -> [String: FileRecord]
}

/// A WebDataset shard: one ustar file streamed to `shard-N.tar.tmp`, renamed when complete.
final class TarShardSink: ShardSink {
    let relative: String
    let file: DurableFile
    let tar: TarWriter

    init(layout: OutputLayout, shard: Int) throws {
        relative = layout.tarRelative(shard)
        let f = try DurableFile(path: layout.path(relative))
        file = f
        tar = TarWriter { try f.write($0) }
    }

    func add(_ sample: EncodedSample) throws {
        for (name, bytes) in sample.files { try tar.append(name: name, data: bytes) }
    }

    func publish() throws -> [String: FileRecord] {
        try tar.finish()
        return [relative: try file.commit()]
    }
}

/// Plain files in `shards/shard-N/`, written into `shards/shard-N.tmp/`, each fsynced, then
/// the folder renamed into place.
final class FolderShardSink: ShardSink {
    let relative: String
    let layout: OutputLayout
    var records: [String: FileRecord] = [:]
    var published = false

    init(layout: OutputLayout, shard: Int) throws {
        self.layout = layout
        relative = layout.folderRelative(shard)
        let tmp = layout.path(relative) + ".tmp"
        try? FileManager.default.removeItem(atPath: tmp)
        do { try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true) } catch {
            throw PipelineError.output(folder: layout.root, what: "cannot create \(tmp): \(error.localizedDescription)")
        }
        Temporaries.add(tmp)
    }

    deinit {
        let tmp = layout.path(relative) + ".tmp"
        Temporaries.remove(tmp)
        if !published { try? FileManager.default.removeItem(atPath: tmp) }
    }

    func add(_ sample: EncodedSample) throws {
        let tmp = layout.path(relative) + ".tmp"
        for (name, bytes) in sample.files {
            let f = try DurableFile(path: tmp + "/" + name)
            try f.write(bytes)
            records[relative + "/" + name] = try f.commit()
        }
    }

    func publish() throws -> [String: FileRecord] {
        let final = layout.path(relative)
        try? FileManager.default.removeItem(atPath: final)
        guard rename(final + ".tmp", final) == 0 else {
            let e = errno
            throw PipelineError.output(folder: layout.root, what: "cannot rename \(final).tmp into place: \(String(cString: strerror(e)))")
        }
        published = true
        DurableFile.syncFolder(layout.shardsDir)
        return records
    }
}
