import Checkpoints
import Foundation
import Models
import Tensors

/// `fixtures/stylegan2`: mapping, truncation, W+ synthesis with stored and explicit noise,
/// style mixing and the hooked activations, from every checkpoint file of the folder.
enum StyleGAN2Parity {
    static func run(_ f: FixtureFolder) -> [ParityResult] {
        f.judge(perCheckpoint: f.checkpointFiles) { path in
            let g = try Generator.load(path: path)
            return try compute(f, g)
        }
    }

    static func compute(_ f: FixtureFolder, _ g: Generator) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        let wanted = Set(f.outputs.map(\.name))
        func entry(_ name: String) -> FixtureFolder.Entry? { f.outputs.first { $0.name == name } }

        if let z = f.inputIfPresent("in.z") {
            let w = g.mapping(z)
            out["mapping.w"] = w
            if wanted.contains("trunc.latent") || wanted.contains("trunc.image") {
                let psi = Float(entry("trunc.latent")?.parameter("truncation") ?? entry("trunc.image")?.parameter("truncation") ?? 0.7)
                guard let center = f.inputIfPresent("in.latent_avg") ?? g.latentAvg else {
                    throw ParityError.missingInput(f.url.path, "in.latent_avg")
                }
                let latent = g.broadcast(g.truncate(w, psi: psi, center: center))
                out["trunc.latent"] = latent
                if wanted.contains("trunc.image") { out["trunc.image"] = try g.synthesize(latent) }
            }
            if let z2 = f.inputIfPresent("in.z2"), wanted.contains("mix.latent") || wanted.contains("mix.image") {
                let inject = Int(entry("mix.latent")?.parameter("inject_index") ?? entry("mix.image")?.parameter("inject_index") ?? 4)
                let latent = g.mix(w, g.mapping(z2), injectIndex: inject)
                out["mix.latent"] = latent
                if wanted.contains("mix.image") { out["mix.image"] = try g.synthesize(latent) }
            }
        }
        if let wplus = f.inputIfPresent("in.wplus") {
            out["wplus.image"] = try g.synthesize(wplus) { name, t in
                if wanted.contains("wplus.act.\(name)") { out["wplus.act.\(name)"] = t }
            }
            let noises = (0..<g.config.numLayers).compactMap { f.inputIfPresent("in.noise.\($0)") }
            if wanted.contains("wplus_noise.image"), noises.count == g.config.numLayers {
                out["wplus_noise.image"] = try g.synthesize(wplus, noise: .explicit(noises))
            }
        }
        return out
    }
}
