import Checkpoints
import FixtureSupport
import Models
import Tensors
import XCTest

final class MapperCheckpointTests: XCTestCase {
    func testKindComesFromTheKeys() throws {
        let styleclip = try MapperCheckpoint.load(path: Fixtures.file("mapper", "checkpoint.pt"))
        XCTAssertEqual(styleclip.kind, .styleclip)
        XCTAssertNil(styleclip.textMapper)
        XCTAssertNotNil(styleclip.decoder)
        let cfclip = try MapperCheckpoint.load(path: Fixtures.file("cfclip_mapper", "checkpoint.pt"))
        XCTAssertEqual(cfclip.kind, .cfclip)
        XCTAssertEqual(cfclip.textMapper?.mappers.count, cfclip.decoder?.config.nLatent)
        XCTAssertEqual(cfclip.opts?["description"], .string("green lipstick"))
    }

    /// CF-CLIP issue #3: a released file reportedly lacks the text mapper; the error names the keys.
    func testMissingTextMapperIsListedByName() throws {
        let full = try StateDict.load(Fixtures.file("cfclip_mapper", "checkpoint.pt"))
        var dict = StateDict(source: "no-text-mapper.pt")
        for name in full.names where !name.contains("text_mapper.") { dict.insert(name, full.stored(name)!) }
        XCTAssertThrowsError(try MapperCheckpoint.load(from: dict, source: "no-text-mapper.pt")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("no-text-mapper.pt"), text)
            XCTAssertTrue(text.contains("missing key 'state_dict.text_mapper.mapper_0.mapping.1.weight'"), text)
        }
    }

    func testAbsentGroupContributesZeros() throws {
        let full = try StateDict.load(Fixtures.file("mapper", "checkpoint.pt"))
        var dict = StateDict(source: "no-fine.pt")
        for name in full.names where !name.contains("fine_mapping") { dict.insert(name, full.stored(name)!) }
        let m = try MapperCheckpoint.load(from: dict, source: "no-fine.pt")
        let d = m.latentDim, l = m.decoder!.config.nLatent
        let w = Tensor(shape: [1, l, d], values: SeededNoise.gaussian(count: l * d, seed: 1))
        let delta = try m.delta(w)
        for i in (8 * d)..<(l * d) { XCTAssertEqual(delta[flat: i], 0) }
        XCTAssertNotEqual(delta[flat: 0], 0)
        // alpha scales the edit linearly
        let e1 = try m.edit(w, alpha: 1), e2 = try m.edit(w, alpha: 2)
        XCTAssertEqual(e2[flat: 0] - w[flat: 0], 2 * (e1[flat: 0] - w[flat: 0]), accuracy: 1e-6)
    }

    /// The project's own format: safetensors with the same key names and the options as JSON.
    func testSafetensorsRoundTripKeepsWeightsOptionsAndDecoder() throws {
        let path = try Fixtures.file("cfclip_mapper", "checkpoint.pt")
        let dict = try StateDict.load(path)
        let m = try MapperCheckpoint.load(from: dict, source: path)
        let tmp = try TemporaryDirectory()
        let out = tmp.url.appendingPathComponent("mapper.safetensors").path
        try m.write(to: out, decoderDict: dict, decoderPrefix: "state_dict.decoder.")
        let back = try MapperCheckpoint.load(path: out)
        XCTAssertEqual(back.kind, .cfclip)
        XCTAssertEqual(back.opts?["description"], .string("green lipstick"))
        XCTAssertEqual(back.namedParameters.map(\.0), m.namedParameters.map(\.0))
        for ((_, a), (_, b)) in zip(back.namedParameters, m.namedParameters) { XCTAssertEqual(a, b) }
        let d = m.latentDim, l = m.decoder!.config.nLatent
        let w = Tensor(shape: [1, l, d], values: SeededNoise.gaussian(count: l * d, seed: 5))
        let e = Tensor(shape: [d], values: SeededNoise.gaussian(count: d, seed: 6))
        XCTAssertEqual(try back.edit(w, textEmbedding: e), try m.edit(w, textEmbedding: e))
        XCTAssertEqual(try back.decoder!.synthesize(w), try m.decoder!.synthesize(w))
    }
}
