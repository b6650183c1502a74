import Checkpoints
import FixtureSupport
import Foundation
import Media
import Pipeline
import XCTest

/// Replays every kept fuzzer finding (Fuzz/crashes/NAME/) through the parser it crashed, in
/// this process: a regression brings the crash back and stops the suite.
final class FuzzRegressionTests: XCTestCase {
    func inputs(_ harness: String) throws -> [URL] {
        let dir = Fixtures.packageRoot.appendingPathComponent("Fuzz/crashes/\(harness)")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { !$0.hasPrefix(".") }.sorted().map { dir.appendingPathComponent($0) }
    }

    func testCheckpointFindings() throws {
        for url in try inputs("checkpoint") {
            let data = try Data(contentsOf: url)
            _ = data.withUnsafeBytes { try? loadCheckpointValue(bytes: $0, name: url.lastPathComponent) }
        }
    }

    func testHDF5Findings() throws {
        for url in try inputs("hdf5") {
            if let f = try? LatentFile(path: url.path), f.count <= 4096 { _ = try? f.read(0..<f.count, nLatent: f.rows ?? 1) }
        }
    }

    func testConfigFindings() throws {
        for url in try inputs("config") {
            _ = try? PipelineConfig.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self), file: url.path, baseDirectory: "/nonexistent")
        }
    }
}
