import ArgumentParser
import FileIO
import Foundation
import Parity

struct ParityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity",
        abstract: "Recompute every output of a fixture folder and compare it with the reference.",
        discussion: """
        Reads config.json, cases.json, cases.safetensors and the checkpoints of DIR, recognises the \
        model, recomputes every output tensor from the inputs (once per checkpoint file present) and \
        prints, per output, the max abs and rel error against the stored tolerance. Exits 0 only if \
        every output was computed and passed.
        """)

    @Argument(help: "A fixture folder (e.g. ../shared/fixtures/ops).") var dir: String
    @Flag(help: "Print the results as JSON.") var json = false

    func run() throws {
        do {
            let report = try ParityRunner.run(dir)
            print(json ? ParityRunner.json(report) : ParityRunner.format(report))
            if !report.passed { throw ExitCode(1) }
        } catch let e as ExitCode {
            throw e
        } catch {
            ErrorReport.print(error)
            throw ExitCode(2)
        }
    }
}
