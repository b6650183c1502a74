import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The one way this project writes a file: under `path.tmp` (hashed as it is written), then
/// fsynced, renamed to `path` and its folder fsynced, so a reader - or a rerun after a crash -
/// sees the whole file or none. Live temporaries are registered so that a stop by SIGINT or
/// SIGTERM (`StopSignals`) removes them.
public final class DurableFile {
    public let path: String
    public let temporary: String
    private var fd: Int32
    private var hash = SHA256()
    public private(set) var bytes = 0

    /// `shared`: a file several processes may write at once (the manifest, the summary, when
    /// parts share a folder), so the temporary name carries the process id.
    public init(path: String, shared: Bool = false) throws {
        self.path = path
        temporary = shared ? path + ".\(getpid()).tmp" : path + ".tmp"
        fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let e = errno
            throw FileIOError(path: path, what: "cannot create \(temporary): \(errorText(e))", code: e)
        }
        Temporaries.add(temporary)
    }

    deinit {
        if fd >= 0 {
            close(fd)
            unlink(temporary)
            Temporaries.remove(temporary)
        }
    }

    public func write(_ data: [UInt8]) throws {
        try data.withUnsafeBytes { try write($0) }
    }

    public func write(_ raw: UnsafeRawBufferPointer) throws {
        var p = raw.baseAddress
        var left = raw.count
        while left > 0, let q = p {
            let n = Glibc.write(fd, q, left)
            if n < 0 {
                let e = errno   // before anything else can change it
                if e == EINTR { continue }
                throw FileIOError(path: path, what: "writing \(temporary) failed: \(errorText(e))", code: e)
            }
            if n == 0 { throw FileIOError(path: path, what: "writing \(temporary) made no progress") }
            p = q + n
            left -= n
        }
        hash.update(raw)
        bytes += raw.count
    }

    /// Flushes, renames into place; returns the file's size and SHA-256.
    @discardableResult
    public func commit() throws -> FileRecord {
        if fsync(fd) != 0 {
            let e = errno
            throw FileIOError(path: path, what: "fsync of \(temporary) failed: \(errorText(e))", code: e)
        }
        let closed = close(fd), closeError = errno
        fd = -1
        guard closed == 0 else {
            unlink(temporary); Temporaries.remove(temporary)
            throw FileIOError(path: path, what: "closing \(temporary) failed: \(errorText(closeError))", code: closeError)
        }
        guard rename(temporary, path) == 0 else {
            let e = errno
            unlink(temporary); Temporaries.remove(temporary)
            throw FileIOError(path: path, what: "cannot rename \(temporary) into place: \(errorText(e))", code: e)
        }
        Temporaries.remove(temporary)
        Self.syncFolder(Self.folder(path))
        return FileRecord(bytes: bytes, sha256: hash.hexDigest())
    }

    /// Writes `data` durably in one go.
    @discardableResult
    public static func write(_ data: [UInt8], to path: String, shared: Bool = false) throws -> FileRecord {
        let f = try DurableFile(path: path, shared: shared)
        try f.write(data)
        return try f.commit()
    }

    /// fsync of a folder, so a rename in it survives a power cut.
    public static func syncFolder(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }

    public static func folder(_ path: String) -> String { URL(fileURLWithPath: path).deletingLastPathComponent().path }
}

/// Size and SHA-256 of a published file.
public struct FileRecord: Sendable, Equatable {
    public var bytes: Int
    public var sha256: String
    public init(bytes: Int, sha256: String) { self.bytes = bytes; self.sha256 = sha256 }
}

/// Temporary paths being written now (files and folders), removed when the process is stopped.
public enum Temporaries {
    private static let paths = Mutex<Set<String>>([])
    public static func add(_ p: String) { paths.withLock { _ = $0.insert(p) } }
    public static func remove(_ p: String) { paths.withLock { _ = $0.remove(p) } }
    /// Removes every registered temporary (files, and folders with what they hold).
    public static func removeAll() {
        let all = paths.withLock { s -> Set<String> in let c = s; s = []; return c }
        for p in all { try? FileManager.default.removeItem(atPath: p) }
    }
}
