import Models
import Tensors

/// Renders the source codes once, then each edit, with the same noise for all of them: the
/// generator's stored buffers, or noise seeded from the sample's index (never from its
/// batch or worker), so an image depends only on its sample.
struct RenderStage {
    let generator: Generator
    /// Per edit, the generator that renders it (the base one unless the edit names its own).
    let editGenerators: [Generator]
    let noise: RuntimeConfig.Noise
    let noiseSeed: UInt64

    func callAsFunction(_ batch: SampleBatch) throws -> SampleBatch {
        let t0 = StageClock.now()
        var b = batch
        b.sourceImages = try render(b.latents, indices: b.indices, with: generator)
        b.editImages = try b.edited.enumerated().map { try render($1, indices: b.indices, with: editGenerators[$0]) }
        b.charge("render", since: t0)
        return b
    }

    func render(_ w: Tensor, indices: [Int], with g: Generator) throws -> Tensor {
        var i = 0
        return try perSample(w) { one in
            defer { i += 1 }
            return try g.synthesize(one, noise: Self.noise(noise, seed: noiseSeed, index: indices[i]))
        }
    }

    /// The noise of sample `index`: the stored buffers, or fresh noise from its own seed.
    static func noise(_ mode: RuntimeConfig.Noise, seed: UInt64, index: Int) -> NoiseMode {
        mode == .buffers ? .buffers : .seeded([sampleSeed(seed, index: index)])
    }

    /// SplitMix64 of (seed, index): independent streams per sample.
    static func sampleSeed(_ seed: UInt64, index: Int) -> UInt64 {
        var z = seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
