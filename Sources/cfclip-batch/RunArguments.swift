import ArgumentParser
import Foundation
import Pipeline

/// What `run` and `validate` share: the pipeline, where its outputs go, which part of a split
/// job this is, and how the output folder is treated.
struct RunArguments: ParsableArguments {
    @Argument(help: "The pipeline YAML file (e.g. pipelines/demo.yaml).") var pipeline: String
    @Option(help: "Output folder (overrides output.dir).") var output: String?
    @Option(help: "This part's index when the job is split (0-based).") var shardIndex: Int?
    @Option(help: "Number of parts the job is split into.") var shardCount: Int?
    @Flag(help: "Replace the outputs of a folder made with another configuration.") var force = false
    @Flag(help: "Trust finished shards by their size, without re-hashing them (SHA-256) first.") var noVerify = false

    /// The part from the flags or the scheduler's environment, and the run options.
    func options(progress: Bool) throws -> (Partition, RunOptions) {
        let partition = try Partition.resolve(index: shardIndex, count: shardCount, environment: ProcessInfo.processInfo.environment)
        return (partition, RunOptions(output: output, partition: partition, force: force, progress: progress, verify: !noVerify))
    }
}
