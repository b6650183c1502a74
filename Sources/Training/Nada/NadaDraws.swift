import Models
import Tensors

/// Every random draw of one StyleGAN-NADA iteration, in the order the reference makes them:
/// the batch's z (two with style mixing, and the mixing points the frozen and the trainable
/// render each pick), the selection's z and its renders' noise, the frozen render's noise,
/// the trainable render's noise. Noise tensors are [N, 1, r, r], one per injected layer.
public struct NadaDraws: Sendable {
    public var z: [Tensor]
    /// With two z: the layer where each twin switches to the second code
    /// (`random.randint(1, n_latent - 1)`, drawn by each render on its own).
    public var injectIndex: (frozen: Int, trainable: Int)? = nil
    public var autoZ: Tensor?
    /// One noise list per SGD step of the selection.
    public var autoNoise: [[Tensor]] = []
    public var frozenNoise: [Tensor]
    public var trainableNoise: [Tensor]

    public init(z: [Tensor], injectIndex: (frozen: Int, trainable: Int)? = nil, autoZ: Tensor? = nil, autoNoise: [[Tensor]] = [],
                frozenNoise: [Tensor], trainableNoise: [Tensor]) {
        self.z = z; self.injectIndex = injectIndex; self.autoZ = autoZ; self.autoNoise = autoNoise
        self.frozenNoise = frozenNoise; self.trainableNoise = trainableNoise
    }

    /// The draws of iteration `iteration` of a run seeded `seed`: each iteration has its own
    /// stream (numpy's Mersenne Twister from a seed mixed with the index), so a resumed run
    /// draws exactly what an uninterrupted one would.
    public static func sample(iteration: Int, seed: UInt64, settings s: NadaSettings, config c: GeneratorConfig) -> NadaDraws {
        var rng = RandomState(seed: streamSeed(seed, iteration))
        func normal(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float(rng.gaussian()) })
        }
        func noise(_ n: Int) -> [Tensor] { (0..<c.numLayers).map { i in normal([n, 1, c.noiseSize(i), c.noiseSize(i)]) } }
        var z = [normal([s.batch, c.styleDim])]
        var inject: (Int, Int)? = nil
        if s.mixing > 0 && rng.randomSample() < s.mixing {
            z.append(normal([s.batch, c.styleDim]))
            func pick() -> Int { 1 + Int(rng.randomSample() * Double(max(c.nLatent - 1, 1))) }
            inject = (pick(), pick())
        }
        var autoZ: Tensor? = nil, autoNoise: [[Tensor]] = []
        if s.autoLayerIters > 0 {
            autoZ = normal([s.autoLayerBatch, c.styleDim])
            autoNoise = (0..<s.autoLayerIters).map { _ in noise(s.autoLayerBatch) }
        }
        let frozen = noise(s.batch), trainable = noise(s.batch)
        return NadaDraws(z: z, injectIndex: inject, autoZ: autoZ, autoNoise: autoNoise, frozenNoise: frozen, trainableNoise: trainable)
    }

    /// A 32-bit seed for iteration `i`'s stream (SplitMix64 of the run seed and the index).
    static func streamSeed(_ seed: UInt64, _ i: Int) -> UInt32 {
        var z = seed &+ UInt64(i + 1) &* 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return UInt32(truncatingIfNeeded: z ^ (z >> 31))
    }
}
