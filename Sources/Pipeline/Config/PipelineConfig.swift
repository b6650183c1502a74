/// A pipeline file (YAML): which models, which latent codes, which edits, which scores, where
/// the outputs go and how the run is scheduled. Decoding is strict (Config/StrictDecoding):
/// an unknown key or a value of the wrong type is an error naming its path.
public struct PipelineConfig: Sendable, Equatable {
    public var models: ModelsConfig
    public var source: SourceConfig
    public var edits: [EditConfig]
    public var scores: ScoresConfig
    public var output: OutputConfig
    public var runtime: RuntimeConfig
    public var regression: RegressionConfig?
}

public struct ModelsConfig: Sendable, Equatable {
    /// A rosinality generator (`.pt` with `g_ema`, or safetensors), or a CF-CLIP / StyleCLIP
    /// mapper checkpoint whose embedded `decoder` renders. Absent: the decoder embedded in the
    /// first edit's mapper checkpoint.
    public var generator: String?
    public var clip: CLIPModelConfig?
    public var arcface: ArcFaceConfig?
}

public struct CLIPModelConfig: Sendable, Equatable {
    public var checkpoint: String
    /// bpe_simple_vocab_16e6.txt.gz (or the demo's byte-level vocabulary).
    public var vocabulary: String
    /// Head counts; the reference infers width / 64, reduced models state theirs.
    public var visionHeads: Int?
    public var textHeads: Int?
}

public struct ArcFaceConfig: Sendable, Equatable {
    public var checkpoint: String
    /// Units per stage when the weights cannot tell (reduced models whose stages keep their
    /// width); IR-SE50 needs none.
    public var stageUnits: [Int]?
}

public enum SourceConfig: Sendable, Equatable {
    case hdf5(HDF5SourceConfig)
    case sampled(SampledSourceConfig)
}

public struct HDF5SourceConfig: Sendable, Equatable {
    public var path: String
    public var dataset = "latents"
    /// Only the first `limit` rows.
    public var limit: Int?
    /// Accept a dataset whose values live in external raw files (refused by default: they can
    /// point anywhere on the machine).
    public var allowExternalStorage = false
}

public struct SampledSourceConfig: Sendable, Equatable {
    public enum Center: String, Sendable, CaseIterable { case latentAvg = "latent_avg", mean }
    /// numpy `RandomState(seed)`: seed 5 regenerates CF-CLIP's AFHQ codes.
    public var seed: UInt32
    public var count: Int
    /// w = center + truncation * (w - center).
    public var truncation: Float = 0.7
    public var center: Center = .latentAvg
}

public struct EditConfig: Sendable, Equatable {
    /// Used in file names (`KEY.NAME.png`): letters, digits, `_` and `-`.
    public var name: String
    public var text: String
    public var mapper: String
    /// w' = w + alpha * 0.1 * delta (1 reproduces the reference).
    public var alpha: Float = 1
}

public enum Metric: String, Sendable, CaseIterable, Equatable {
    case clipSimilarity = "clip_similarity"
    case directionalCLIP = "directional_clip"
    case identity
    case latentL2 = "latent_l2"
}

public struct ScoresConfig: Sendable, Equatable {
    /// Default: every score the configured models allow (CLIP scores with models.clip,
    /// directional CLIP also with source_text, identity with models.arcface, latent L2).
    public var metrics: [Metric] = [.latentL2]
    /// The text the source images show ("face", "dog"), for directional CLIP.
    public var sourceText: String?
    /// The file listed the metrics (else they are the default above).
    var metricsGiven = false
}

public struct OutputConfig: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable { case tar, folder }
    public enum ImageFormat: String, Sendable, CaseIterable { case png, jpeg }
    public var dir: String
    public var format: Format = .tar
    public var imageFormat: ImageFormat = .png
    public var jpegQuality = 95
    public var samplesPerShard = 100
}

public struct RuntimeConfig: Sendable, Equatable {
    public enum Noise: String, Sendable, CaseIterable { case buffers, seeded }
    /// Samples per queue item. Models still run one sample at a time (see `perSample`), so
    /// outputs are bit-identical for any batch size; larger batches only amortise hand-offs.
    public var batchSize = 4
    /// Batches each queue between two stages holds before its producer waits.
    public var queueDepth = 2
    /// Threads for BLAS and the parallel loops (default: the cores).
    public var threads: Int?
    /// Synthesis noise: the generator's stored buffers (the reference), or per-sample noise
    /// seeded from `noise_seed` and the sample's index.
    public var noise: Noise = .buffers
    public var noiseSeed: UInt64 = 0
}

public struct RegressionConfig: Sendable, Equatable {
    /// Output folder of an earlier run to compare with.
    public var golden: String
    /// Largest allowed difference of an 8-bit channel value.
    public var maxPixelDiff = 0
    /// Largest allowed absolute difference of a score.
    public var maxScoreDiff = 1e-5
}
