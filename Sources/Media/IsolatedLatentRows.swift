import FileIO
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Latent rows decoded by `cfclip-hdf5-reader`, a child process running `InProcessLatentRows`:
/// libhdf5 dereferences NULL or loops on some damaged files (Fuzz/crashes/hdf5), and there
/// that is an error naming the file instead of the end of a run.
///
/// Protocol on the child's stdin/stdout (native byte order, one machine):
///   child -> header: status, then rank: Int64, dims: Int64 x rank, chunkRows: Int64 (0 = none)
///   parent -> request: lower: Int64, upper: Int64
///   child -> rows: status, then float32 x (upper - lower) x row size
///   status: UInt8 0 = ok, 1 = decode error, 2 = I/O error, then length: UInt32 + UTF-8 message
final class IsolatedLatentRows: LatentRows, @unchecked Sendable {
    static let executableName = "cfclip-hdf5-reader"
    let path: String
    let dataset: String
    let child: ChildProcess
    let header: LatentHeader
    let seconds: Double
    let lock = NSLock()

    /// The reader's limits, read from the environment in this one place: seconds per answer
    /// (`CFCLIP_HDF5_TIMEOUT`, 300) and the child's address space (`CFCLIP_HDF5_MEMORY`, 1G).
    static var timeoutSeconds: Double { Double(ProcessInfo.processInfo.environment["CFCLIP_HDF5_TIMEOUT"] ?? "") ?? 300 }
    static var memoryText: String { ProcessInfo.processInfo.environment["CFCLIP_HDF5_MEMORY"] ?? "1G" }

    init(path: String, dataset: String, allowExternalStorage: Bool) throws {
        self.path = path
        self.dataset = dataset
        seconds = Self.timeoutSeconds
        let exe = ChildProcess.sibling(named: Self.executableName, environment: "CFCLIP_HDF5_READER")
        do {
            child = try ChildProcess(executable: exe, arguments: [path, dataset, allowExternalStorage ? "1" : "0"])
        } catch {
            throw MediaError.io(file: path, what: "cannot start the HDF5 reader \(exe) (\(error)); it is built with cfclip, or set CFCLIP_HDF5_READER")
        }
        let (c, s, d) = (child, seconds, dataset)
        header = try Self.guarded(path, "opening dataset '\(dataset)'") {
            try Self.status(c, s, path)
            let rank = Int(try c.receive(Int64.self, seconds: s))
            guard (0...32).contains(rank) else { throw MediaError.decode(file: path, what: "HDF5 reader sent rank \(rank) for '\(d)'") }
            var shape: [Int] = []
            for _ in 0..<rank { shape.append(Int(try c.receive(Int64.self, seconds: s))) }
            let chunk = Int(try c.receive(Int64.self, seconds: s))
            return LatentHeader(shape: shape, chunkRows: chunk > 0 ? chunk : nil)
        }
    }

    func rows(_ range: Range<Int>) throws -> (shape: [Int], values: [Float]) {
        lock.lock(); defer { lock.unlock() }
        return try Self.guarded(path, "reading rows \(range) of dataset '\(dataset)'") {
            let request = [Int64(range.lowerBound), Int64(range.upperBound)]
            try request.withUnsafeBytes { try child.send($0) }
            try Self.status(child, seconds, path)
            var shape = header.shape
            shape[0] = range.count
            var values = [Float](repeating: 0, count: shape.reduce(1, *))
            try values.withUnsafeMutableBytes { try child.receive(into: $0, seconds: seconds) }
            return (shape, values)
        }
    }

    /// Reads a status byte; an error status becomes the child's MediaError.
    static func status(_ child: ChildProcess, _ seconds: Double, _ path: String) throws {
        let s = try child.receive(UInt8.self, seconds: seconds)
        if s == 0 { return }
        let n = Int(try child.receive(UInt32.self, seconds: seconds))
        guard n <= 1 << 16 else { throw MediaError.decode(file: path, what: "HDF5 reader sent a \(n)-byte message") }
        var bytes = [UInt8](repeating: 0, count: n)
        try bytes.withUnsafeMutableBytes { try child.receive(into: $0, seconds: seconds) }
        let what = String(decoding: bytes, as: UTF8.self)
        throw s == 2 ? MediaError.io(file: path, what: what) : MediaError.decode(file: path, what: what)
    }

    /// A child that died or hung becomes one error naming the file and what was being read.
    static func guarded<T>(_ path: String, _ doing: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let f as ChildProcess.Failure {
            switch f {
            case .ended(let how):
                let memory = Self.memoryText
                throw MediaError.decode(file: path, what: "the HDF5 library failed on this file while \(doing) (its reader process \(how)); the file is damaged or not an HDF5 latent file (or it needs more than the reader's CFCLIP_HDF5_MEMORY=\(memory))")
            case .timedOut(let s):
                throw MediaError.io(file: path, what: "the HDF5 reader did not answer within \(Int(s)) s while \(doing) (a damaged file, or a stalled file system; CFCLIP_HDF5_TIMEOUT sets the limit)")
            case .cannotStart(let why):
                throw MediaError.io(file: path, what: "cannot start the HDF5 reader: \(why)")
            }
        }
    }

    /// The child's side: answers the header, then one request after another until end-of-file.
    /// Never returns.
    static func serve(arguments: [String]) -> Never {
        signal(SIGINT, SIG_IGN)      // the parent handles interrupts; a hung child is killed by it
        signal(SIGTERM, SIG_IGN)
        signal(SIGPIPE, SIG_DFL)
        // a damaged file can make libhdf5 ask for gigabytes (fuzz-hdf5 kept 4 GB local-heap
        // requests, libhdf5-oom-*): the child's address space is capped (CFCLIP_HDF5_MEMORY,
        // default 1G: the chunk cache, two slabs and a large inflated chunk fit many times), so
        // the request fails here instead of pressing on the machine
        let cap = rlim_t(ByteCount.parse(memoryText) ?? 1 << 30)
        var memory = rlimit(rlim_cur: cap, rlim_max: cap)
        setrlimit(Int32(RLIMIT_AS.rawValue), &memory)
        guard arguments.count == 3 else {
            FileHandle.standardError.write("usage: \(executableName) FILE DATASET ALLOW_EXTERNAL(0|1); started by cfclip\n".data(using: .utf8)!)
            exit(2)
        }
        func write(_ bytes: UnsafeRawBufferPointer) {
            var done = 0
            while done < bytes.count {
                let n = Glibc.write(1, bytes.baseAddress! + done, bytes.count - done)
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { exit(0) }       // the parent is gone
                done += n
            }
        }
        func send(_ values: [Int64]) { values.withUnsafeBytes { write($0) } }
        func fail(_ error: Error) {
            let (code, what): (UInt8, String)
            switch error {
            case MediaError.io(_, let w): (code, what) = (2, w)
            case MediaError.decode(_, let w): (code, what) = (1, w)
            default: (code, what) = (1, "\(error)")
            }
            let bytes = Array(what.utf8.prefix(1 << 16))
            withUnsafeBytes(of: code) { write($0) }
            withUnsafeBytes(of: UInt32(bytes.count)) { write($0) }
            bytes.withUnsafeBytes { write($0) }
        }
        // a hang inside the library outlives no parent: SIGALRM ends the child after the
        // parent's own deadline
        let limit = UInt32(min(timeoutSeconds, 86_400)) + 30
        let ok: [UInt8] = [0]
        let reader: InProcessLatentRows
        alarm(limit)
        do {
            reader = try InProcessLatentRows(path: arguments[0], dataset: arguments[1], allowExternalStorage: arguments[2] == "1")
        } catch { fail(error); exit(0) }
        ok.withUnsafeBytes { write($0) }
        alarm(0)
        send([Int64(reader.header.shape.count)] + reader.header.shape.map { Int64($0) } + [Int64(reader.header.chunkRows ?? 0)])
        var request = [Int64](repeating: 0, count: 2)
        while true {
            let got = request.withUnsafeMutableBytes { buf -> Bool in
                var done = 0
                while done < buf.count {
                    let n = read(0, buf.baseAddress! + done, buf.count - done)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return false }
                    done += n
                }
                return true
            }
            guard got else { exit(0) }
            guard request[0] <= request[1] else { fail(MediaError.decode(file: arguments[0], what: "rows \(request[0])..<\(request[1]) requested")); continue }
            alarm(limit)
            do {
                let (_, values) = try reader.rows(Int(request[0])..<Int(request[1]))
                ok.withUnsafeBytes { write($0) }
                values.withUnsafeBytes { write($0) }
            } catch { fail(error) }
            alarm(0)
        }
    }
}

/// Entry point of `cfclip-hdf5-reader` (Sources/cfclip-hdf5-reader).
public func serveLatentReader(arguments: [String]) -> Never { IsolatedLatentRows.serve(arguments: arguments) }
