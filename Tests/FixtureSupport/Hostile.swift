import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs an executable on hostile input the way the reliability suite demands: it must exit
/// (not be killed by a signal), within `seconds`, with at most `maxRSS` bytes resident, and
/// say one line `error: ...`. A hang is killed at the deadline and reported as one.
public enum Hostile {
    public struct Outcome {
        public let status: Int32          // exit status; -N when killed by signal N
        public let output: String
        public let seconds: Double
        public let maxRSS: Int            // bytes
        public let timedOut: Bool
    }

    public static func run(_ executable: String, _ args: [String], seconds: Double = 10,
                           environment: [String: String] = [:]) throws -> Outcome {
        let path = try CLI.binary(executable)
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString).log").path
        defer { unlink(log) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv = ([path] + args).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard rc == 0 else { throw NSError(domain: "Hostile", code: Int(rc)) }
        let start = Date()
        var status: Int32 = 0
        var usage = rusage()
        var timedOut = false
        while true {
            let r = wait4(pid, &status, WNOHANG, &usage)
            if r == pid { break }
            if Date().timeIntervalSince(start) > seconds {
                timedOut = true
                kill(pid, SIGKILL)
                _ = wait4(pid, &status, 0, &usage)
                break
            }
            usleep(10_000)
        }
        let signaled = (status & 0x7f) != 0
        let code: Int32 = signaled ? -(status & 0x7f) : (status >> 8) & 0xff
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        return Outcome(status: code, output: text, seconds: Date().timeIntervalSince(start),
                       maxRSS: Int(usage.ru_maxrss) * 1024, timedOut: timedOut)
    }

    /// The suite's contract for one case: non-zero exit, no signal, no hang, one `error:` line,
    /// within 1 GB. Returns the line.
    @discardableResult
    public static func assertCleanFailure(_ o: Outcome, _ what: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        XCTAssertFalse(o.timedOut, "\(what): still running after \(o.seconds) s", file: file, line: line)
        XCTAssertGreaterThan(o.status, 0, "\(what): exit \(o.status) (negative = killed by that signal): \(o.output)", file: file, line: line)
        let lines = o.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "\(what): one line expected: \(o.output)", file: file, line: line)
        XCTAssertTrue(o.output.hasPrefix("error: "), "\(what): \(o.output)", file: file, line: line)
        XCTAssertLessThan(o.maxRSS, 1 << 30, "\(what): \(o.maxRSS >> 20) MiB resident", file: file, line: line)
        return String(lines.first ?? "")
    }
}
