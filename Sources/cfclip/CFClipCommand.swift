import ArgumentParser
import BuildInfo
import FileIO

@main
struct CFClipCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cfclip",
        abstract: "CF-CLIP text-driven StyleGAN2 editing: inspect checkpoints, check parity with the reference.",
        version: Version.text(program: "cfclip"),
        subcommands: [InspectCommand.self, ParityCommand.self, EditCommand.self, TrainCommand.self, DemoAssetsCommand.self, ModelsCommand.self,
                      ImportLatentsCommand.self, SampleCodesCommand.self, TrainNadaCommand.self])

    /// SIGINT/SIGTERM handling is set up before any thread starts.
    static func main() {
        StopSignals.install(program: "cfclip")
        main(nil)
    }
}
