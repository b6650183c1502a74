import ArgumentParser
import Foundation
import Pipeline

struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check a pipeline without rendering: config, models, latents, golden folder, output folder and disk space.",
        discussion: """
        Loads every model (shapes are checked against the config), reads every latent row of the \
        owned shards once, and inspects the output folder without writing to it. Exit status 0 when \
        a run would start, 1 with one error line, 2 when the output folder or the disk would stop it.
        """)

    @Argument(help: "The pipeline YAML file.") var pipeline: String
    @Option(help: "Output folder (overrides output.dir).") var output: String?
    @Option(help: "This part's index when the job is split (0-based).") var shardIndex: Int?
    @Option(help: "Number of parts the job is split into.") var shardCount: Int?
    @Flag(help: "Validate as for a run with --force.") var force = false
    @Flag(help: "Do not re-hash finished shards.") var noVerify = false

    func run() throws {
        try reportingErrors {
            let partition = try Partition.resolve(index: shardIndex, count: shardCount, environment: ProcessInfo.processInfo.environment)
            let report = try PipelineRunner.validate(pipeline: pipeline, options: RunOptions(output: output, partition: partition, force: force,
                                                                                              progress: false, verify: !noVerify))
            for line in report.lines { print(line) }
            for problem in report.problems { print("problem: " + problem) }
            if !report.passed { throw ExitCode(2) }
            print("ok: a run would start")
        }
    }
}
