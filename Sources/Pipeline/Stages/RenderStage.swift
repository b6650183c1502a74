import Models
import Tensors

/// Renders the source codes once, then each edit, with the same noise for all of them: the
/// generator's stored buffers, or noise seeded from the sample's index (never from its
/// batch or worker), so an image depends only on its sample.
struct RenderStage {
    let generator: Generator
    let noise: RuntimeConfig.Noise
    let noiseSeed: UInt64

    func callAsFunction(_ batch: SampleBatch) throws -> SampleBatch {
        let t0 = StageClock.now()
        var b = batch
        b.sourceImages = try render(b.latents, rows: b.rows)
        b.editImages = try b.edited.map { try render($0, rows: b.rows) }
        b.charge("render", since: t0)
        return b
    }

    func render(_ w: Tensor, rows: Range<Int>) throws -> Tensor {
        var i = rows.lowerBound
        return try perSample(w) { one in
            defer { i += 1 }
            let mode: NoiseMode = noise == .buffers ? .buffers : .seeded([Self.sampleSeed(noiseSeed, index: i)])
            return try generator.synthesize(one, noise: mode)
        }
    }

    /// SplitMix64 of (seed, index): independent streams per sample.
    static func sampleSeed(_ seed: UInt64, index: Int) -> UInt64 {
        var z = seed &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
