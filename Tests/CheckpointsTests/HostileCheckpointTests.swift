@testable import Checkpoints
import FileIO
import FixtureSupport
import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Checkpoints built to hurt the loader (issue #13): each must fail as `cfclip inspect` with one
/// `error:` line, exit 1, no signal, within 10 s and 1 GB.
final class HostileCheckpointTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = dir.appendingPathComponent(name).path
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func inspect(_ path: String, _ what: String, environment: [String: String] = [:]) throws -> String {
        Hostile.assertCleanFailure(try Hostile.run("cfclip", ["inspect", path], environment: environment), what)
    }

    /// 60 levels of 2-tuples of the level below: 2^60 values once the shared references are
    /// followed. Caught by the object budget, not by the nesting guard.
    static func billionLaughs(levels: Int = 60) -> [UInt8] {
        var p = TestPickle.proto + [0x29, 0x71, 0]             // () BINPUT 0
        for i in 1...levels { p += [0x68, UInt8(i - 1), 0x68, UInt8(i - 1), 0x86, 0x71, UInt8(i)] } // (t, t)
        return p + TestPickle.stop
    }

    func testBillionLaughsIsRefusedByTheObjectBudget() throws {
        let p = try write("laughs.pt", TestZip.make([("archive/data.pkl", Self.billionLaughs())]))
        XCTAssertLessThan(try FileManager.default.attributesOfItem(atPath: p)[.size] as! Int, 1024)
        let e = try inspect(p, "billion laughs")
        XCTAssertTrue(e.contains("objects") && e.contains("CFCLIP_MAX_LOAD_OBJECTS"), e)
    }

    func testStrideZeroViewsAreRefusedByTheByteBudget() throws {
        // [255, 255, 255, 4] float32 read from one stored element: 265 MB from 4 bytes
        let pkl = TestPickle.stateDict(shape: [255, 255, 255, 4], numel: 1, strides: [0, 0, 0, 0])
        let p = try write("expand.pt", TestZip.make([("archive/data.pkl", pkl), ("archive/data/0", [0, 0, 128, 63])]))
        let e = try inspect(p, "stride-0 view")
        XCTAssertTrue(e.contains("CFCLIP_MAX_LOAD_BYTES"), e)
        // a trusted file loads once the limit is raised
        let ok = try Hostile.run("cfclip", ["inspect", p], environment: ["CFCLIP_MAX_LOAD_BYTES": "1G"])
        XCTAssertEqual(ok.status, 0, ok.output)
    }

    func testDamagedStorageFailsItsCRC() throws {
        let pkl = TestPickle.stateDict(shape: [2], numel: 2)
        var zip = TestZip.make([("archive/data.pkl", pkl), ("archive/data/0", [0, 0, 128, 63, 0, 0, 0, 64])])
        let storage: [UInt8] = [0, 0, 128, 63, 0, 0, 0, 64]
        let at = (0...(zip.count - storage.count)).first { Array(zip[$0..<($0 + storage.count)]) == storage }!
        zip[at + 3] ^= 0x01   // the size stays, the value changes
        let e = try inspect(try write("flipped.pt", zip), "flipped storage byte")
        XCTAssertTrue(e.contains("CRC-32"), e)
    }

    func testDuplicateEntryIsRefused() throws {
        let good = TestPickle.stateDict(shape: [1], numel: 1)
        let zip = TestZip.make([("archive/data.pkl", good), ("archive/data.pkl", TestPickle.proto + [0x4e] + TestPickle.stop),
                                ("archive/data/0", [0, 0, 128, 63])])
        let e = try inspect(try write("twice.pt", zip), "duplicate data.pkl")
        XCTAssertTrue(e.contains("twice"), e)
    }

    func testSpecialFilesFailWithoutHanging() throws {
        let fifo = dir.appendingPathComponent("fifo.pt").path
        XCTAssertEqual(mkfifo(fifo, 0o644), 0)
        for (path, expect) in [(dir.path, "directory"), (fifo, "FIFO"), ("/dev/zero", "character device"), ("/proc/self/mem", "too short")] {
            let e = try inspect(path, path)
            XCTAssertTrue(e.contains(expect), e)
        }
    }

    func testAReadErrorMidFileIsAnError() throws {
        let pkl = TestPickle.stateDict(shape: [2], numel: 2)
        let p = try write("eio.pt", TestZip.make([("archive/data.pkl", pkl), ("archive/data/0", [0, 0, 128, 63, 0, 0, 0, 64])]))
        XCTAssertNoThrow(try loadCheckpointValue(path: p))
        InputFile.faultInjection = { path, offset in path == p && offset >= 0 ? EIO : 0 }
        defer { InputFile.faultInjection = nil }
        XCTAssertThrowsError(try loadCheckpointValue(path: p)) { XCTAssertTrue("\($0)".contains("Input/output error"), "\($0)") }
    }

    func testLimitsFromTheEnvironment() throws {
        XCTAssertEqual(try LoadLimits.fromEnvironment(["CFCLIP_MAX_LOAD_BYTES": "2G"]).maxBytes, 2 << 30)
        XCTAssertEqual(try LoadLimits.fromEnvironment(["CFCLIP_MAX_LOAD_OBJECTS": "500k"]).maxObjects, 500 << 10)
        XCTAssertThrowsError(try LoadLimits.fromEnvironment(["CFCLIP_MAX_LOAD_BYTES": "lots"]))
    }
}
