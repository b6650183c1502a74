import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A helper process spoken to over one socket (its stdin and stdout): for C libraries that may
/// crash or hang on outside files (libhdf5), which then run where a crash is an error of this
/// process, not its end. Every receive has a deadline; a child that dies or stops answering is
/// killed and reported with its signal.
public final class ChildProcess: @unchecked Sendable {
    public let executable: String
    let pid: pid_t
    let socket: Int32
    var ended = false

    public enum Failure: Error, Equatable {
        case cannotStart(String)
        case ended(String)          // "was killed by signal 11 (Segmentation fault)", "exited with status 3"
        case timedOut(seconds: Double)
    }

    /// Starts `executable` with `arguments`; its stdin and stdout are one end of a socket pair,
    /// its stderr is discarded (the protocol carries its errors).
    public init(executable: String, arguments: [String]) throws {
        self.executable = executable
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0, &fds) == 0 else {
            throw Failure.cannotStart("socketpair: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[1], 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, nil, argv, environ)
        close(fds[1])
        guard rc == 0 else {
            close(fds[0])
            throw Failure.cannotStart("\(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        socket = fds[0]
    }

    deinit {
        close(socket)          // a live child reads end-of-file and exits; a hung one is killed
        if !ended { kill(pid, SIGKILL); var s: Int32 = 0; _ = waitpid(pid, &s, 0) }
    }

    /// Sends all of `bytes` (never raises SIGPIPE: a dead child is a `Failure.ended`).
    public func send(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = Glibc.send(socket, bytes.baseAddress! + done, bytes.count - done, Int32(MSG_NOSIGNAL))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw finish() }
            done += n
        }
    }

    /// Fills `buffer` completely, waiting at most `seconds` in all.
    public func receive(into buffer: UnsafeMutableRawBufferPointer, seconds: Double) throws {
        let deadline = Date().addingTimeInterval(seconds)
        var done = 0
        while done < buffer.count {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { throw stop(timedOutAfter: seconds) }
            var p = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let r = poll(&p, 1, Int32(min(left * 1000, 60_000).rounded(.up)))
            if r < 0 && errno == EINTR { continue }
            if r == 0 { continue }
            let n = recv(socket, buffer.baseAddress! + done, buffer.count - done, 0)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw finish() }
            done += n
        }
    }

    public func receive<T: FixedWidthInteger>(_: T.Type, seconds: Double) throws -> T {
        var v = T.zero
        try withUnsafeMutableBytes(of: &v) { try receive(into: $0, seconds: seconds) }
        return v
    }

    /// The child closed its end: collect it and say how it ended.
    func finish() -> Failure {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        ended = true
        if status & 0x7f != 0 {
            let sig = status & 0x7f
            return .ended("was killed by signal \(sig) (\(String(cString: strsignal(sig))))")
        }
        return .ended("exited with status \((status >> 8) & 0xff)")
    }

    func stop(timedOutAfter seconds: Double) -> Failure {
        kill(pid, SIGKILL)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        ended = true
        return .timedOut(seconds: seconds)
    }

    /// A helper executable built beside the running one (same build folder or install prefix).
    /// `environment` names a variable that overrides the location.
    public static func sibling(named name: String, environment: String) -> String {
        if let path = ProcessInfo.processInfo.environment[environment], !path.isEmpty { return path }
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink("/proc/self/exe", &buf, Int(PATH_MAX))
        let exe = n > 0 ? String(decoding: buf.prefix(n).map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        return (exe as NSString).deletingLastPathComponent + "/" + name
    }
}
