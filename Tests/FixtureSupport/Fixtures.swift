import Foundation
import XCTest

/// Finds the golden fixtures: `$CFCLIP_FIXTURES`, else `../shared/fixtures` next to the package
/// root. Where they are missing the test is skipped with a message saying where it looked;
/// with `CI=true` a missing fixture folder is a failure instead.
public enum Fixtures {
    public struct Missing: Error, CustomStringConvertible { public let description: String }

    /// The package root: this file is `<root>/Tests/FixtureSupport/Fixtures.swift`.
    public static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var root: URL {
        if let env = ProcessInfo.processInfo.environment["CFCLIP_FIXTURES"], !env.isEmpty {
            return URL(fileURLWithPath: env)
        }
        return packageRoot.appendingPathComponent("../shared/fixtures").standardizedFileURL
    }

    /// The fixture folder `name` (e.g. "formats"), or a skip / CI failure when it is absent.
    public static func folder(_ name: String) throws -> URL {
        let url = root.appendingPathComponent(name)
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue {
            return url
        }
        let message = "fixture folder not found at \(url.path) (looked in $CFCLIP_FIXTURES, else ../shared/fixtures from the package root)"
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw Missing(description: message) }
        throw XCTSkip(message)
    }

    /// A file inside a fixture folder.
    public static func file(_ folder: String, _ name: String) throws -> String {
        try self.folder(folder).appendingPathComponent(name).path
    }
}

/// A scratch directory per test, removed afterwards.
public final class TemporaryDirectory {
    public let url: URL
    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("cfclip-checkpoints-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }

    public func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let path = url.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }
}

extension Fixtures {
    /// The CLIP BPE vocabulary beside the fixtures (`../clip/bpe_simple_vocab_16e6.txt.gz`).
    public static func clipVocabulary() throws -> String {
        let url = root.appendingPathComponent("../clip/bpe_simple_vocab_16e6.txt.gz").standardizedFileURL
        if FileManager.default.fileExists(atPath: url.path) { return url.path }
        let message = "CLIP vocabulary not found at \(url.path)"
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw Missing(description: message) }
        throw XCTSkip(message)
    }
}
