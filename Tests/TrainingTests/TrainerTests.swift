import Checkpoints
import FixtureSupport
import Foundation
import Media
import Models
import Tensors
import Training
import XCTest

/// Short runs on the reduced fixture models: the loss goes down, a seed fixes the run, and a run
/// stopped and resumed from its saved state equals an uninterrupted one bit for bit.
final class TrainerTests: XCTestCase {
    func setUpRun(_ tmp: TemporaryDirectory, name: String, augmentations: Int = 2, maxSteps: Int = 12) throws -> (TrainingConfig, TrainingSetup.Loaded) {
        let h5 = tmp.url.appendingPathComponent("latents.h5").path
        if !FileManager.default.fileExists(atPath: h5) {
            let dict = try StateDict.load(try Fixtures.file("stylegan2", "checkpoint.pt"))
            let g = try Generator.load(from: dict, prefix: "g_ema.", source: "fixture")
            var rs = RandomState(seed: 3)
            let z = Tensor(shape: [12, g.config.styleDim], values: rs.randn(12 * g.config.styleDim).map { Float($0) })
            let w = g.broadcast(g.truncate(g.mapping(z), psi: 0.7, center: g.latentAvg!))
            try HDF5File.write(path: h5, datasets: [("latents", w.shape, w.scalars)])
        }
        var c = TrainingConfig(models: .init(generator: try Fixtures.file("stylegan2", "checkpoint.pt"),
                                             clip: try Fixtures.file("clip", "checkpoint.pt"),
                                             vocabulary: try Fixtures.clipVocabulary(),
                                             clipVisionHeads: 2, clipTextHeads: 2),
                               latents: h5, description: "green lipstick")
        c.weights = LossWeights(id: 0, perceptual: 0, latentL2: 0.8, clip: 0.3)
        c.augmentations = augmentations
        c.maxSteps = maxSteps
        c.saveInterval = 6
        c.imageInterval = 0
        c.seed = 11
        c.output = tmp.url.appendingPathComponent(name).path
        return (c, try TrainingSetup.load(c))
    }

    func trainer(_ c: TrainingConfig, _ s: TrainingSetup.Loaded) throws -> Trainer {
        try Trainer(config: c, models: s.models, latents: s.latents, generatorDict: s.generatorDict,
                    generatorPrefix: s.generatorPrefix, initial: s.initial)
    }

    func testRunIsDeterministicAndResumesBitForBit() throws {
        let tmp = try TemporaryDirectory()
        let (c1, s) = try setUpRun(tmp, name: "a")
        let a = try trainer(c1, s)
        try a.run()
        var c2 = c1
        c2.output = tmp.url.appendingPathComponent("b").path
        let b = try trainer(c2, s)
        try b.run(until: 8)                        // stops two steps after the step-6 save
        let resumed = try trainer(c2, s)
        XCTAssertTrue(try resumed.resumeIfPossible())
        XCTAssertEqual(resumed.step, 6)
        try resumed.run()
        let again = try trainer({ var c = c1; c.output = tmp.url.appendingPathComponent("c").path; return c }(), s)
        try again.run()
        for ((n, x), (_, y)) in zip(a.parameters, resumed.parameters) { XCTAssertEqual(x, y, "resumed \(n) differs") }
        for ((n, x), (_, y)) in zip(a.parameters, again.parameters) { XCTAssertEqual(x, y, "rerun \(n) differs") }
        // the logs agree line for line (steps 7 and 8 of the stopped run are not kept twice),
        // and the saved mapper loads as a pipeline mapper
        let logA = try String(contentsOf: URL(fileURLWithPath: c1.output + "/log.jsonl"), encoding: .utf8)
        let logB = try String(contentsOf: URL(fileURLWithPath: c2.output + "/log.jsonl"), encoding: .utf8)
        XCTAssertEqual(logA, logB)
        let m = try MapperCheckpoint.load(path: c1.output + "/checkpoints/mapper-000012.safetensors")
        XCTAssertEqual(m.kind, .cfclip)
        XCTAssertNotNil(m.decoder)
        XCTAssertEqual(m.opts?["description"], .string("green lipstick"))
    }

    /// `--restart` (no resume) starts the log again instead of appending to the old run's.
    func testRestartStartsTheLogAgain() throws {
        let tmp = try TemporaryDirectory()
        let (c, s) = try setUpRun(tmp, name: "a", augmentations: 0, maxSteps: 6)
        try trainer(c, s).run(until: 4)
        try trainer(c, s).run(until: 2)
        let lines = try String(contentsOf: URL(fileURLWithPath: c.output + "/log.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.map { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int }, [1, 2])
    }

    /// A NaN or infinite loss term made the line `"clip": nan`, which no JSON reader accepts.
    func testNonFiniteValuesAreJSONNull() throws {
        let line = TrainingLog.line(step: 3, values: [("loss", .nan), ("clip", 0.5), ("id", -.infinity)], latents: [1, 2])
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], line)
        XCTAssertTrue(o["loss"] is NSNull && o["id"] is NSNull, line)
        XCTAssertEqual(o["clip"] as? Double, 0.5)
        XCTAssertEqual(o["nonfinite"] as? [String], ["loss", "id"])
    }

    func testChangedConfigIsNotResumed() throws {
        let tmp = try TemporaryDirectory()
        let (c, s) = try setUpRun(tmp, name: "a", maxSteps: 6)
        try trainer(c, s).run()
        var other = c
        other.learningRate = 0.1
        XCTAssertThrowsError(try trainer(other, s).resumeIfPossible()) { XCTAssertTrue("\($0)".contains("another configuration"), "\($0)") }
    }

    /// The CLIP-NCE loss of a fixed batch (no augmentation) goes down over a short run.
    func testTrainingLowersTheNCELoss() throws {
        let tmp = try TemporaryDirectory()
        var (c, s) = try setUpRun(tmp, name: "a", augmentations: 0, maxSteps: 40)
        c.saveInterval = 40
        let t = try trainer(c, s)
        let w = try s.latents.read(0..<4, nLatent: s.models.generator.config.nLatent)
        let step = TrainingStep(kind: .nce, weights: LossWeights(id: 0, perceptual: 0, latentL2: 0, clip: 1))
        func nce() throws -> Float { try step.run(mapper: MapperInit.with(t.parameters, kind: .cfclip), w: w, models: s.models).loss }
        let before = try nce()
        try t.run()
        let after = try nce()
        XCTAssertLessThan(after, before - 0.05, "NCE \(before) -> \(after)")
    }
}

final class TrainingConfigTests: XCTestCase {
    func write(_ text: String) throws -> (TemporaryDirectory, String) {
        let tmp = try TemporaryDirectory()
        let p = tmp.url.appendingPathComponent("train.yaml").path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        return (tmp, p)
    }

    func testDefaultsAndRelativePaths() throws {
        let (tmp, p) = try write("models: {generator: g.pt, clip: c.pt, vocabulary: v.gz}\nlatents: l.h5\ndescription: elf ears\n")
        let c = try TrainingConfig.load(path: p)
        XCTAssertEqual(c.learningRate, 0.5); XCTAssertEqual(c.batchSize, 2); XCTAssertEqual(c.maxSteps, 50_000)
        XCTAssertEqual(c.weights, LossWeights(id: 0.2, perceptual: 0, latentL2: 0.8, clip: 0.3))
        XCTAssertEqual(c.optimizer, "ranger"); XCTAssertEqual(c.augmentations, 8); XCTAssertEqual(c.sourceText, "face")
        XCTAssertEqual(c.latents, tmp.url.appendingPathComponent("l.h5").standardizedFileURL.path)
    }

    func testUnknownKeyAndWrongTypeNameTheirPath() throws {
        let (t1, p) = try write("models: {generator: g.pt, clip: c.pt, vocabulary: v.gz, clipp: x}\nlatents: l.h5\ndescription: x\n")
        XCTAssertThrowsError(try TrainingConfig.load(path: p)) { XCTAssertTrue("\($0)".contains("models.clipp: unknown key"), "\($0)") }
        let (t2, q) = try write("models: {generator: g.pt, clip: c.pt, vocabulary: v.gz}\nlatents: l.h5\ndescription: x\nbatch_size: two\n")
        XCTAssertThrowsError(try TrainingConfig.load(path: q)) {
            XCTAssertTrue("\($0)".contains("batch_size: expected an integer, found 'two' (line 4)"), "\($0)")
        }
        // the pipeline's strict decoding (StrictYAML) now reads training configs too
        let (t3, r) = try write("models: {generator: g.pt, clip: c.pt, vocabulary: v.gz}\nlatents: l.h5\ndescription: x\nloss: nc\n")
        XCTAssertThrowsError(try TrainingConfig.load(path: r)) {
            XCTAssertTrue("\($0)".contains("loss: expected nce or directional or global, found 'nc'"), "\($0)")
        }
        withExtendedLifetime((t1, t2, t3)) {}
    }
}
