@testable import Checkpoints
import FixtureSupport
import XCTest

final class PickleTests: XCTestCase {
    private func unpickle(_ bytes: [UInt8], torchScript: Bool = false) throws -> PickleValue {
        try bytes.withUnsafeBytes { raw in
            let u = Unpickler(bytes: raw, file: "test.pkl", torchScript: torchScript)
            return try PickleFreezer(file: "test.pkl", budget: try LoadBudget(file: "test.pkl", fileSize: bytes.count)) { _ in throw CheckpointError.malformed(file: "test.pkl", what: "no storages") }
                .freeze(try u.load())
        }
    }

    /// pickle.dumps(2**70, 2), pickle.dumps(-2**70, 2), pickle.dumps(-1, 2) via LONG1.
    func testLongIntegers() throws {
        let big: [UInt8] = [0x80, 0x02, 0x8a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x2e]
        guard case .bigInt("1180591620717411303424") = try unpickle(big) else { return XCTFail() }
        let negative: [UInt8] = [0x80, 0x02, 0x8a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0x2e]
        guard case .bigInt("-1180591620717411303424") = try unpickle(negative) else { return XCTFail() }
        guard case .int(-1) = try unpickle([0x80, 0x02, 0x8a, 0x01, 0xff, 0x2e]) else { return XCTFail() }
        // 2**63 - 1 fits, 2**63 does not.
        guard case .int(Int64.max) = try unpickle([0x80, 0x02, 0x8a, 0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x2e]) else { return XCTFail() }
        guard case .bigInt("9223372036854775808") = try unpickle([0x80, 0x02, 0x8a, 0x09, 0, 0, 0, 0, 0, 0, 0, 0x80, 0x00, 0x2e]) else { return XCTFail() }
        XCTAssertEqual(decimalString(littleEndianTwosComplement: [0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]),
                       TorchFile.legacyMagic)
    }

    /// A memoised dict filled after BINPUT is seen filled through BINGET (containers are shared).
    func testMemoSharesContainers() throws {
        // [d, d] where d = {} is memoised, then filled: EMPTY_LIST MARK EMPTY_DICT BINPUT 0
        // 'k' 1 SETITEM BINGET 0 APPENDS
        let p: [UInt8] = [0x80, 0x02, 0x5d, 0x28, 0x7d, 0x71, 0x00] + TestPickle.unicode("k") + [0x4b, 0x01, 0x73, 0x68, 0x00, 0x65, 0x2e]
        guard case let .list(items) = try unpickle(p), items.count == 2 else { return XCTFail() }
        for item in items { XCTAssertEqual(item["k"]?.int, 1) }
    }

    func testNamespaceBecomesDictAndNumpyScalars() throws {
        // argparse.Namespace() with BUILD {'lr': 0.5}
        var p = TestPickle.proto + TestPickle.global("argparse", "Namespace") + [0x29, 0x81, 0x7d]
        p += TestPickle.unicode("lr") + [0x47, 0x3f, 0xe0, 0, 0, 0, 0, 0, 0, 0x73, 0x62] + TestPickle.stop
        let ns = try unpickle(p)
        XCTAssertEqual(ns.json, .object([("lr", .double(0.5))]))
        // numpy.core.multiarray.scalar(numpy.dtype('f8', False, True), b'...') as protocol 2 writes
        // it (bytes through _codecs.encode(latin-1 text)); 0.25 = 0x3FD0000000000000.
        var q = TestPickle.proto + TestPickle.global("numpy.core.multiarray", "scalar")
        q += TestPickle.global("numpy", "dtype") + TestPickle.unicode("f8") + [0x89, 0x88, 0x87, 0x52]
        q += [0x28, 0x4b, 0x03] + TestPickle.unicode("<") + [0x4e, 0x4e, 0x4e, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4a, 0xff, 0xff, 0xff, 0xff, 0x4b, 0x00, 0x74, 0x62]
        q += TestPickle.global("_codecs", "encode") + TestPickle.unicode("\0\0\0\0\0\0\u{d0}?") + TestPickle.unicode("latin1") + [0x86, 0x52]
        q += [0x86, 0x52] + TestPickle.stop
        guard case .float(0.25) = try unpickle(q) else { return XCTFail("\(try unpickle(q))") }
    }

    func testHostileInputs() throws {
        // Stack underflow, memo read before write, unknown opcode, no STOP, runaway nesting.
        for bad: [UInt8] in [[0x80, 0x02, 0x85, 0x2e], [0x80, 0x02, 0x68, 0x05, 0x2e], [0x80, 0x02, 0xff],
                             [0x80, 0x02, 0x4e], [0x80, 0x02, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x41], [0x80, 0x02, 0x28, 0x73, 0x2e]] {
            XCTAssertThrowsError(try unpickle(bad), "\(bad)") { XCTAssertTrue($0 is CheckpointError) }
        }
        // A list that contains itself: l = []; l.append(l).
        let cyclic: [UInt8] = [0x80, 0x02, 0x5d, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2e]
        XCTAssertThrowsError(try unpickle(cyclic)) { XCTAssertTrue("\($0)".contains("deep"), "\($0)") }
        // 100 000 nested one-element tuples.
        let deep = [0x80, 0x02, 0x4e] + [UInt8](repeating: 0x85, count: 100_000) + [0x2e]
        XCTAssertThrowsError(try unpickle(deep)) { XCTAssertTrue("\($0)".contains("deep"), "\($0)") }
    }
}
