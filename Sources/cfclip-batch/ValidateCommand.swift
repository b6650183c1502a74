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

    @OptionGroup var arguments: RunArguments

    func run() throws {
        try reportingErrors {
            let (_, options) = try arguments.options(progress: false)
            let report = try PipelineRunner.validate(pipeline: arguments.pipeline, options: options)
            for line in report.lines { print(line) }
            for problem in report.problems { print("problem: " + problem) }
            if !report.passed { throw ExitCode(2) }
            print("ok: a run would start")
        }
    }
}
