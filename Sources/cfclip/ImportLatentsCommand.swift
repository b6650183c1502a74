import ArgumentParser
import Foundation
import Pipeline

/// `cfclip import-latents X.pt OUT.h5`: StyleCLIP's torch.save'd latents as an HDF5 `latents` dataset.
struct ImportLatentsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-latents",
        abstract: "Convert a torch.save'd latent tensor (StyleCLIP's test_faces.pt) to an HDF5 'latents' dataset.")

    @Argument(help: "The .pt file (a tensor (N, 18, 512) or (N, 512)).") var input: String
    @Argument(help: "The HDF5 file to write.") var output: String
    @Option(help: "The tensor's name when the file holds several.") var key: String?

    func run() throws {
        try reportingErrors {
            let shape = try LatentImport.run(input: input, output: output, key: key)
            print("wrote \(output): latents \(shape)")
        }
    }
}
