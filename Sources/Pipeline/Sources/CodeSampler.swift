import Models
import Tensors

/// CF-CLIP's AFHQ code sampling (`GetCode.py`): z ~ numpy `RandomState(seed).randn` in
/// chunks of 1000 x style_dim, w = mapping(z), then w = center + psi (w - center) toward the
/// generator's `latent_avg` (ψ = 0.7, seed 5 in the reference). The chunking does not change
/// the stream, so code `i` is always values [i D, (i+1) D) of it; W codes are [n, D].
public struct CodeSampler {
    public let generator: Generator
    public let seed: UInt32
    public let psi: Float
    public let center: Tensor
    var random: RandomState
    /// Index of the next code the stream would give.
    var position = 0

    public init(generator: Generator, seed: UInt32, psi: Float, center: SampledSourceConfig.Center, source: String = "the generator") throws {
        self.generator = generator; self.seed = seed; self.psi = psi
        random = RandomState(seed: seed)
        switch center {
        case .latentAvg:
            guard let avg = generator.latentAvgW else {
                throw PipelineError.input(file: source, what: generator.latentAvg == nil
                    ? "has no latent_avg to truncate toward; truncate toward the mean W instead (center: mean, or --center mean)"
                    : "latent_avg has \(generator.latentAvg!.count) values, style_dim is \(generator.config.styleDim)")
            }
            self.center = avg
        case .mean:
            self.center = generator.meanLatent()
        }
    }

    /// W codes [n, D] of `rows` (increasing calls skip ahead; an earlier row restarts the stream).
    public mutating func codes(_ rows: Range<Int>) -> Tensor {
        let d = generator.config.styleDim
        if rows.lowerBound < position { random = RandomState(seed: seed); position = 0 }
        for _ in 0..<((rows.lowerBound - position) * d) { _ = random.gaussian() }
        let z = Tensor(shape: [rows.count, d], values: (0..<(rows.count * d)).map { _ in Float(random.gaussian()) })
        position = rows.upperBound
        return generator.truncate(generator.mapping(z), psi: psi, center: center)
    }
}

/// Sampled codes as a pipeline source: W codes broadcast to every layer of W+.
public final class SampledCodeSource: LatentSource {
    var sampler: CodeSampler
    public let count: Int

    public init(config: SampledSourceConfig, generator: Generator, source: String) throws {
        sampler = try CodeSampler(generator: generator, seed: config.seed, psi: config.truncation, center: config.center, source: source)
        count = config.count
    }

    public var alignment: Int { 0 }
    public func read(_ rows: Range<Int>) throws -> Tensor { sampler.generator.broadcast(sampler.codes(rows)) }
    public func validate(_ rows: [Range<Int>]) throws {}
}
