import Editing
import Checkpoints
import FileIO
import Foundation
import Media
import Models
import Tensors

/// The training loop of `cfclip train`: batches of latents in a seeded shuffled order, one
/// `TrainingStep` per batch, the optimiser, a JSONL log of every loss term, sample grids,
/// mapper checkpoints the pipeline loads unchanged, and a training state for exact resume.
public final class Trainer {
    public let config: TrainingConfig
    let models: TrainingModels
    let latents: LatentFile
    let generatorDict: StateDict
    let generatorPrefix: String
    let kind: MapperCheckpoint.Kind
    var params: [(String, Tensor)]
    var optimizer: any Optimizer
    var rng: RandomState
    var order: [Int] = []
    var cursor = 0
    public private(set) var step = 0
    let out: URL

    public var parameters: [(String, Tensor)] { params }

    public init(config: TrainingConfig, models: TrainingModels, latents: LatentFile,
                generatorDict: StateDict, generatorPrefix: String, initial: MapperCheckpoint?) throws {
        self.config = config; self.models = models; self.latents = latents
        self.generatorDict = generatorDict; self.generatorPrefix = generatorPrefix
        kind = config.loss == .global ? .styleclip : .cfclip
        rng = RandomState(seed: config.seed)
        let g = models.generator.config
        try latents.validate(width: g.styleDim, nLatent: g.nLatent)
        guard latents.count >= config.batchSize else {
            throw TrainingError.data(latents.path, "holds \(latents.count) latents, fewer than the batch size \(config.batchSize)")
        }
        let mapper = try initial ?? MapperInit.random(kind: kind, dim: g.styleDim, nLatent: g.nLatent, rng: &rng)
        params = mapper.namedParameters
        optimizer = config.optimizer == "adam" ? Adam(lr: config.learningRate) : Ranger(lr: config.learningRate)
        out = URL(fileURLWithPath: config.output)
        for dir in ["", "checkpoints", "images"] {
            try FileManager.default.createDirectory(at: out.appendingPathComponent(dir), withIntermediateDirectories: true)
        }
    }

    var statePath: String { out.appendingPathComponent("checkpoints/state.safetensors").path }

    /// Continues from the saved state of the same configuration, if one exists.
    public func resumeIfPossible() throws -> Bool {
        guard FileManager.default.fileExists(atPath: statePath) else { return false }
        let s = try TrainingState.read(path: statePath)
        guard s.fingerprint == config.fingerprint else {
            throw TrainingError.resume(statePath, "it was written with another configuration (fingerprint \(s.fingerprint), now \(config.fingerprint))")
        }
        guard s.params.map(\.0) == params.map(\.0) else { throw TrainingError.resume(statePath, "its mapper has other parameters") }
        params = s.params; rng = s.rng; order = s.order; cursor = s.cursor; step = s.step
        try optimizer.restore(s.optimizer, step: s.step)
        return true
    }

    /// The next batch of latent indices: a shuffled permutation per epoch (Fisher-Yates).
    func nextBatch() -> [Int] {
        var batch: [Int] = []
        while batch.count < config.batchSize {
            if cursor >= order.count {
                order = Array(0..<latents.count)
                for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.randomSample() * Double(i + 1))) }
                cursor = 0
            }
            batch.append(order[cursor]); cursor += 1
        }
        return batch
    }

    /// Runs until `maxSteps` (or `until`), writing logs, images and checkpoints as configured.
    public func run(until last: Int? = nil, progress: ((Int, Int, [(String, Float)]) -> Void)? = nil) throws {
        let target = min(last ?? config.maxSteps, config.maxSteps)
        let nLatent = models.generator.config.nLatent
        let log = try TrainingLog(path: out.appendingPathComponent("log.jsonl").path, continuingAfter: step)
        let trainingStep = TrainingStep(kind: config.loss, weights: config.weights)
        while step < target {
            let idx = nextBatch()
            let w = Tensor.concatenate(try idx.map { try latents.read($0..<($0 + 1), nLatent: nLatent) })
            let size = models.generator.config.size
            let warps = config.loss == .nce ? (0..<config.augmentations).map { _ in
                PerspectiveAugment.sample(width: size, height: size, distortion: config.distortionScale, rng: &rng)
            } : []
            let mapper = try MapperInit.with(params, kind: kind)
            let r = try trainingStep.run(mapper: mapper, w: w, models: models, warps: warps)
            optimizer.update(&params, grads: r.gradients)
            step += 1
            try log.append(step: step, values: [("loss", r.loss)] + r.parts, latents: idx)
            progress?(step, target, [("loss", r.loss)] + r.parts)
            if config.imageInterval > 0 && step % config.imageInterval == 0 { try writeSamples(r.x, r.xHat) }
            if (config.saveInterval > 0 && step % config.saveInterval == 0) || step == config.maxSteps { try save() }
        }
    }

    /// `images/step-NNNNNN.png`: sources on the top row, edits below.
    func writeSamples(_ x: Tensor, _ xHat: Tensor) throws {
        let n = x.shape[0]
        let grid = RGBImage.grid([(0..<n).map { RGBImage(tensor: x, index: $0) }, (0..<n).map { RGBImage(tensor: xHat, index: $0) }], gap: 2)
        try DurableFile.write(try PNG.encode(grid), to: out.appendingPathComponent(String(format: "images/step-%06d.png", step)).path, shared: true)
    }

    /// The mapper (with its generator, loadable by the pipeline) and the training state.
    public func save() throws {
        let mapper = try MapperInit.with(params, kind: kind)
        var opts: [(key: String, value: JSONValue)] = [
            ("description", .string(config.description)), ("source_text", .string(config.sourceText)),
            ("loss", .string(config.loss.rawValue)), ("step", .int(Int64(step))),
        ]
        opts.append(("stylegan_size", .int(Int64(models.generator.config.size))))
        try mapper.replacingOptions(.object(opts)).write(to: out.appendingPathComponent(String(format: "checkpoints/mapper-%06d.safetensors", step)).path,
                           decoderDict: generatorDict, decoderPrefix: generatorPrefix)
        try TrainingState(step: step, params: params, optimizer: optimizer.state, rng: rng, order: order, cursor: cursor,
                          fingerprint: config.fingerprint).write(to: statePath)
    }
}
