@testable import Checkpoints
import Foundation
import Tensors
import FixtureSupport
import XCTest

/// Every `.pt` of the fixture folders loads to exactly the tensors of its `.safetensors` twin:
/// same names, shapes and bit-equal values (integer tensors compared exactly).
final class FixtureTwinTests: XCTestCase {
    /// Compares `actual` (a .pt, names mapped by `rename`) with `expected` (the twin).
    private func assertSameTensors(_ actual: StateDict, _ expected: StateDict, extra: Set<String> = [],
                                   rename: (String) -> String = { $0 },
                                   file: StaticString = #filePath, line: UInt = #line) {
        let mapped = Set(actual.names.map(rename))
        XCTAssertEqual(mapped.subtracting(extra), Set(expected.names),
                       "names differ: only in .pt \(mapped.subtracting(extra).subtracting(expected.names).sorted()), only in .safetensors \(Set(expected.names).subtracting(mapped).sorted())",
                       file: file, line: line)
        XCTAssertEqual(actual.names.count, mapped.count, "two .pt names map to one", file: file, line: line)
        for name in actual.names {
            let twin = rename(name)
            guard let want = expected.stored(twin), let got = actual.stored(name) else { continue }
            XCTAssertEqual(got.shape, want.shape, "shape of \(name)", file: file, line: line)
            if let wantInts = want.ints {
                XCTAssertEqual(got.ints, wantInts, "values of \(name)", file: file, line: line)
            } else {
                XCTAssertEqual(got.dtype, .float32, "dtype of \(name)", file: file, line: line)
                XCTAssertTrue(got.values == want.values, "values of \(name) are not bit-equal", file: file, line: line)
            }
        }
    }

    private func twin(_ folder: String, pt: String = "checkpoint.pt") throws -> (StateDict, StateDict) {
        (try StateDict.load(try Fixtures.file(folder, pt)), try StateDict.load(try Fixtures.file(folder, "checkpoint.safetensors")))
    }

    func testStyleGAN2() throws {
        let (pt, st) = try twin("stylegan2")
        assertSameTensors(pt, st) // {'g_ema': ..., 'latent_avg': ...} flattens to g_ema.<name>, latent_avg
        XCTAssertNotNil(pt.tensors["latent_avg"])
        XCTAssertNotNil(pt.tensors["g_ema.noises.noise_0"])
        XCTAssertEqual(pt.selecting(prefix: "g_ema.").count, pt.count - 1)
    }

    func testCLIP() throws {
        let (pt, st) = try twin("clip")
        assertSameTensors(pt, st)
    }

    /// The TorchScript archive's module tree yields the state-dict names, plus three int64
    /// scalars the top-level module holds.
    func testCLIPTorchScriptArchive() throws {
        let (jit, st) = try twin("clip", pt: "checkpoint_jit.pt")
        let extra: Set<String> = ["input_resolution", "context_length", "vocab_size"]
        assertSameTensors(jit, st, extra: extra)
        XCTAssertEqual(jit.count, st.count + 3)
        for name in extra {
            XCTAssertEqual(jit.dtypes[name], .int64, name)
            XCTAssertEqual(jit.tensors[name]?.shape, [], name)
            XCTAssertEqual(jit.ints[name]?.count, 1, name)
        }
        XCTAssertTrue(jit.objects.isEmpty, "module flags such as `training` are not data: \(jit.objects.map(\.name))")
        XCTAssertNotNil(jit.tensors["visual.transformer.resblocks.0.attn.in_proj_weight"])
    }

    func testArcFaceWithIntegerCounters() throws {
        let (pt, st) = try twin("arcface")
        assertSameTensors(pt, st)
        let counters = pt.names.filter(StateDict.isBatchCounter)
        XCTAssertFalse(counters.isEmpty)
        for name in counters { XCTAssertEqual(pt.dtypes[name], .int64) }
    }

    func testVGG19() throws {
        let (pt, st) = try twin("vgg19")
        assertSameTensors(pt, st)
    }

    /// The CF-CLIP perceptual-loss layout: same tensors under conv{a}_{b} names; config.json maps
    /// them to torchvision's features.N.
    func testVGG19CFCLIPNames() throws {
        let st = try StateDict.load(try Fixtures.file("vgg19", "checkpoint.safetensors"))
        let cf = try StateDict.load(try Fixtures.file("vgg19", "checkpoint_cfclip.pt"))
        let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try Fixtures.file("vgg19", "config.json")))) as? [String: Any]
        let indices = try XCTUnwrap(config?["torchvision_conv_indices"] as? [String: Int])
        assertSameTensors(cf, st) { name in
            let parts = name.split(separator: ".", maxSplits: 1)
            guard parts.count == 2, let n = indices[String(parts[0])] else { return name }
            return "features.\(n).\(parts[1])"
        }
    }

    /// {'state_dict': ..., 'opts': {...}}: the twin holds the state dict's keys without the prefix.
    func testMappers() throws {
        for folder in ["mapper", "cfclip_mapper"] {
            let (pt, st) = try twin(folder)
            assertSameTensors(pt.selecting(prefix: "state_dict."), st)
            XCTAssertEqual(pt.selecting(prefix: "state_dict.").count, pt.count, "\(folder): only state_dict holds tensors")
            let opts = try XCTUnwrap(pt.objects.first { $0.name == "opts" }?.value, "\(folder): opts")
            guard case .object = opts else { return XCTFail("\(folder): opts is not a JSON object: \(opts)") }
        }
    }

    /// The mapper's decoder is the stylegan2 generator, tensor for tensor.
    func testMapperDecoderIsTheGenerator() throws {
        let mapper = try StateDict.load(try Fixtures.file("mapper", "checkpoint.pt")).selecting(prefix: "state_dict.decoder.")
        let generator = try StateDict.load(try Fixtures.file("stylegan2", "checkpoint.pt")).selecting(prefix: "g_ema.")
        assertSameTensors(mapper, generator)
    }
}
