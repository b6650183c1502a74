import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Models
import Tensors

/// How `cfclip-batch run` was invoked, beyond the pipeline file.
public struct RunOptions: Sendable {
    public var output: String?
    public var partition: Partition = .whole
    public var force = false
    public var progress = true
    /// Re-hash finished shards before trusting them on resume.
    public var verify = true

    public init(output: String? = nil, partition: Partition = .whole, force: Bool = false, progress: Bool = true, verify: Bool = true) {
        self.output = output; self.partition = partition; self.force = force; self.progress = progress; self.verify = verify
    }
}

public struct RunResult: Sendable {
    public var outputFolder: String
    public var shardsWritten: Int
    public var shardsSkipped: Int
    public var shardsTotal: Int
    /// Every shard of the job is done in the folder (summary and report were written).
    public var complete: Bool
    public var regression: RegressionReport?
    public var seconds: Double
    public var busiestStage: String?
    /// Where each stage's time went in this run (empty when nothing ran).
    public var stages: [String: StageClock.Times] = [:]
    /// (time, samples) each time the writer finished a batch.
    public var batchFinishes: [(time: Double, samples: Int)] = []
}

/// One run of a pipeline: check everything that can be checked before writing (config,
/// models, latents), reconcile with the output folder (resume / refuse), then stream the
/// owned, unfinished shards through the stages, each on its own thread:
///
///     read -> edit -> render -> score -> encode -> write
///
/// connected by `BoundedQueue`s of `runtime.queue_depth` batches, so memory stays flat
/// whatever the input size, and encoding/writing overlap the model work. The first error in
/// any stage cancels every queue; the runner reports that error.
public enum PipelineRunner {
    /// Everything a run checks before it touches the output folder: the config, the models,
    /// the latent codes (every owned row read once), the golden folder.
    struct Prepared {
        var config: PipelineConfig
        var models: ModelSet
        var source: LatentSource
        var checksums: [String: String]
        var plan: ShardPlan
        var owned: [Int]
        var identity: RunIdentity
    }

    static func prepare(pipeline path: String, options: RunOptions) throws -> Prepared {
        var config = try PipelineConfig.load(path: path)
        if let out = options.output { config.output.dir = URL(fileURLWithPath: out).standardizedFileURL.path }
        if let n = config.runtime.threads { Parallel.setThreads(n) }

        let models = try ModelSet.load(config, file: path)
        var checksums = models.checksums
        var source: LatentSource
        switch config.source {
        case let .hdf5(h):
            source = try HDF5LatentSource(config: h, styleDim: models.generator.config.styleDim, nLatent: models.generator.config.nLatent)
            checksums["latents"] = try FileChecksum.sha256(path: h.path)
        case let .sampled(s):
            source = try SampledCodeSource(config: s, generator: models.generator, source: config.models.generator ?? config.edits[0].mapper ?? path)
        }
        if config.rows != .all { source = try SelectedRows(source, selection: config.rows, file: path) }
        let plan = ShardPlan(samples: source.count, samplesPerShard: config.output.samplesPerShard)
        let owned = (0..<plan.count).filter(options.partition.owns)
        try source.validate(owned.map(plan.rows))
        if let r = config.regression { try RegressionCheck.requireGolden(r.golden) }
        return Prepared(config: config, models: models, source: source, checksums: checksums, plan: plan, owned: owned,
                        identity: RunIdentity(config: config, checksums: checksums))
    }

    public static func run(pipeline path: String, options: RunOptions) throws -> RunResult {
        let t0 = StageClock.now()
        let p = try prepare(pipeline: path, options: options)
        let (config, models, source, checksums, plan, owned, identity) = (p.config, p.models, p.source, p.checksums, p.plan, p.owned, p.identity)

        let layout = OutputLayout(root: config.output.dir)
        let folder = OutputFolder(layout: layout)
        if access(layout.root, W_OK) != 0, FileManager.default.fileExists(atPath: layout.manifest),
           owned.allSatisfy({ folder.isComplete($0, configHash: identity.configHash, rows: plan.rows(of: $0), verify: options.verify) }) {
            // a finished run on a read-only mount: verified, nothing to write
            return RunResult(outputFolder: layout.root, shardsWritten: 0, shardsSkipped: owned.count, shardsTotal: plan.count,
                             complete: owned.count == plan.count, regression: nil, seconds: StageClock.now() - t0, busiestStage: nil)
        }
        try folder.create()
        let lock = try FolderLock(layout: layout, partition: options.partition, exclusive: options.force)
        defer { lock.release() }
        let done = try folder.reconcile(configHash: identity.configHash, plan: plan, partition: options.partition, force: options.force,
                                        verify: options.verify)
        let manifest = Manifest(configHash: identity.configHash, config: identity.canonical, checksums: checksums, plan: plan,
                                partitionCount: options.partition.count)
        try manifest.write(to: layout)

        let pending = owned.filter { !done.contains($0) }
        let clock = StageClock()
        let progress = ProgressReporter(total: owned.reduce(0) { $0 + plan.rows(of: $1).count },
                                        skipped: done.reduce(0) { $0 + plan.rows(of: $1).count }, clock: clock, enabled: options.progress)
        let writer = WriteStage(layout: layout, format: config.output.format, configHash: identity.configHash,
                                partition: options.partition, progress: progress)
        try stream(config: config, models: models, source: source, plan: plan, shards: pending, writer: writer, clock: clock)
        progress.finish()

        let complete = (0..<plan.count).allSatisfy { folder.isComplete($0, configHash: identity.configHash, rows: plan.rows(of: $0)) }
        var regression: RegressionReport? = nil
        if complete {
            let summary = try Summary.build(layout: layout, manifest: manifest, verify: false)
            try summary.write(to: layout)
            // the regression result first: the report shows it
            if let r = config.regression { regression = try RegressionCheck.compare(output: layout, golden: r) } else { try? FileManager.default.removeItem(atPath: layout.regression) }
            try ReportPage.write(layout: layout, manifest: manifest, summary: summary)
        }
        return RunResult(outputFolder: layout.root, shardsWritten: writer.shardsWritten, shardsSkipped: done.count, shardsTotal: plan.count,
                         complete: complete, regression: regression, seconds: StageClock.now() - t0, busiestStage: clock.busiest,
                         stages: clock.stages, batchFinishes: clock.batchFinishes)
    }

    /// Runs the stage threads over `shards` and waits for them; rethrows the first error.
    static func stream(config: PipelineConfig, models: ModelSet, source: LatentSource, plan: ShardPlan, shards: [Int],
                       writer: WriteStage, clock: StageClock) throws {
        guard !shards.isEmpty else { return }
        let depth = config.runtime.queueDepth
        let read = BoundedQueue<SampleBatch>(capacity: depth), edited = BoundedQueue<SampleBatch>(capacity: depth)
        let rendered = BoundedQueue<SampleBatch>(capacity: depth), scored = BoundedQueue<SampleBatch>(capacity: depth)
        let encoded = BoundedQueue<EncodedBatch>(capacity: depth)
        let failure = PipelineFailure()
        for q in [read, edited, rendered, scored] { failure.onFailure { q.cancel() } }
        failure.onFailure { encoded.cancel() }

        let reader = ReadStage(source: source, plan: plan, shards: shards, batchSize: config.runtime.batchSize)
        let (edit, render, score, encode) = computeStages(config: config, models: models, progress: writer.progress)
        let box = Unchecked((reader, writer))
        let threads = [
            StageThread(name: "read") { box.value.0.run(into: read, failure: failure, clock: clock) },
            StageThread(name: "edit") { StageLoop.run("edit", input: read, output: edited, failure: failure, clock: clock, edit.callAsFunction) },
            StageThread(name: "render") { StageLoop.run("render", input: edited, output: rendered, failure: failure, clock: clock, render.callAsFunction) },
            StageThread(name: "score") { StageLoop.run("score", input: rendered, output: scored, failure: failure, clock: clock, score.callAsFunction) },
            StageThread(name: "encode") { StageLoop.run("encode", input: scored, output: encoded, failure: failure, clock: clock, encode.callAsFunction) },
            StageThread(name: "write") {
                StageLoop.run("write", input: encoded, output: BoundedQueue<Void>?.none, failure: failure, clock: clock, compute: false) { batch in
                    try box.value.1.consume(batch, rows: plan.rows(of: batch.shard))
                    clock.finished(samples: batch.samples.count)
                }
            },
        ]
        threads.forEach { $0.start() }
        threads.forEach { $0.join() }
        if let error = failure.error { throw error }
    }
}

extension PipelineRunner {
    /// The four compute stages of a run (`cfclip-bench pipeline` also times them alone).
    static func computeStages(config: PipelineConfig, models: ModelSet, progress: ProgressReporter?)
        -> (EditStage, RenderStage, ScoreStage, EncodeStage) {
        let edit = EditStage(edits: models.edits, noise: config.runtime.noise, noiseSeed: config.runtime.noiseSeed, progress: progress)
        let render = RenderStage(generator: models.generator, editGenerators: models.edits.map(\.generator),
                                 noise: config.runtime.noise, noiseSeed: config.runtime.noiseSeed)
        let score = ScoreStage(metrics: config.scores.metrics, models: models)
        let wantsCLIP = config.scores.metrics.contains(.clipSimilarity) || config.scores.metrics.contains(.directionalCLIP)
        let encode = EncodeStage(edits: models.edits.map { EditRecord($0, checksums: models.checksums, judge: wantsCLIP ? models.judgeRole : nil) },
                                 metrics: config.scores.metrics, imageFormat: config.output.imageFormat,
                                 jpegQuality: config.output.jpegQuality, imageSize: config.output.imageSize)
        return (edit, render, score, encode)
    }
}

/// Hands values that are used by exactly one stage thread to that thread.
final class Unchecked<T>: @unchecked Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
