@testable import Checkpoints
import Tensors
import FixtureSupport
import XCTest

final class SafetensorsTests: XCTestCase {
    func testWriteReadRoundTrip() throws {
        let dir = try TemporaryDirectory()
        let path = dir.url.appendingPathComponent("model.safetensors").path
        let a = Tensor(shape: [2, 3], values: [1, -2, 3.5, .pi, -0.0, Float(bitPattern: 0x0001_1111)])
        let b = Tensor(shape: [], values: [42])
        let empty = Tensor(zeros: [0, 4])
        try Safetensors.write(["mapper.fc.weight": a, "scale": b, "empty": empty],
                              metadata: ["format": "pt", "opts": "{\"lr\": 0.5}"], to: path)
        let back = try Safetensors.read(path: path)
        XCTAssertEqual(back.tensors.map(\.name), ["empty", "mapper.fc.weight", "scale"])
        XCTAssertEqual(back.metadata, ["format": "pt", "opts": "{\"lr\": 0.5}"])
        XCTAssertEqual(back.tensors[1].tensor.values, a)
        XCTAssertEqual(back.tensors[2].tensor.values, b)
        XCTAssertEqual(back.tensors[0].tensor.shape, [0, 4])
        XCTAssertTrue(back.tensors.allSatisfy { $0.tensor.dtype == .float32 })
        // No temporary file is left behind.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.url.path), ["model.safetensors"])
        // The header is padded so the data starts 8-byte aligned.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0)
        // StateDict.load recognises the format from the content.
        let dict = try StateDict.load(path)
        XCTAssertEqual(dict.tensors["mapper.fc.weight"], a)
        XCTAssertEqual(dict.metadata["format"], "pt")
    }

    /// Builds a safetensors file from a header string and data bytes.
    private func file(_ header: String, data: [UInt8], in dir: TemporaryDirectory, lengthOverride: UInt64? = nil) throws -> String {
        let h = Array(header.utf8)
        let length = lengthOverride ?? UInt64(h.count)
        return try dir.write("bad.safetensors", withUnsafeBytes(of: length.littleEndian, Array.init) + h + data)
    }

    private func assertMalformed(_ path: String, contains: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try StateDict.load(path), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix(path + ":"), "message should name the file: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(contains), "message should say '\(contains)': \(text)", file: file, line: line)
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
        }
    }

    func testHeaderLyingAboutOffsets() throws {
        let dir = try TemporaryDirectory()
        let data = [UInt8](repeating: 0, count: 16)
        // Past the end of the data.
        assertMalformed(try file(#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#, data: data, in: dir),
                        contains: "lies about offsets")
        // Size not matching dtype × shape.
        assertMalformed(try file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, data: data, in: dir),
                        contains: "needs 12 bytes")
        // Two tensors sharing bytes.
        assertMalformed(try file(#"{"a":{"dtype":"F32","shape":[3],"data_offsets":[0,12]},"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}"#,
                                 data: data, in: dir), contains: "overlap")
        // Reversed offsets.
        assertMalformed(try file(#"{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,4]}}"#, data: data, in: dir),
                        contains: "lies about offsets")
    }

    func testTruncatedAndNonJSONHeader() throws {
        let dir = try TemporaryDirectory()
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        // The header length claims more bytes than the file has.
        let full = Array(try Data(contentsOf: URL(fileURLWithPath: try file(header, data: [UInt8](repeating: 0, count: 8), in: dir))))
        let truncated = try dir.write("truncated.safetensors", Array(full.prefix(30)))
        assertMalformed(truncated, contains: "runs past the end of the file")
        assertMalformed(try file("{not json at all", data: [], in: dir), contains: "not a JSON object")
        assertMalformed(try file(#"{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}"#, data: [], in: dir), contains: "no valid shape")
        // Every prefix of a valid file fails cleanly (or, for the full length, loads).
        for n in 0 ..< full.count {
            let path = try dir.write("prefix.safetensors", Array(full.prefix(n)))
            XCTAssertThrowsError(try StateDict.load(path), "prefix of \(n) bytes")
        }
    }

    func testUnsupportedDtypeIsNamed() throws {
        let dir = try TemporaryDirectory()
        let path = try file(#"{"a":{"dtype":"F8_E4M3","shape":[2],"data_offsets":[0,2]}}"#, data: [0, 0], in: dir)
        XCTAssertThrowsError(try StateDict.load(path)) { XCTAssertTrue("\($0)".contains("F8_E4M3"), "\($0)") }
    }

    func testAllStoredDtypesDecode() throws {
        let dir = try TemporaryDirectory()
        // float16 1.0, -2.0, smallest subnormal; bfloat16 1.0; int16 -3; int8 -1; bool true
        let header = #"{"h":{"dtype":"F16","shape":[3],"data_offsets":[0,6]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[6,8]},"i":{"dtype":"I16","shape":[1],"data_offsets":[8,10]},"c":{"dtype":"I8","shape":[1],"data_offsets":[10,11]},"t":{"dtype":"BOOL","shape":[1],"data_offsets":[11,12]}}"#
        let data: [UInt8] = [0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x80, 0x3f, 0xfd, 0xff, 0xff, 0x01]
        let dict = try StateDict.load(try file(header, data: data, in: dir))
        XCTAssertEqual(dict.tensors["h"]?.scalars, [1, -2, Float(bitPattern: 0x3380_0000)])
        XCTAssertEqual(dict.tensors["b"]?.scalars, [1])
        XCTAssertEqual(dict.ints["i"], [-3])
        XCTAssertEqual(dict.ints["c"], [-1])
        XCTAssertEqual(dict.ints["t"], [1])
        XCTAssertEqual(dict.dtypes["t"], .bool)
    }
}
