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
            guard let avg = generator.latentAvg else {
                throw PipelineError.input(file: source, what: "has no latent_avg to truncate toward; truncate toward the mean W instead (center: mean, or --center mean)")
            }
            // [D], or [1, D] / [L, D] in some files: the first row is the centre
            guard avg.count >= generator.config.styleDim else {
                throw PipelineError.input(file: source, what: "latent_avg has \(avg.count) values, style_dim is \(generator.config.styleDim)")
            }
            self.center = Tensor(shape: [generator.config.styleDim], values: Array(avg.scalars.prefix(generator.config.styleDim)))
        case .mean:
            self.center = Self.meanW(generator)
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

    /// The mean W of 4096 codes from `RandomState(0)`, for generators without `latent_avg`
    /// (what StyleGAN2's `mean_latent(4096)` estimates).
    static func meanW(_ g: Generator) -> Tensor {
        let d = g.config.styleDim, n = 4096
        var random = RandomState(seed: 0)
        let z = Tensor(shape: [n, d], values: (0..<(n * d)).map { _ in Float(random.gaussian()) })
        let w = g.mapping(z).scalars
        return Tensor(shape: [d], values: (0..<d).map { k in
            var s: Double = 0
            for i in 0..<n { s += Double(w[i * d + k]) }
            return Float(s / Double(n))
        })
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
