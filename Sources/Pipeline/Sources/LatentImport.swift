import Checkpoints
import Foundation
import Media
import Models
import Tensors

/// `cfclip import-latents`: StyleCLIP's `train_faces.pt` / `test_faces.pt` (a torch.save'd
/// float32 tensor (N, 18, 512) at the top level, so its state-dict name is empty) or any
/// checkpoint entry of rank 2 or 3, into an HDF5 `latents` dataset the pipeline reads.
public enum LatentImport {
    public static func run(input: String, output: String, key: String? = nil, dataset: String = "latents") throws -> [Int] {
        let dict = try ModelSet.wrap(input) { try StateDict.load(input) }
        let name: String
        if let key {
            guard dict.tensors[key] != nil else {
                throw PipelineError.input(file: input, what: "no tensor '\(key)' (it has: \(dict.names.map { $0.isEmpty ? "<top level>" : $0 }.prefix(8).joined(separator: ", ")))")
            }
            name = key
        } else if dict.names.count == 1 {
            name = dict.names[0]       // "" for a top-level tensor
        } else {
            throw PipelineError.input(file: input, what: "holds \(dict.names.count) tensors; name one with --key (\(dict.names.prefix(8).joined(separator: ", ")))")
        }
        let t = dict.tensors[name]!
        guard t.rank == 2 || t.rank == 3 else {
            throw PipelineError.input(file: input, what: "latents must be [N, L, D] (W+) or [N, D] (W), found shape \(Shape.text(t.shape))")
        }
        let per = t.count / max(t.shape[0], 1)
        if let bad = t.scalars.firstIndex(where: { !$0.isFinite }) {
            throw PipelineError.input(file: input, what: "latent \(bad / per) holds a non-finite value")
        }
        try HDF5File.write(path: output, datasets: [(dataset, t.shape, t.scalars)], chunkRows: max(1, (1 << 20) / max(per * 4, 1)))
        return t.shape
    }

    /// `cfclip sample-codes`: `count` codes of the AFHQ-style sampler as W [N, D] (or W+ with
    /// `wplus`), written to an HDF5 `latents` dataset.
    public static func sampleCodes(generator path: String, seed: UInt32, count: Int, psi: Float,
                                   center: SampledSourceConfig.Center, wplus: Bool, output: String) throws -> [Int] {
        let g = try ModelSet.wrap(path) { try Generator.load(path: path) }
        var sampler = try CodeSampler(generator: g, seed: seed, psi: psi, center: center, source: path)
        var values: [Float] = []
        var a = 0
        while a < count {
            let b = min(a + 1000, count)      // GetCode.py's num_once
            let w = sampler.codes(a..<b)
            values += (wplus ? g.broadcast(w) : w).scalars
            a = b
        }
        let shape = wplus ? [count, g.config.nLatent, g.config.styleDim] : [count, g.config.styleDim]
        try HDF5File.write(path: output, datasets: [("latents", shape, values)], chunkRows: wplus ? 16 : 256)
        return shape
    }
}
