import ArgumentParser
import BuildInfo
import FileIO
import Foundation
import Pipeline

@main
struct BatchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfclip-batch",
        abstract: "Stream latent codes through text-driven edits: render, score, and write WebDataset shards.",
        discussion: """
        cfclip-batch PIPELINE.yaml is cfclip-batch run PIPELINE.yaml. Outputs go to the pipeline's \
        output.dir (or --output): shards/shard-NNNNNN.tar (KEY.src.png, KEY.EDIT.png, KEY.json), \
        metrics/shard-NNNNNN.jsonl, a done-marker per shard, manifest.json, summary.json and report.html. \
        A rerun skips finished shards and redoes unfinished ones.
        """,
        version: Version.text(program: "cfclip-batch"),
        subcommands: [RunCommand.self, ValidateCommand.self, MergeCommand.self, ReportCommand.self, StudyCommand.self],
        defaultSubcommand: RunCommand.self)

    /// SIGINT/SIGTERM handling is set up before any thread starts.
    static func main() {
        StopSignals.install(program: "cfclip-batch")
        main(nil)
    }
}

/// Prints a user-facing error in one line and exits non-zero (no stack trace).
func reportingErrors(_ body: () throws -> Void) throws {
    do { try body() } catch let e as ValidationError { throw e } catch let e as ExitCode { throw e } catch {
        ErrorReport.print(error)
        throw ExitCode(1)
    }
}
