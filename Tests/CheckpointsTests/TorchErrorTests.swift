@testable import Checkpoints
import Foundation
import FixtureSupport
import XCTest

/// Damaged and hostile torch files give one-line errors that name the file and the problem,
/// never a crash.
final class TorchErrorTests: XCTestCase {
    private func assertFails(_ path: String, contains: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try StateDict.load(path), file: file, line: line) { error in
            XCTAssertTrue(error is CheckpointError, "\(type(of: error))", file: file, line: line)
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path + ":"), "message should name the file: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(contains), "message should say '\(contains)': \(text)", file: file, line: line)
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
        }
    }

    private func fixtureBytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: try Fixtures.file("formats", name))))
    }

    func testTruncatedZip() throws {
        let dir = try TemporaryDirectory()
        let bytes = try fixtureBytes("zip.pt")
        assertFails(try dir.write("half.pt", Array(bytes.prefix(bytes.count / 2))), contains: "truncated")
        assertFails(try dir.write("tail.pt", Array(bytes.prefix(bytes.count - 10))), contains: "truncated")
    }

    /// Every prefix and many single-byte corruptions of both formats fail cleanly.
    func testEveryTruncationAndCorruptionFailsCleanly() throws {
        let dir = try TemporaryDirectory()
        for name in ["zip.pt", "legacy.pt"] {
            let bytes = try fixtureBytes(name)
            for n in stride(from: 0, to: bytes.count, by: 3) {
                let path = try dir.write("cut-\(name)", Array(bytes.prefix(n)))
                XCTAssertThrowsError(try StateDict.load(path), "\(name) cut to \(n) bytes") { error in
                    XCTAssertTrue(error is CheckpointError, "\(name) cut to \(n): \(error)")
                }
            }
            var seed: UInt64 = 0x5eed
            for _ in 0 ..< 600 {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407 // deterministic LCG
                var damaged = bytes
                let at = Int(seed >> 33) % bytes.count
                damaged[at] ^= UInt8(truncatingIfNeeded: seed >> 13) | 1
                let path = try dir.write("flip-\(name)", damaged)
                do { _ = try StateDict.load(path) } catch { XCTAssertTrue(error is CheckpointError, "\(name) byte \(at): \(error)") }
            }
        }
    }

    func testZipWithoutDataPkl() throws {
        let dir = try TemporaryDirectory()
        let zip = TestZip.make([("archive/version", Array("3\n".utf8)), ("archive/data/0", [UInt8](repeating: 0, count: 16))])
        assertFails(try dir.write("nodata.pt", zip), contains: "no data.pkl")
    }

    func testStorageRecordTooShort() throws {
        let dir = try TemporaryDirectory()
        // A [2, 3] float32 tensor needs 24 bytes; the record holds 20.
        let zip = TestZip.make([("archive/data.pkl", TestPickle.stateDict(shape: [2, 3], numel: 6)),
                                ("archive/data/0", [UInt8](repeating: 0, count: 20))])
        assertFails(try dir.write("short.pt", zip), contains: "too short")
        // The same file with a full record loads.
        let good = TestZip.make([("archive/data.pkl", TestPickle.stateDict(shape: [2, 3], numel: 6)),
                                 ("archive/data/0", [UInt8](repeating: 0, count: 24))])
        XCTAssertEqual(try StateDict.load(try dir.write("good.pt", good)).tensors["w"]?.shape, [2, 3])
        // A tensor larger than the storage its persistent id declares.
        let lying = TestZip.make([("archive/data.pkl", TestPickle.stateDict(shape: [2, 3], numel: 4)),
                                  ("archive/data/0", [UInt8](repeating: 0, count: 24))])
        assertFails(try dir.write("lying.pt", lying), contains: "holds only 4 elements")
        // A storage the pickle names but the archive lacks.
        let missing = TestZip.make([("archive/data.pkl", TestPickle.stateDict(shape: [2, 3], numel: 6))])
        assertFails(try dir.write("missing.pt", missing), contains: "missing from the archive")
    }

    func testLegacyWithWrongMagic() throws {
        let dir = try TemporaryDirectory()
        var bytes = try fixtureBytes("legacy.pt")
        XCTAssertEqual(Array(bytes[0 ..< 4]), [0x80, 0x02, 0x8a, 0x0a]) // PROTO 2, LONG1 of 10 bytes
        bytes[4] ^= 0xff
        assertFails(try dir.write("magic.pt", bytes), contains: "magic number")
        // A plain pickle of a dict is not a torch file either.
        let dict = TestPickle.proto + [0x7d] + TestPickle.stop
        assertFails(try dir.write("dict.pkl", dict), contains: "magic number")
    }

    func testUnknownGlobalIsRefusedByName() throws {
        let dir = try TemporaryDirectory()
        let evil = TestPickle.proto + TestPickle.global("os", "system") + TestPickle.unicode("echo hi")
            + [0x85, 0x52] + TestPickle.stop // TUPLE1 REDUCE
        let zip = TestZip.make([("archive/data.pkl", evil)])
        assertFails(try dir.write("evil.pt", zip), contains: "global 'os.system', which is not on the allow-list")
        // TorchScript classes are only allowed inside TorchScript archives.
        let script = TestPickle.proto + TestPickle.global("__torch__.model", "Net") + [0x29, 0x81] + TestPickle.stop
        assertFails(try dir.write("script.pt", TestZip.make([("archive/data.pkl", script)])), contains: "outside a TorchScript archive")
        let archive = TestZip.make([("archive/data.pkl", script), ("archive/constants.pkl", TestPickle.proto + [0x29] + TestPickle.stop)])
        let value = try TorchFile.load(path: try dir.write("script-ok.pt", archive))
        guard case let .object(className, _) = value else { return XCTFail("\(value)") }
        XCTAssertEqual(className, "__torch__.model.Net")
    }

    func testNotACheckpoint() throws {
        let dir = try TemporaryDirectory()
        assertFails(try dir.write("text.pt", Array("hello, this is not a checkpoint at all".utf8)), contains: "not a checkpoint")
        assertFails(try dir.write("empty.pt", []), contains: "too short")
        XCTAssertThrowsError(try StateDict.load(dir.url.appendingPathComponent("absent.pt").path)) {
            XCTAssertTrue("\($0)".contains("no such file"), "\($0)")
        }
    }
}
