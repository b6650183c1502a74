#if canImport(Glibc)
import Glibc
#endif

/// The one way this project reads a file from outside. It opens without blocking and refuses
/// anything but a regular file (a FIFO would wait forever for a writer, `/dev/zero` never
/// ends, a folder has no bytes), reads with `pread` and turns every failure - an I/O error on
/// a network filesystem, a file that shrinks while read - into a `FileIOError`. Checkpoints are
/// read into memory rather than mapped: a mapped page that cannot be read kills the process
/// with SIGBUS, which no error handling can catch.
public final class InputFile {
    public let path: String
    public let size: Int
    private var fd: Int32

    /// A test seam: when set, every read asks it first; a non-zero errno it returns fails that
    /// read as the kernel would have (EIO mid-file, as NFS and Lustre give).
    nonisolated(unsafe) public static var faultInjection: ((_ path: String, _ offset: Int) -> Int32)?

    public init(path: String) throws {
        self.path = path
        let fd = Glibc.open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let e = errno
            throw FileIOError(path: path, what: e == ENOENT ? "no such file" : "cannot open: \(errorText(e))", code: e)
        }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let e = errno
            close(fd)
            throw FileIOError(path: path, what: "cannot stat: \(errorText(e))", code: e)
        }
        guard let kind = InputFile.nonRegularKind(info.st_mode) else {
            // back to blocking reads: O_NONBLOCK only kept open() from waiting
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            self.fd = fd
            size = Int(info.st_size)
            return
        }
        close(fd)
        throw FileIOError(path: path, what: "is \(kind), not a regular file")
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Checks that `path` is a regular file without opening it (for libraries that open files
    /// themselves, such as HDF5).
    public static func requireRegularFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let e = errno
            throw FileIOError(path: path, what: e == ENOENT ? "no such file" : "cannot stat: \(errorText(e))", code: e)
        }
        if let kind = nonRegularKind(info.st_mode) { throw FileIOError(path: path, what: "is \(kind), not a regular file") }
    }

    static func nonRegularKind(_ mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        default: return "a special file"
        }
    }

    /// Reads exactly `count` bytes at `offset` into `buffer`.
    public func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        var done = 0
        while done < count {
            if let inject = InputFile.faultInjection {
                let e = inject(path, offset + done)
                if e != 0 { throw FileIOError(path: path, what: "read failed at byte \(offset + done): \(errorText(e))", code: e) }
            }
            let n = pread(fd, buffer + done, min(count - done, 1 << 30), off_t(offset + done))
            if n < 0 {
                let e = errno
                if e == EINTR { continue }
                throw FileIOError(path: path, what: "read failed at byte \(offset + done): \(errorText(e))", code: e)
            }
            if n == 0 {
                throw FileIOError(path: path, what: "ends at byte \(offset + done), expected \(offset + count) bytes (truncated while being read?)")
            }
            done += n
        }
    }

    /// The bytes `offset..<offset+count`.
    public func bytes(at offset: Int, count: Int) throws -> [UInt8] {
        try [UInt8](unsafeUninitializedCapacity: count) { buf, initialized in
            if count > 0 { try read(into: buf.baseAddress!, count: count, at: offset) }
            initialized = count
        }
    }

    /// The whole file.
    public func readAll() throws -> [UInt8] { try bytes(at: 0, count: size) }

    /// Calls `body` with consecutive pieces of at most `chunk` bytes (for hashing and copying).
    public func forEachChunk(_ chunk: Int = 4 << 20, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(chunk, 1), alignment: 64)
        defer { buffer.deallocate() }
        var offset = 0
        while offset < size {
            let n = min(chunk, size - offset)
            try read(into: buffer, count: n, at: offset)
            try body(UnsafeRawBufferPointer(start: buffer, count: n))
            offset += n
        }
    }

    /// SHA-256 of the whole file, as lowercase hex.
    public func sha256() throws -> String {
        var hash = SHA256()
        try forEachChunk { hash.update($0) }
        return hash.hexDigest()
    }

    /// Convenience: the whole file at `path`.
    public static func read(_ path: String) throws -> [UInt8] { try InputFile(path: path).readAll() }
}
