import Foundation
import XCTest

/// Runs the built `cfclip` executable (release build beside the tests) and captures its output.
public enum CLI {
    public struct Result { public let status: Int32; public let output: String }

    public static func binary(_ name: String = "cfclip") throws -> String {
        // the test bundle sits in the same build folder as the executables
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [dir, dir.deletingLastPathComponent(), Fixtures.packageRoot.appendingPathComponent(".build/release")] {
            let p = candidate.appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        let message = "\(name) executable not found next to the tests (\(dir.path))"
        // CI builds every executable before the tests: there a missing one is a failure, not a skip
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw Fixtures.Missing(description: message) }
        throw XCTSkip(message)
    }

    public static func run(_ args: [String], executable: String = "cfclip", environment: [String: String] = [:]) throws -> Result {
        try runTool(try binary(executable), args, environment: environment)
    }

    /// Runs any program (e.g. /usr/bin/tar) and captures stdout and stderr together.
    public static func runTool(_ path: String, _ args: [String], environment: [String: String] = [:]) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: path)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}

/// The headless browser the page tests drive (scripts/headless_chromium.py).
public enum Browser {
    /// Skips the test, saying what is missing, where Chromium, its driver or selenium is not installed.
    public static func require() throws {
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing (scripts/setup.sh installs chromium, chromium-driver and python3-selenium)")
        }
        guard try CLI.runTool("/usr/bin/python3", ["-c", "import selenium"]).status == 0 else {
            throw XCTSkip("python3 cannot import selenium (scripts/setup.sh installs python3-selenium)")
        }
    }

    /// Runs scripts/NAME with Debian's python3 (selenium comes from python3-selenium), at most `seconds`.
    public static func script(_ name: String, _ args: [String], seconds: Int = 300) throws -> CLI.Result {
        let path = Fixtures.packageRoot.appendingPathComponent("scripts/" + name).path
        return try CLI.runTool("/usr/bin/timeout", [String(seconds), "/usr/bin/python3", path] + args)
    }
}
