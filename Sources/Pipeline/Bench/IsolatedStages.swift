import Foundation
import Tensors

/// The ideal a pipeline run is measured against: each compute stage of the run's own
/// pipeline (its models, its settings) timed alone, one sample at a time on the calling
/// thread with every core free, as `cfclip-bench pipeline` does just before the run.
public enum IsolatedStages {
    public static let stages = ["edit", "render", "score", "encode"]

    /// Median seconds per sample of each stage over `samples` samples (after one untimed
    /// sample: the first render grows the heap), from the pipeline file at `path`.
    public static func measure(pipeline path: String, samples: Int) throws -> [String: Double] {
        let p = try PipelineRunner.prepare(pipeline: path, options: RunOptions(progress: false))
        let (edit, render, score, encode) = PipelineRunner.computeStages(config: p.config, models: p.models, progress: nil)
        let rows = min(p.source.count, max(samples, 1) + 1)
        var times: [String: [Double]] = [:]
        for r in 0..<rows {
            let codes = try p.source.read(r..<(r + 1))
            var b = SampleBatch(shard: 0, rows: r..<(r + 1), indices: [p.source.sampleIndex(r)], lastOfShard: false,
                                shardStarted: 0, latents: codes)
            func timed<T>(_ stage: String, _ body: () throws -> T) rethrows -> T {
                let t0 = StageClock.now()
                let out = try body()
                if r > 0 || rows == 1 { times[stage, default: []].append(StageClock.now() - t0) }
                return out
            }
            b = try timed("edit") { try edit(b) }
            b = try timed("render") { try render(b) }
            b = try timed("score") { try score(b) }
            _ = try timed("encode") { try encode(b) }
        }
        return times.mapValues { $0.sorted()[$0.count / 2] }
    }

    /// Steady-state seconds per sample of a run: from the first finished batch to the last
    /// (the pipeline's filling and the first batch's wait are left out); nil with fewer than
    /// two batches.
    public static func steadySecondsPerSample(_ finishes: [(time: Double, samples: Int)]) -> Double? {
        guard finishes.count >= 2 else { return nil }
        let samples = finishes.dropFirst().reduce(0) { $0 + $1.samples }
        return (finishes.last!.time - finishes.first!.time) / Double(max(samples, 1))
    }
}
