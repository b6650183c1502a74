import Checkpoints
import Editing
import FixtureSupport
import Foundation
import Models
import Tensors
import Training
import XCTest

/// StyleGAN-NADA beyond what fixtures/nada records: the selection as the reference computes it
/// on its GPU (the fixture's CPU run chose by torch's tie order), re-selection between
/// iterations, Adam's per-parameter steps, torch's top-k order and the written checkpoint.
final class NadaTests: XCTestCase {
    static let reference = Fixtures.packageRoot.appendingPathComponent("Tests/Reference")

    func json(_ name: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: Self.reference.appendingPathComponent(name))) as! [String: Any]
    }

    /// The fixture models: generator, ViT-B/32 and ViT-B/16 roles, "photo" -> "sketch".
    func trainer(_ configure: (inout NadaSettings) -> Void) throws -> (NadaTrainer, StateDict) {
        let f = try StateDict.load(try Fixtures.file("nada", "cases.safetensors"))
        let tokenizer = try CLIPTokenizer(vocabularyPath: try Fixtures.clipVocabulary())
        let losses = try [try Fixtures.file("clip", "checkpoint.pt"), try Fixtures.file("nada", "clip_b16.pt")].map { path in
            try NadaCLIPLoss(model: CLIPModel.load(from: StateDict.load(path), source: path, visionHeads: 2, textHeads: 2),
                             weight: 1, tokenizer: tokenizer, source: "photo", target: "sketch")
        }
        let gen = try Fixtures.file("stylegan2", "checkpoint.pt")
        var s = NadaSettings()
        s.sourceClass = "photo"; s.targetClass = "sketch"; s.batch = 2; s.autoLayerBatch = 4
        configure(&s)
        return (try NadaTrainer(settings: s, generator: TrainableGenerator(StateDict.load(gen), source: gen), losses: losses), f)
    }

    func draws(_ f: StateDict, _ scenario: String, _ i: Int, layers: Int) throws -> NadaDraws {
        let key = "in.\(scenario).iter\(i)"
        func noise(_ what: String) throws -> [Tensor] { try (0..<layers).map { try f.tensor("\(key).\(what).\($0)") } }
        let auto = f["\(key).auto_z"]
        return NadaDraws(z: [try f.tensor("\(key).z")], autoZ: auto, autoNoise: auto == nil ? [] : [try noise("auto_noise")],
                         frozenNoise: try noise("frozen_noise"), trainableNoise: try noise("trainable_noise"))
    }

    /// Catches a selection that differs from the reference where its starting codes are a
    /// copy (CUDA): layer weights and order recorded by scripts/reference/nada_reference.py
    /// `selection` from fixtures/nada's readme draws. The batch of 4 runs one sample at a time
    /// here, so this also catches a chunking that changes the result.
    func testSelectionMatchesTheReferenceWithSeparateCodes() throws {
        let (t, f) = try trainer { $0.selectionChunk = 1; $0.autoLayerK = 10 }
        let d = try draws(f, "readme", 0, layers: t.frozen.config.numLayers)
        let weights = try t.selectionWeights(autoZ: d.autoZ!, noise: d.autoNoise)
        let want = try json("nada_selection.json")["separate"] as! [String: Any]
        for (a, b) in zip(weights, want["layer_weights"] as! [Double]) { XCTAssertEqual(a, b, accuracy: 1e-3 * b) }
        XCTAssertEqual(try t.selectLayers(autoZ: d.autoZ!, noise: d.autoNoise), want["chosen"] as! [Int])
        // the CPU run of the reference, which fixtures/nada recorded
        let shared = try json("nada_selection.json")["shared"] as! [String: Any]
        let (cpu, _) = try trainer { $0.selectionBaseline = .shared; $0.autoLayerK = 10 }
        XCTAssertEqual(try cpu.selectLayers(autoZ: d.autoZ!, noise: d.autoNoise), shared["chosen"] as! [Int])
    }

    /// Catches a selection made once and kept (the fixture's selections never change): with
    /// separate codes the top-6 set changes between iterations, parameters follow the layers
    /// chosen each time, and Adam counts steps per parameter (a layer first chosen at the
    /// second iteration takes its first step there; one never chosen keeps its value).
    func testReselectionChangesTheTrainedLayers() throws {
        var (t, f) = try trainer { $0.autoLayerK = 6 }
        let original = t.trainable
        let r0 = try t.step(try draws(f, "topk", 0, layers: t.frozen.config.numLayers))
        let r1 = try t.step(try draws(f, "topk", 1, layers: t.frozen.config.numLayers))
        let s0 = Set(r0.chosen!), s1 = Set(r1.chosen!)
        XCTAssertNotEqual(s0, s1, "the selection should change between iterations here")
        let layers = NadaLayers.selectable(t.frozen.config)
        for idx in 0..<layers.count {
            let name = NadaLayers.parameters(of: layers[idx])[0]
            let expected = (s0.contains(idx) ? 1 : 0) + (s1.contains(idx) ? 1 : 0)
            XCTAssertEqual(t.adam.steps(of: name), expected, name)
            if expected == 0 { XCTAssertEqual(t.trainable.value(name), original.value(name), "\(name) was never chosen") }
            else { XCTAssertNotEqual(t.trainable.value(name), original.value(name), "\(name) was trained") }
        }
        XCTAssertEqual(Set(r1.gradients.map(\.0)), Set(r1.layers.flatMap(NadaLayers.parameters)))
    }

    /// Catches a top-k whose order on ties differs from torch's CPU kernel (the fixture's
    /// selection depends on it): every k of n zeros for n up to 25, and vectors with many ties,
    /// recorded from torch 2.13 by scripts/reference/nada_reference.py `topk-ties`.
    func testTorchTopKMatchesTorchOnTies() throws {
        let table = try json("torch_topk.json")
        for (n, rows) in table["zeros"] as! [String: [[Int]]] {
            for (i, want) in rows.enumerated() {
                XCTAssertEqual(TorchTopK.indices([Double](repeating: 0, count: Int(n)!), k: i + 1), want, "zeros(\(n)), k \(i + 1)")
            }
        }
        for entry in table["values"] as! [[String: Any]] {
            let v = entry["values"] as! [Double], ks = entry["k"] as! [[Int]]
            for (k, want) in zip([1, 2, v.count / 2, v.count], ks) { XCTAssertEqual(TorchTopK.indices(v, k: k), want, "n \(v.count), k \(k)") }
        }
    }

    /// Catches an Adam that moves or decays a parameter left out of a step, or restarts the
    /// bias correction of one that joins late (torch keeps a step count per parameter).
    func testAdamLeavesOutParametersWithoutAGradient() throws {
        var adam = Adam(lr: 0.1, beta1: 0, beta2: 0.99)
        var a: [(String, Tensor)] = [("a", Tensor(shape: [1], values: [1]))]
        adam.update(&a, grads: [("a", Tensor(shape: [1], values: [0.5]))])
        var b: [(String, Tensor)] = [("b", Tensor(shape: [1], values: [1]))]
        adam.update(&b, grads: [("b", Tensor(shape: [1], values: [0.5]))])
        XCTAssertEqual(adam.steps(of: "a"), 1); XCTAssertEqual(adam.steps(of: "b"), 1)
        // a first step moves by lr (m / sqrt(v_hat) = sign(g)), for either parameter
        XCTAssertEqual(a[0].1[flat: 0], 0.9, accuracy: 1e-6); XCTAssertEqual(b[0].1[flat: 0], 0.9, accuracy: 1e-6)
        var restored = Adam(lr: 0.1, beta1: 0, beta2: 0.99)
        try restored.restore(adam.state, step: adam.step)
        XCTAssertEqual(restored.steps(of: "b"), 1)
    }

    /// Catches a written generator that differs from the trained one or lacks a key of the
    /// original file: the .pt reads back (g_ema + latent_avg), loads as a pipeline generator
    /// and renders what the trainer's twin renders.
    func testWrittenGeneratorLoadsAndRendersTheTrainedWeights() throws {
        var (t, f) = try trainer { $0.autoLayerIters = 0 }
        _ = try t.step(try draws(f, "phase", 0, layers: t.frozen.config.numLayers))
        let tmp = try TemporaryDirectory()
        let path = tmp.url.appendingPathComponent("nada.pt").path
        try t.trainable.write(to: path)
        let dict = try StateDict.load(path)
        let original = try StateDict.load(try Fixtures.file("stylegan2", "checkpoint.pt"))
        XCTAssertEqual(Set(dict.names), Set(original.names), "g_ema keys and latent_avg, as the released files")
        let g = try Generator.load(path: path)
        let w = t.frozen.broadcast(t.frozen.mapping(Tensor(shape: [1, 32], values: SeededNoise.gaussian(count: 32, seed: 4))))
        XCTAssertEqual(try g.synthesize(w), try t.trainable.generator.synthesize(w))
        XCTAssertNotEqual(try g.synthesize(w), try t.frozen.synthesize(w))
        XCTAssertEqual(dict["latent_avg"], original["latent_avg"])
    }

    /// A state file is outside input: a moment whose size differs from its parameter's (Adam
    /// reads them unchecked) or a checkpoint path that is not one of the run's own is one
    /// error naming the state file and the key, never a crash or a read elsewhere.
    func testTamperedStateIsRefused() throws {
        let tmp = try TemporaryDirectory()
        let (t, _) = try trainer { $0.autoLayerIters = 0; $0.iterations = 2; $0.outputInterval = 0 }
        let folder = tmp.url.appendingPathComponent("run").path
        try NadaRun(trainer: t, folder: folder).run(until: 1)
        let state = folder + "/checkpoint/state.safetensors"
        let saved = try Safetensors.read(path: state)
        var tensors = Dictionary(saved.tensors.map { ($0.name, $0.tensor.values) }, uniquingKeysWith: { a, _ in a })
        let key = tensors.keys.first { $0.hasPrefix("exp_avg_sq.") }!
        tensors[key] = Tensor(zeros: [3])
        try Safetensors.write(tensors, metadata: saved.metadata, to: state)
        XCTAssertThrowsError(try NadaRun(trainer: t, folder: folder).resumeIfPossible()) {
            XCTAssertTrue("\($0)".contains(key) && "\($0)".contains("state.safetensors"), "\($0)")
        }
        var meta = saved.metadata
        meta["generator"] = "../../elsewhere.pt"
        try Safetensors.write(Dictionary(saved.tensors.map { ($0.name, $0.tensor.values) }, uniquingKeysWith: { a, _ in a }), metadata: meta, to: state)
        XCTAssertThrowsError(try NadaRun(trainer: t, folder: folder).resumeIfPossible()) {
            XCTAssertTrue("\($0)".contains("elsewhere"), "\($0)")
        }
    }
}
