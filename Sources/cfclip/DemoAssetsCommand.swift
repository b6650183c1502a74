import ArgumentParser
import Foundation
import Pipeline

/// `cfclip demo-assets`: the self-contained model bundle behind pipelines/demo.yaml.
struct DemoAssetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-assets",
        abstract: "Write the demo bundle (seeded random small models and latents) for pipelines/demo.yaml.",
        discussion: """
        Writes generator.safetensors, two CF-CLIP mappers that embed it, clip.safetensors with a \
        byte-level vocabulary (bpe_bytes.txt.gz), arcface.safetensors and latents.h5. The weights are \
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

struct SampleCodesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample-codes",
        abstract: "Sample W codes as CF-CLIP's GetCode.py does (RandomState(seed) z, mapping, truncation) into HDF5.",
        discussion: "--seed 5 --count 3000 --truncation 0.7 with the AFHQ generator regenerates CF-CLIP's AFHQ test codes.")

    @Option(help: "Generator checkpoint (rosinality .pt/.safetensors, or a mapper embedding one).") var generator: String
    @Option(help: "numpy RandomState seed.") var seed: UInt32 = 5
    @Option(help: "Number of codes.") var count = 3000
    @Option(help: "Truncation psi toward the centre.") var truncation: Float = 0.7
    @Option(help: "Truncation centre: latent_avg or mean.") var center = "latent_avg"
    @Flag(help: "Write W+ codes [N, L, D] instead of W [N, D].") var wplus = false
    @Option(help: "The HDF5 file to write.") var output: String

    func run() throws {
        try reportingErrors {
            guard let c = SampledSourceConfig.Center(rawValue: center) else { throw ValidationError("--center must be latent_avg or mean") }
            let shape = try LatentImport.sampleCodes(generator: generator, seed: seed, count: count, psi: truncation, center: c,
                                                     wplus: wplus, output: output)
            print("wrote \(output): latents \(shape)")
        }
    }
}
