import Checkpoints
import FixtureSupport
import Models
import Tensors
import XCTest

final class GeneratorTests: XCTestCase {
    func fixtureDict() throws -> StateDict { try StateDict.load(try Fixtures.file("stylegan2", "checkpoint.pt")) }

    func testConfigurationIsReadFromTheCheckpoint() throws {
        let dict = try fixtureDict()
        let g = try Generator.load(from: dict, prefix: "g_ema.", source: "fixture")
        // the fixture's config.json states the same architecture
        let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try Fixtures.file("stylegan2", "config.json")))) as! [String: Any]
        XCTAssertEqual(g.config.size, cfg["size"] as? Int)
        XCTAssertEqual(g.config.styleDim, cfg["style_dim"] as? Int)
        XCTAssertEqual(g.config.nMLP, cfg["n_mlp"] as? Int)
        XCTAssertEqual(g.config.nLatent, cfg["n_latent"] as? Int)
        XCTAssertEqual(g.config.numLayers, cfg["num_layers"] as? Int)
        let table = cfg["channels"] as! [String: Int]
        XCTAssertEqual(g.config.channels, table.keys.compactMap(Int.init).sorted().map { table[String($0)]! })
        XCTAssertNotNil(g.latentAvg)
    }

    /// One finder for every caller: the generator is found under each prefix people's files use,
    /// and a file without one says which prefixes were tried and what the file holds.
    func testGeneratorIsFoundUnderEveryKnownPrefix() throws {
        let dict = try fixtureDict()
        for prefix in Generator.knownPrefixes {
            var moved = StateDict(source: "moved")
            // an extracted state dict (bare keys) has no latent_avg beside it
            for name in dict.names where name.hasPrefix("g_ema.") || (name == "latent_avg" && !prefix.isEmpty) {
                moved.insert(name == "latent_avg" ? name : prefix + name.dropFirst(6), dict.stored(name)!)
            }
            XCTAssertEqual(try Generator.prefix(in: moved, source: "moved"), prefix)
            XCTAssertEqual(try Generator.load(from: moved, source: "moved").config.size, 64)
        }
        let clip = try StateDict.load(try Fixtures.file("clip", "checkpoint.pt"))
        XCTAssertThrowsError(try Generator.prefix(in: clip, source: "clip.pt")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("tried prefixes 'g_ema.', 'state_dict.decoder.', 'decoder.', ''"), text)
            XCTAssertTrue(text.contains("top-level keys: ") && text.contains("visual"), text)
        }
    }

    func testReleasedArchitecturesHaveTheReferenceKeyCounts() {
        // reference.md §3.8: 171 entries for FFHQ 1024 (30,370,060 parameters), 153 for AFHQ 512
        let ffhq = GeneratorConfig.configF(size: 1024), afhq = GeneratorConfig.configF(size: 512)
        XCTAssertEqual(ffhq.stateDictShapes.count, 171)
        XCTAssertEqual(afhq.stateDictShapes.count, 153)
        let params = ffhq.stateDictShapes.filter { !$0.name.hasPrefix("noises.") && !$0.name.hasSuffix("kernel") }
            .reduce(0) { $0 + $1.shape.reduce(1, *) }
        XCTAssertEqual(params, 30_370_060)
        XCTAssertEqual(ffhq.nLatent, 18)
        XCTAssertEqual(afhq.nLatent, 16)
    }

    func testEveryLoadProblemIsListedAtOnce() throws {
        var dict = try fixtureDict()
        let src = dict
        var broken = StateDict(source: "broken.pt")
        for name in src.names where name != "g_ema.conv1.noise.weight" {
            var t = src.stored(name)!
            if name == "g_ema.to_rgb1.bias" { t = StoredTensor(Tensor(zeros: [1, 4, 1, 1])) }
            broken.insert(name, t)
        }
        broken.insert("g_ema.extra.weight", StoredTensor(Tensor(zeros: [2])))
        dict = broken
        XCTAssertThrowsError(try Generator.load(from: dict, prefix: "g_ema.", source: "broken.pt")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("broken.pt"), text)
            XCTAssertTrue(text.contains("missing key 'g_ema.conv1.noise.weight'"), text)
            XCTAssertTrue(text.contains("'g_ema.to_rgb1.bias': expected shape [1, 3, 1, 1], found [1, 4, 1, 1]"), text)
            XCTAssertTrue(text.contains("unexpected key 'g_ema.extra.weight'"), text)
        }
    }

    /// Inference fuses each styled layer's tail (demodulation, noise, bias, activation) into
    /// its convolution's output rows (the Winograd blocks at 64², the upsampler's blur); a hook
    /// on the upsampling convs' outputs, or a tape, keeps the separate passes. All three give
    /// the same bytes, with per-sample noise planes (seeded, or explicit [2, 1, s, s] tensors)
    /// and with the shared buffers. Without a hook the batch renders a sample at a time, so
    /// this also catches a sample handed another sample's noise plane or seed.
    func testFusedTailsGiveTheSeparatePassesBytes() throws {
        let g = try Generator.load(from: try fixtureDict(), prefix: "g_ema.", source: "fixture")
        let c = g.config
        let w = Tensor(shape: [2, c.nLatent, c.styleDim], values: SeededNoise.gaussian(count: 2 * c.nLatent * c.styleDim, seed: 21))
        let planes = (0..<c.numLayers).map { l in
            let s = c.noiseSize(l)
            return Tensor(shape: [2, 1, s, s], values: SeededNoise.gaussian(count: 2 * s * s, seed: UInt64(30 + l)))
        }
        for noise in [NoiseMode.buffers, .seeded([5, 6]), .explicit(planes)] {
            let fused = try g.synthesize(w, noise: noise)
            var names: [String] = []
            XCTAssertEqual(try g.synthesize(w, noise: noise, hook: { name, _ in names.append(name) }), fused)
            XCTAssertTrue(names.contains("convs.6.conv"), "the hook saw the 64² upsampler's conv output")
            let tape = Tape()
            XCTAssertEqual(try g.synthesize(tape.parameter(w), noise: noise).value, fused)
        }
    }

    func testMissingKernelBuffersAreRecomputed() throws {
        let src = try fixtureDict()
        var dict = StateDict(source: "no-kernels.pt")
        for name in src.names where !name.hasSuffix(".kernel") { dict.insert(name, src.stored(name)!) }
        let g1 = try Generator.load(from: src, prefix: "g_ema.", source: "a")
        let g2 = try Generator.load(from: dict, prefix: "g_ema.", source: "b")
        let w = g1.broadcast(g1.mapping(Tensor(shape: [1, g1.config.styleDim], values: SeededNoise.gaussian(count: g1.config.styleDim, seed: 3))))
        XCTAssertEqual(try g1.synthesize(w), try g2.synthesize(w))
    }

    func testMissingNoiseBuffersNeedSeededNoise() throws {
        let src = try fixtureDict()
        var dict = StateDict(source: "no-noise.pt")
        for name in src.names where !name.contains("noises.") { dict.insert(name, src.stored(name)!) }
        XCTAssertThrowsError(try Generator.load(from: dict, prefix: "g_ema.", source: "no-noise.pt")) {
            XCTAssertTrue("\($0)".contains("missing key 'g_ema.noises.noise_0'"), "\($0)")
        }
        let g = try Generator.load(from: dict, prefix: "g_ema.", source: "no-noise.pt", allowMissingNoise: true)
        let d = g.config.styleDim, l = g.config.nLatent
        let w = Tensor(shape: [2, l, d], values: SeededNoise.gaussian(count: 2 * l * d, seed: 4))
        XCTAssertThrowsError(try g.synthesize(w))
        // seeded noise: a sample's image does not depend on the batch it is rendered in
        let both = try g.synthesize(w, noise: .seeded([10, 11]))
        let second = try g.synthesize(w.slice(1..<2), noise: .seeded([11]))
        XCTAssertEqual(both.slice(1..<2), second)
    }
}

/// A 3x3 layer keeps one U and changes its layout with the path its image size takes (rows
/// for the OpenBLAS bands at 16², 8-row tiles for the fused blocks at 32²): 32², 16², 32² again
/// give the bytes of a fresh U in rows each time. A conversion that lost or reordered a tap, or
/// a layer left holding tiles for the bands, would differ.
final class WinogradWeightLayoutTests: XCTestCase {
    func testLayoutFollowsThePathWithTheSameBytes() {
        let (cin, cout) = (16, 8)
        let weight = Tensor(shape: [cout, cin, 3, 3], values: SeededNoise.gaussian(count: cout * cin * 9, seed: 180))
        let modulation = EqualLinear(weight: Tensor(shape: [cin, 4], values: SeededNoise.gaussian(count: cin * 4, seed: 181)),
                                     bias: Tensor(shape: [cin], values: [Float](repeating: 1, count: cin)))
        let conv = ModulatedConv2D(weight: weight, modulation: modulation, upsample: false, blurKernel: nil)
        let styles = Tensor(shape: [1, cin], values: SeededNoise.gaussian(count: cin, seed: 182))
        XCTAssertFalse(Winograd.runsBlocks(cin: cin, cout: cout, h: 16, w: 16))
        XCTAssertTrue(Winograd.runsBlocks(cin: cin, cout: cout, h: 32, w: 32))
        for side in [32, 16, 32] {
            let x = Tensor(shape: [1, cin, side, side], values: SeededNoise.gaussian(count: cin * side * side, seed: UInt64(183 + side)))
            XCTAssertEqual(conv.convolve(x, styles: styles),
                           Winograd.forward(x, packed: Winograd.pack(weight), styles: styles, scale: conv.scale), "\(side)²")
        }
    }
}
