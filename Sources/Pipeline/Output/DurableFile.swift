import Checkpoints
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file written under `path.tmp`, hashed as it is written, then fsynced, renamed to `path`
/// and its folder fsynced: a reader (or a rerun after a crash) sees the whole file or none.
final class DurableFile {
    let path: String
    let temporary: String
    private var fd: Int32
    private var hash = SHA256()
    private(set) var bytes = 0

    /// `shared`: a file several processes may write at once (the manifest, the summary, when
    /// parts share a folder), so the temporary name carries the process id.
    init(path: String, shared: Bool = false) throws {
        self.path = path
        temporary = shared ? path + ".\(getpid()).tmp" : path + ".tmp"
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw PipelineError.output(folder: Self.folder(path), what: "cannot create \(temporary): \(Self.lastError())") }
    }

    deinit { if fd >= 0 { close(fd); unlink(temporary) } }

    func write(_ data: [UInt8]) throws {
        try data.withUnsafeBytes { raw in
            var p = raw.baseAddress
            var left = raw.count
            while left > 0, let q = p {
                let n = Glibc.write(fd, q, left)
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { throw PipelineError.output(folder: Self.folder(path), what: "writing \(temporary) failed: \(Self.lastError())") }
                p = q + n
                left -= n
            }
            hash.update(raw)
        }
        bytes += data.count
    }

    /// Flushes, renames into place; returns the file's record for the done-marker.
    func commit() throws -> FileRecord {
        guard fsync(fd) == 0 else { throw PipelineError.output(folder: Self.folder(path), what: "fsync of \(temporary) failed: \(Self.lastError())") }
        close(fd)
        fd = -1
        guard rename(temporary, path) == 0 else {
            let why = Self.lastError()
            unlink(temporary)
            throw PipelineError.output(folder: Self.folder(path), what: "cannot rename \(temporary) into place: \(why)")
        }
        Self.syncFolder(Self.folder(path))
        return FileRecord(bytes: bytes, sha256: hash.hexDigest())
    }

    /// Writes `data` durably in one go.
    @discardableResult
    static func write(_ data: [UInt8], to path: String, shared: Bool = false) throws -> FileRecord {
        let f = try DurableFile(path: path, shared: shared)
        try f.write(data)
        return try f.commit()
    }

    /// fsync of a folder, so a rename in it survives a power cut.
    static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    static func folder(_ path: String) -> String { URL(fileURLWithPath: path).deletingLastPathComponent().path }
    static func lastError() -> String { String(cString: strerror(errno)) }
}

/// Size and SHA-256 of a published file.
public struct FileRecord: Sendable, Equatable {
    public var bytes: Int
    public var sha256: String
}
