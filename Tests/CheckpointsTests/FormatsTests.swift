@testable import Checkpoints
import Foundation
import Tensors
import FixtureSupport
import XCTest

/// formats/zip.pt and formats/legacy.pt: views with strides and storage offsets, a shared
/// storage, 0-dim and empty tensors, every dtype, and an `opts` dict of plain values.
final class FormatsTests: XCTestCase {
    private func expected() throws -> (StateDict, JSONValue) {
        let tensors = try StateDict.load(try Fixtures.file("formats", "expected.safetensors"))
        let json = try XCTUnwrap(JSONValue.parse(Data(contentsOf: URL(fileURLWithPath: try Fixtures.file("formats", "expected.json")))))
        return (tensors, json)
    }

    private func check(_ name: String) throws {
        let (want, json) = try expected()
        let path = try Fixtures.file("formats", name)
        let got = try StateDict.load(path)
        XCTAssertEqual(Set(got.names), Set(want.names), name)
        guard case let .object(dtypes)? = json["tensors"] else { return XCTFail("expected.json has no tensors") }
        for (tensorName, info) in dtypes {
            guard let g = got.stored(tensorName), let w = want.stored(tensorName) else { XCTFail("\(name): \(tensorName) missing"); continue }
            XCTAssertEqual(info["dtype"], .string(g.dtype.rawValue), "\(name): dtype of \(tensorName)")
            XCTAssertEqual(g.shape, w.shape, "\(name): shape of \(tensorName)")
            if let ints = w.ints {
                XCTAssertEqual(g.ints, ints, "\(name): values of \(tensorName)")
            } else {
                XCTAssertNil(g.ints, "\(name): \(tensorName) is floating point")
                XCTAssertTrue(g.values == w.values, "\(name): values of \(tensorName) not bit-equal: \(g.values) vs \(w.values)")
            }
        }
        XCTAssertEqual(got.objects.map(\.name), ["opts"], name)
        let opts = try XCTUnwrap(got.objects.first?.value)
        XCTAssertEqual(opts, json["opts"], "\(name): opts \(opts.serialized())")
        XCTAssertEqual(opts["big_int"], .int(1_099_511_627_776))
        XCTAssertEqual(opts["nested"]?["s"], .string("é ü 漢字"))
        XCTAssertEqual(opts["tuple"], .array([.int(1), .int(2)]))
    }

    func testZipFormat() throws { try check("zip.pt") }
    func testLegacyFormat() throws { try check("legacy.pt") }

    /// Tied tensors come from one storage; views read through their offsets and strides.
    func testSharedStorageAndViews() throws {
        let dict = try StateDict.load(try Fixtures.file("formats", "zip.pt"))
        let value = try loadCheckpointValue(path: try Fixtures.file("formats", "zip.pt"))
        XCTAssertNotNil(value["state_dict"]?["tied.a"]?.tensor)
        XCTAssertEqual(dict.tensors["state_dict.tied.b"]?.scalars, Array(dict.tensors["state_dict.tied.a"]!.scalars[4 ..< 12]))
    }

    /// `cfclip inspect` digests, checked against hashlib on the expected values.
    func testInspectDigests() throws {
        let zip = try Inspection.of(path: try Fixtures.file("formats", "zip.pt"))
        let legacy = try Inspection.of(path: try Fixtures.file("formats", "legacy.pt"))
        let digests = Dictionary(uniqueKeysWithValues: zip.tensors.map { ($0.name, $0.sha256) })
        XCTAssertEqual(digests["latent_avg"], "694108d20e04d91add032d31a4d5cc6dc7b4a25d5af15a3adfad30e373d6a635")
        XCTAssertEqual(digests["state_dict.transposed_view"], "686815607f289ba4e7e57fdb43f27cc92d216cacc7084ffde9a21fd73d7223f8")
        XCTAssertEqual(digests["state_dict.half"], "80f74fa04e55210d51a6152cb3a4987707b6383191d67720b1a75b67bab05a7b")
        XCTAssertEqual(digests["state_dict.int32"], "f190072c5052f4f440d4a607c25f5bced487c420806c9aab4ca5b0653e72da61")
        XCTAssertEqual(digests["state_dict.bool"], "f95f8eadc54fa71e640a67ff7e86733158e44683c7f77996ea3a0008397167ac")
        XCTAssertEqual(digests["state_dict.empty"], "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(digests["state_dict.scalar"], "dc1af2587712df515d4c37fe6356700413cafa9794866db427675d7881a3af63")
        XCTAssertEqual(Set(zip.tensors.map(\.name)), Set(legacy.tensors.map(\.name)))
        for e in legacy.tensors { XCTAssertEqual(digests[e.name], e.sha256, e.name) }

        // The JSON form parses and has exactly the documented shape.
        let json = try XCTUnwrap(JSONValue.parse(Data(zip.json().utf8)))
        guard case let .array(entries)? = json["tensors"], case let .object(first)? = entries.first else { return XCTFail("no tensors") }
        XCTAssertEqual(Set(first.map(\.key)), ["name", "dtype", "shape", "sha256"])
        XCTAssertEqual(json["objects"]?["opts"]?["lr"], .double(0.5))
        XCTAssertTrue(zip.table().contains("state_dict.half"))
    }
}

extension FormatsTests {
    /// zip.pt re-packed with zip64 records (as files past 4 GiB have) loads the same tensors.
    func testZip64Records() throws {
        let path = try Fixtures.file("formats", "zip.pt")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let entries = try bytes.withUnsafeBytes { raw in
            let zip = try ZipArchive(bytes: raw, file: path)
            return try zip.entries.map { (name: $0.name, data: Array(try zip.data($0))) }
        }
        let dir = try TemporaryDirectory()
        let repacked = try StateDict.load(try dir.write("zip64.pt", TestZip.make64(entries)))
        let original = try StateDict.load(path)
        XCTAssertEqual(repacked.names, original.names)
        for name in original.names { XCTAssertTrue(repacked.tensors[name] == original.tensors[name], name) }
        XCTAssertEqual(repacked.objects.first?.value, original.objects.first?.value)
    }
}
