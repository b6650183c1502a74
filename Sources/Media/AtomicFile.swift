import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a file under a temporary name in the same folder, fsyncs it and renames it into
/// place, so a reader never sees half a file and a crash leaves the old one intact.
public enum AtomicFile {
    public static func write(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw MediaError.io(file: path, what: "cannot write (\(String(cString: strerror(errno))))") }
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n <= 0 { close(fd); unlink(tmp); throw MediaError.io(file: path, what: "write failed (\(String(cString: strerror(errno))))") }
            off += n
        }
        guard fsync(fd) == 0, close(fd) == 0 else { unlink(tmp); throw MediaError.io(file: path, what: "fsync failed") }
        guard rename(tmp, path) == 0 else {
            unlink(tmp)
            throw MediaError.io(file: path, what: "cannot rename into place (\(String(cString: strerror(errno))))")
        }
    }
}
