import FileIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps two runs from writing the same shards of one output folder: a lock file per part
/// (`OUT/.lock-part-I-of-N`, so the parts of one job may share a folder) holding the owner's
/// pid, host and start time. A lock left by a process of this host that no longer exists is
/// stale and taken over; one from another host is reported, since its liveness cannot be
/// checked from here. `--force` (which clears other configurations' shards) needs the folder
/// to itself: it takes every part's lock.
public final class FolderLock {
    public let path: String
    private var held = true

    public init(layout: OutputLayout, partition: Partition, exclusive: Bool) throws {
        path = layout.root + "/.lock-part-\(partition.index)-of-\(partition.count)"
        let me = "\(getpid()) \(Self.host) \(Int(Date().timeIntervalSince1970))\n"
        if exclusive {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: layout.root)) ?? [] where name.hasPrefix(".lock-part-") {
                let other = layout.root + "/" + name
                if other != path, let owner = Self.liveOwner(other) {
                    throw PipelineError.output(folder: layout.root, what: "is in use by pid \(owner) (\(name)); --force needs the folder to itself")
                }
            }
        }
        for _ in 0..<2 {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            if fd >= 0 {
                _ = me.withCString { Glibc.write(fd, $0, strlen($0)) }
                fsync(fd)
                close(fd)
                Temporaries.add(path)   // a stop by SIGINT/SIGTERM releases it too
                return
            }
            let e = errno
            guard e == EEXIST else { throw PipelineError.output(folder: layout.root, what: "cannot create the lock \(path): \(String(cString: strerror(e)))") }
            if let owner = Self.liveOwner(path) {
                throw PipelineError.output(folder: layout.root, what: "is in use by another run (pid \(owner)) of the same part; "
                    + "if that run is gone, remove \(path)")
            }
            unlink(path)   // stale: its process is gone
        }
        throw PipelineError.output(folder: layout.root, what: "cannot take the lock \(path) (another run keeps creating it)")
    }

    deinit { release() }

    public func release() {
        guard held else { return }
        held = false
        Temporaries.remove(path)
        unlink(path)
    }

    /// "pid on host" of a lock that may still be held, nil when it is stale (its pid is gone
    /// on this host) or unreadable garbage.
    static func liveOwner(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        let parts = text.split(separator: " ")
        guard parts.count >= 2, let pid = Int32(parts[0]) else { return nil }
        let host = String(parts[1])
        if host == Self.host {
            if kill(pid, 0) != 0 && errno == ESRCH { return nil }
            return "\(pid) on this host"
        }
        return "\(pid) on host \(printable(host, limit: 64))"
    }

    static var host: String {
        var buf = [CChar](repeating: 0, count: 256)
        gethostname(&buf, 255)
        return String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
