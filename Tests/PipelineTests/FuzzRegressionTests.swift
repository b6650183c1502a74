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

    /// HDF5 findings are read as the pipeline reads them (in the reader child); those not named
    /// `libhdf5-*` (crashes inside the HDF5 library itself, contained by the child) also in
    /// this process, so a crash of our own code comes back here.
    func testHDF5Findings() throws {
        for url in try inputs("hdf5") {
            for decoding in url.lastPathComponent.hasPrefix("libhdf5-") ? [LatentFile.Decoding.childProcess] : [.childProcess, .inProcess] {
                do {
                    let f = try LatentFile(path: url.path, decoding: decoding)
                    if f.count <= 4096 { _ = try f.read(0..<f.count, nLatent: f.rows ?? 1) }
                } catch {
                    XCTAssertTrue(error is MediaError, "\(url.lastPathComponent): \(error)")
                }
            }
        }
    }

    func testConfigFindings() throws {
        for url in try inputs("config") {
            _ = try? PipelineConfig.parse(String(decoding: try Data(contentsOf: url), as: UTF8.self), file: url.path, baseDirectory: "/nonexistent")
        }
    }
}
