import ArgumentParser
import Checkpoints
import FileIO
import Foundation

/// `cfclip inspect FILE [--json]`: the tensors of any supported checkpoint.
struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "List the tensors of a checkpoint with dtype, shape and SHA-256.",
        discussion: """
            Reads safetensors, PyTorch zip files (torch.save since 1.6, TorchScript archives \
            such as OpenAI CLIP's ViT-B-32.pt) and legacy torch.save files. Prints every tensor's \
            dotted name, stored dtype, shape and the SHA-256 of its values as contiguous \
            little-endian float32 (int64 for integers and bools), then the non-tensor entries \
            (e.g. opts) as JSON.
            """)

    @Argument(help: "The checkpoint file.")
    var file: String

    @Flag(help: "Print {\"tensors\": [{name, dtype, shape, sha256}], \"objects\": {...}} instead of a table.")
    var json = false

    func run() throws {
        let inspection: Inspection
        do {
            inspection = try Inspection.of(path: file)
        } catch let error as CheckpointError {
            // One line naming the file and what is wrong; no usage text, no stack trace.
            ErrorReport.print(error)
            throw ExitCode.failure
        }
        print(json ? inspection.json() : inspection.table())
    }
}
