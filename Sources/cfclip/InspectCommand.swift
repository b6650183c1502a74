import ArgumentParser
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "inspect", abstract: "List the tensors of a checkpoint.")
    @Argument var file: String
    func run() throws {}
}
