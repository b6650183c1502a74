import ArgumentParser
import Foundation
import Pipeline
import Tensors

/// The main job end to end: the unchanged mission pipeline on full-size random-weight models
/// in the released layouts (written to a temporary folder). First each compute stage alone,
/// one sample at a time with every core free (the ideal), then the streamed run; efficiency =
/// ideal seconds per sample / steady-state seconds per sample of the run.
struct PipelineBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pipeline",
        abstract: "Samples per minute of the mission pipeline, each stage's busy and waiting time, and its efficiency against the stages timed alone.")
    @Option(help: "The pipeline file, copied unchanged next to the files it names.") var pipeline = MissionFiles.pipeline
    @Option(help: "Samples the streamed run renders.") var samples = 8
    @Option(help: "Samples each stage is timed on alone (medians), after one untimed sample.") var isolated = 2
    @Option(help: "Threads (BLAS and loops).") var threads = 2
    @Option(help: "Write the model files here and keep them (default: a temporary folder, removed after).") var keep: String?
    @Flag(help: "Print one flat JSON object.") var json = false

    func run() throws {
        Parallel.setThreads(threads)
        let text: String
        do { text = try String(contentsOfFile: pipeline, encoding: .utf8) } catch {
            throw ValidationError("cannot read the pipeline file \(pipeline) (run from the repository root or pass --pipeline)")
        }
        let root = keep ?? NSTemporaryDirectory() + "cfclip-bench-pipeline-\(getpid())"
        defer { if keep == nil { try? FileManager.default.removeItem(atPath: root) } }
        let t0 = Date()
        try MissionFiles.write(to: root, pipelineText: text, samples: samples, seed: 1)
        note(String(format: "wrote the full-size model files to %@ in %.0f s", root, Date().timeIntervalSince(t0)))
        let file = root + "/" + MissionFiles.pipeline

        let ideal = try IsolatedStages.measure(pipeline: file, samples: isolated)
        let idealSum = ideal.values.reduce(0, +)
        note(IsolatedStages.stages.map { String(format: "%@ %.2f s", $0, ideal[$0] ?? 0) }.joined(separator: ", ")
             + String(format: " per sample alone (sum %.2f s)", idealSum))

        // a fresh run every time: a kept folder's earlier output would be resumed, every shard
        // skipped, and no batch left to time
        try? FileManager.default.removeItem(atPath: root + "/out")
        let result = try PipelineRunner.run(pipeline: file, options: RunOptions(output: root + "/out", force: true, progress: !json))
        guard let steady = IsolatedStages.steadySecondsPerSample(result.batchFinishes) else {
            throw ValidationError("--samples \(samples) gives fewer than two batches: no steady state to measure")
        }
        let n = Double(samples)
        var rows: [(String, Double)] = [("samples_per_minute", 60 / steady), ("seconds_per_sample", steady),
                                         ("run_seconds_per_sample", result.seconds / n), ("ideal_seconds_per_sample", idealSum),
                                         ("efficiency", idealSum / steady)]
        let busyTotal = max(result.stages.values.reduce(0) { $0 + $1.busy }, 1e-9)
        for stage in StageClock.stageOrder {
            guard let t = result.stages[stage] else { continue }
            rows += [("\(stage)_busy_per_sample", t.busy / n), ("\(stage)_share", t.busy / busyTotal),
                     ("\(stage)_waiting_input_per_sample", t.waitingInput / n), ("\(stage)_waiting_output_per_sample", t.waitingOutput / n),
                     ("\(stage)_waiting_core_per_sample", t.waitingCore / n)]
            if let i = ideal[stage] { rows.append(("\(stage)_ideal_per_sample", i)) }
        }
        rows += [("samples", n), ("threads", Double(threads)), ("peak_rss_mb", peakRSSMegabytes())]
        printResults(rows, json: json)
    }

    func note(_ s: String) { if !json { FileHandle.standardError.write(Data((s + "\n").utf8)) } }
}
