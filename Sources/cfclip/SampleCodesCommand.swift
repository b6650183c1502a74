import ArgumentParser
import Foundation
import Pipeline

/// `cfclip sample-codes`: CF-CLIP's AFHQ code sampling (GetCode.py) into an HDF5 file.
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
