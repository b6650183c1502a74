import Checkpoints
import FileIO
import Foundation
import Media
import Models
import Tensors

/// A `cfclip train-nada` run folder: `log.jsonl` (loss and trained layers per iteration),
/// `sample/NNNNNN.png` (fixed codes: frozen renders above, trainable below), `checkpoint/NNNNNN.pt`
/// (the trainable generator, every `saveInterval` iterations as the reference saves them) and
/// `checkpoint/state.safetensors` (Adam's moments and step counts, the iteration, the settings'
/// fingerprint): a rerun continues from the last save and draws what an uninterrupted run
/// would. The finished generator goes to `output`.
public final class NadaRun {
    public private(set) var trainer: NadaTrainer
    public let folder: URL
    public let output: String
    let fingerprint: String
    /// The samples' truncation centre (a seeded `mean_latent(4096)`), computed once.
    lazy var sampleCentre = trainer.frozen.meanLatent(samples: 4096, seed: 0)

    public init(trainer: NadaTrainer, folder: String, output: String? = nil) throws {
        self.trainer = trainer
        self.folder = URL(fileURLWithPath: folder)
        self.output = output ?? self.folder.appendingPathComponent("generator.pt").path
        fingerprint = Self.fingerprint(trainer)
        for sub in ["sample", "checkpoint"] {
            try FileManager.default.createDirectory(at: self.folder.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
    }

    public var statePath: String { folder.appendingPathComponent("checkpoint/state.safetensors").path }

    /// What must not change for a saved state to be continued: the settings that shape the
    /// iterations and the frozen generator's and CLIP models' sizes.
    static func fingerprint(_ t: NadaTrainer) -> String {
        let s = t.settings, c = t.frozen.config
        return ["\(s.sourceClass)|\(s.targetClass)|\(s.batch)|\(s.lr)|\(s.gRegEvery)|\(s.autoLayerK.map(String.init) ?? "all")",
                "\(s.autoLayerIters)|\(s.autoLayerBatch)|\(s.phase?.rawValue ?? "-")|\(s.mixing)|\(s.seed)|\(s.selectionBaseline.rawValue)",
                "\(c.size)|\(c.styleDim)|\(c.channels)", t.losses.map { "\($0.weight):\($0.direction.count)" }.joined(separator: ",")]
            .joined(separator: "|")
    }

    /// Continues from `checkpoint/state.safetensors` when there is one. Returns whether it did;
    /// a state from other settings is an error naming what differs.
    public func resumeIfPossible() throws -> Bool {
        guard FileManager.default.fileExists(atPath: statePath) else { return false }
        let c = try Safetensors.read(path: statePath)
        guard c.metadata["format"] == "cfclip-nada-state", let i = c.metadata["iteration"].flatMap(Int.init),
              let file = c.metadata["generator"] else {
            throw CheckpointError.malformed(file: statePath, what: "not a train-nada state (needs metadata format, iteration, generator)")
        }
        guard c.metadata["fingerprint"] == fingerprint else {
            throw CheckpointError.mismatch(source: statePath, problems: [
                "saved by a run with other settings (\(c.metadata["fingerprint"] ?? "none")), this run has \(fingerprint); use --restart or another --output-dir"])
        }
        // the state names its checkpoint: only one of this folder's, by the name save() gives it
        guard file.hasPrefix("checkpoint/"), file.hasSuffix(".pt"), file.dropFirst(11).dropLast(3).allSatisfy(\.isNumber),
              i >= 0, i <= trainer.settings.iterations else {
            throw CheckpointError.malformed(file: statePath, what: "metadata generator '\(file)' / iteration \(i) is not what train-nada writes")
        }
        let path = folder.appendingPathComponent(file).path
        let twin = try TrainableGenerator(StateDict.load(path), source: path)
        let adamState = Dictionary(c.tensors.map { ($0.name, $0.tensor.values) }, uniquingKeysWith: { a, _ in a })
        // every moment must belong to a parameter of the same size (Adam reads them unchecked)
        for (key, t) in adamState {
            guard let dot = key.firstIndex(of: ".") else { continue }
            let name = String(key[key.index(after: dot)...])
            let expected = twin.value(name).map { key.hasPrefix("step.") ? 1 : $0.count }
            guard let expected, expected == t.count else {
                throw CheckpointError.mismatch(source: statePath, problems: [
                    "'\(key)' has \(t.count) values, the generator's '\(name)' \(twin.value(name).map { "has \($0.count)" } ?? "does not exist")"])
            }
        }
        try trainer.restore(generator: twin, adamState: adamState, iteration: i)
        return true
    }

    /// Writes the trainable generator as `checkpoint/NNNNNN.pt` (N the index of the last
    /// iteration, as the reference names them) and the state beside it.
    public func save() throws {
        let i = trainer.iteration
        let file = String(format: "checkpoint/%06d.pt", i - 1)
        try trainer.trainable.write(to: folder.appendingPathComponent(file).path)
        try Safetensors.write(trainer.adam.state, metadata: ["format": "cfclip-nada-state", "iteration": "\(i)", "generator": file,
                                                              "fingerprint": fingerprint], to: statePath)
    }

    /// Progress of one iteration: iterations done, the total, the loss, the phase within it.
    public struct Progress {
        public var done: Int, total: Int
        public var loss: Float?
        public var phase: String?
    }

    /// Runs to `settings.iterations` (or `until`): each iteration's draws, step and log line;
    /// sample grids every `outputInterval` iterations (and after the last); checkpoints every
    /// `saveInterval` (and at the end), then the final generator to `output`.
    public func run(until last: Int? = nil, progress: ((Progress) -> Void)? = nil) throws {
        let s = trainer.settings
        let target = min(last ?? s.iterations, s.iterations)
        let log = try TrainingLog(path: folder.appendingPathComponent("log.jsonl").path, continuingAfter: trainer.iteration)
        let config = trainer.frozen.config
        while trainer.iteration < target {
            let i = trainer.iteration
            let draws = NadaDraws.sample(iteration: i, seed: s.seed, settings: s, config: config)
            let r = try trainer.step(draws) { phase in progress?(Progress(done: i, total: target, loss: nil, phase: phase)) }
            try log.append(step: i + 1, values: [("loss", r.loss)], lists: [("layers", r.chosen ?? [])])
            progress?(Progress(done: i + 1, total: target, loss: r.loss, phase: nil))
            if s.outputInterval > 0 && (i % s.outputInterval == 0 || i + 1 == s.iterations) { try writeSamples(iteration: i) }
            if (s.saveInterval > 0 && i > 0 && i % s.saveInterval == 0) || i + 1 == target { try save() }
        }
        if trainer.iteration == s.iterations { try trainer.trainable.write(to: output) }
    }

    /// `sample/NNNNNN.png`: `nSample` fixed codes (seeded), truncated towards a seeded mean
    /// latent by `sampleTruncation`, each with its own seeded noise: frozen above, trainable below.
    public func writeSamples(iteration i: Int) throws {
        let s = trainer.settings, g = trainer.frozen, d = g.config.styleDim
        var rng = RandomState(seed: UInt32(truncatingIfNeeded: s.seed))
        let z = Tensor(shape: [s.nSample, d], values: (0..<(s.nSample * d)).map { _ in Float(rng.gaussian()) })
        let w = g.truncate(g.mapping(z), psi: s.sampleTruncation, center: sampleCentre)
        let wplus = g.broadcast(w)
        let noise = NoiseMode.seeded((0..<s.nSample).map(UInt64.init))
        let frozen = try g.synthesize(wplus, noise: noise), trained = try trainer.trainable.generator.synthesize(wplus, noise: noise)
        let n = s.nSample
        let grid = RGBImage.grid([(0..<n).map { RGBImage(tensor: frozen, index: $0) }, (0..<n).map { RGBImage(tensor: trained, index: $0) }], gap: 2)
        try DurableFile.write(try PNG.encode(grid), to: folder.appendingPathComponent(String(format: "sample/%06d.png", i)).path, shared: true)
    }
}
