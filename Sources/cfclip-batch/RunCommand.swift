import ArgumentParser
import Foundation
import Pipeline

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a pipeline file (the default subcommand).",
        discussion: """
        Exit status: 0 when the owned shards are done (and, in regression mode, nothing drifted); \
        1 on an error (one line on stderr, nothing half-written); 3 when regression found drift. \
        Scale-out: --shard-index I --shard-count N runs shards s with s % N == I; without flags the \
        index comes from SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (count SLURM_ARRAY_TASK_COUNT) or \
        JOB_COMPLETION_INDEX (count from --shard-count or CFCLIP_SHARD_COUNT). Join the parts' folders \
        with cfclip-batch merge.
        """)

    @OptionGroup var arguments: RunArguments
    @Flag(help: "No progress lines on stderr.") var quiet = false

    func run() throws {
        try reportingErrors {
            let (partition, options) = try arguments.options(progress: !quiet)
            let result = try PipelineRunner.run(pipeline: arguments.pipeline, options: options)
            var line = "wrote \(result.shardsWritten) shard(s), skipped \(result.shardsSkipped) finished"
            if partition.count > 1 { line += " (part \(partition.index) of \(partition.count))" }
            line += String(format: " in %.1f s", result.seconds)
            if let b = result.busiestStage { line += ", busiest stage: \(b)" }
            line += " -> \(result.outputFolder)"
            print(line)
            if result.complete {
                print("all \(result.shardsTotal) shard(s) done: summary.json, report.html")
            } else {
                print("\(result.shardsTotal) shard(s) in the job; run the other parts, then cfclip-batch merge")
            }
            if let r = result.regression {
                for l in r.lines() { print(l) }
                if !r.passed { throw ExitCode(3) }
            }
        }
    }
}
