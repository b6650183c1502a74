@testable import Checkpoints
import Foundation
import FixtureSupport
import XCTest

/// Tensors that are views into a storage (offsets, transposes, expansions), built in the test so
/// they run without the fixtures.
final class ViewTests: XCTestCase {
    /// Storage 0..<12 as float32 little-endian.
    private let storage: [UInt8] = (0 ..< 12).flatMap { i in withUnsafeBytes(of: Float(i).bitPattern.littleEndian, Array.init) }

    private func load(_ pickle: [UInt8], data: [UInt8]? = nil) throws -> StateDict {
        let dir = try TemporaryDirectory()
        let zip = TestZip.make([("m/data.pkl", pickle), ("m/data/0", data ?? storage), ("m/byteorder", Array("little".utf8))])
        return try StateDict.load(try dir.write("views.pt", zip))
    }

    func testTransposedOffsetView() throws {
        // A [3, 2] view at offset 1 with strides (1, 4): element (i, j) = storage[1 + i + 4j].
        let d = try load(TestPickle.stateDict(shape: [3, 2], numel: 12, strides: [1, 4], offset: 1))
        XCTAssertEqual(d.tensors["w"]?.scalars, [1, 5, 2, 6, 3, 7])
    }

    func testExpandedView() throws {
        // torch.tensor([7.]).expand(2, 3) keeps stride 0.
        let d = try load(TestPickle.stateDict(shape: [2, 3], numel: 12, strides: [0, 0], offset: 7))
        XCTAssertEqual(d.tensors["w"]?.scalars, [Float](repeating: 7, count: 6))
    }

    func testParameterAndHalfStorage() throws {
        // nn.Parameter pickles as _rebuild_parameter(_rebuild_tensor_v2(...), True, OrderedDict()).
        let d = try load(TestPickle.stateDict(shape: [2], numel: 2, parameter: true))
        XCTAssertEqual(d.tensors["w"]?.scalars, [0, 1])
        let half = try load(TestPickle.stateDict(shape: [2], numel: 2, storage: "HalfStorage"), data: [0x00, 0x3c, 0x00, 0x7c])
        XCTAssertEqual(half.tensors["w"]?.scalars, [1, .infinity])
        XCTAssertEqual(half.dtypes["w"], .float16)
    }

    func testBigEndianAndUnknownStorageRefused() throws {
        let dir = try TemporaryDirectory()
        let zip = TestZip.make([("m/data.pkl", TestPickle.stateDict(shape: [2], numel: 2)), ("m/data/0", Array(storage.prefix(8))),
                                ("m/byteorder", Array("big".utf8))])
        XCTAssertThrowsError(try StateDict.load(try dir.write("big.pt", zip))) { XCTAssertTrue("\($0)".contains("big-endian"), "\($0)") }
        XCTAssertThrowsError(try load(TestPickle.stateDict(shape: [2], numel: 2, storage: "ComplexFloatStorage"))) {
            XCTAssertTrue("\($0)".contains("torch.ComplexFloatStorage"), "\($0)")
        }
    }
}
