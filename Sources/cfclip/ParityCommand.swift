import ArgumentParser
struct ParityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parity", abstract: "Check a fixture folder.")
    @Argument var dir: String
    func run() throws {}
}
