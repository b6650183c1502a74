import ArgumentParser
import Foundation
import Pipeline

/// `cfclip demo-assets`: the self-contained model bundle behind pipelines/demo.yaml.
struct DemoAssetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-assets",
        abstract: "Write the demo bundle (seeded random small models and latents) for pipelines/demo.yaml and demo_methods.yaml.",
        discussion: """
        Writes generator.safetensors, two CF-CLIP mappers and a StyleCLIP mapper that embed it, \
        generator_nada.pt (that generator after 3 StyleGAN-NADA iterations towards "green lipstick", \
        as cfclip train-nada writes it), clip.safetensors with a byte-level vocabulary (bpe_bytes.txt.gz), \
        arcface.safetensors, vgg16.safetensors (TediGAN's layout) and latents.h5. The weights are \
        random, so the pictures are noise; real edits need the official checkpoints.
        """)

    @Option(help: "Folder to write.") var output = "data/demo"
    @Option(help: "Number of latent codes in latents.h5.") var latents = 20
    @Option(help: "Seed of the random weights.") var seed: UInt64 = 2024

    func run() throws {
        try reportingErrors {
            guard latents >= 0 else { throw ValidationError("--latents must be 0 or more") }
            let files = try DemoAssets.write(to: output, latents: latents, seed: seed)
            print("wrote \(files.count) files to \(output) (\(latents) latents)")
        }
    }
}
