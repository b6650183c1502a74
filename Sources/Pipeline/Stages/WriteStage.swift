import FileIO
import Foundation

/// The last stage: appends samples to the current shard, and when a shard's last batch has
/// arrived publishes it in order: images (tar or folder), metrics, then the done-marker.
/// If the run stops before that, the shard's temporaries are removed (or, after a crash,
/// cleared by the next run) and the shard is redone.
final class WriteStage {
    let layout: OutputLayout
    let format: OutputConfig.Format
    let configHash: String
    let partition: Partition
    let progress: ProgressReporter
    private var sink: ShardSink?
    private var lines: [String] = []
    private var timings: [String: Double] = [:]
    private var started = 0.0
    private(set) var shardsWritten = 0

    init(layout: OutputLayout, format: OutputConfig.Format, configHash: String, partition: Partition, progress: ProgressReporter) {
        self.layout = layout; self.format = format; self.configHash = configHash; self.partition = partition; self.progress = progress
    }

    /// Fault seam for the kill-and-resume test: with CFCLIP_FAULT_HOLD_SHARD=N the writer stops
    /// for good once shard N's temporary holds its first sample, so the test kills the run at a
    /// known point mid-shard instead of racing it.
    static let holdShard = ProcessInfo.processInfo.environment["CFCLIP_FAULT_HOLD_SHARD"].flatMap { Int($0) }

    func consume(_ batch: EncodedBatch, rows: Range<Int>) throws {
        let t0 = StageClock.now()
        if sink == nil {
            sink = format == .tar ? try TarShardSink(layout: layout, shard: batch.shard) : try FolderShardSink(layout: layout, shard: batch.shard)
            lines = []
            timings = [:]
            started = batch.shardStarted
        }
        for sample in batch.samples {
            try sink!.add(sample)
            lines += sample.metricsLines
            if batch.shard == Self.holdShard { while true { sleep(3600) } }
        }
        for (k, v) in batch.timings { timings[k, default: 0] += v }
        if batch.lastOfShard {
            var files = try sink!.publish()
            sink = nil
            let metrics = layout.metricsRelative(batch.shard)
            files[metrics] = try DurableFile.write(Array(lines.map { $0 + "\n" }.joined().utf8), to: layout.path(metrics))
            timings["write", default: 0] += StageClock.now() - t0
            timings["wall"] = StageClock.now() - started
            let marker = DoneMarker(shard: batch.shard, configHash: configHash, rows: rows, files: files, timings: timings,
                                    partition: partition)
            try DurableFile.write(Array((marker.json.pretty(sortedKeys: true) + "\n").utf8), to: layout.done(batch.shard))
            shardsWritten += 1
        } else {
            timings["write", default: 0] += StageClock.now() - t0
        }
        progress.advance(by: batch.samples.count)
    }
}
