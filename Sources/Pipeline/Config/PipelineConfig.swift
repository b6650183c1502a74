import Training

/// A pipeline file (YAML): which models, which latent codes, which edits, which scores, where
/// the outputs go and how the run is scheduled. Decoding is strict (Config/StrictDecoding):
/// an unknown key or a value of the wrong type is an error naming its path.
public struct PipelineConfig: Sendable, Equatable {
    public var models: ModelsConfig
    public var source: SourceConfig
    public var rows: RowSelection = .all
    public var edits: [EditConfig]
    public var scores: ScoresConfig
    public var output: OutputConfig
    public var runtime: RuntimeConfig
    public var regression: RegressionConfig?
}

public struct ModelsConfig: Sendable, Equatable {
    /// A rosinality generator (`.pt` with `g_ema`, or safetensors), or a CF-CLIP / StyleCLIP
    /// mapper checkpoint whose embedded `decoder` renders. Absent: the decoder embedded in the
    /// first edit's mapper checkpoint. It renders the source images and every edit without a
    /// `generator:` of its own.
    public var generator: String?
    public var clip: CLIPModelConfig?
    public var arcface: ArcFaceConfig?
    /// VGG16 for TediGAN's perceptual term (idinvert/TediGAN `vgg16.pth`, or torchvision keys).
    public var vgg: String?
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

/// Which samples of the source run: `source.rows` (indices and ranges) or the first
/// `source.limit`. A sample keeps its index (its key, its noise) whichever rows run.
public enum RowSelection: Sendable, Equatable {
    case all
    case first(Int)
    case listed([Int])

    /// The sample indices to run, in increasing order, out of `count`.
    public func indices(count: Int) -> [Int] {
        switch self {
        case .all: return Array(0..<count)
        case let .first(n): return Array(0..<min(n, count))
        case let .listed(rows): return rows
        }
    }
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
    /// How an edit moves the source latent.
    public enum Method: String, Sendable, CaseIterable {
        /// w' = w + alpha * 0.1 * mapper(w, CLIP text embedding) (CF-CLIP).
        case cfclipMapper = "cfclip-mapper"
        /// w' = w + alpha * 0.1 * mapper(w) (StyleCLIP's latent mapper; NADA's second stage).
        case styleclipMapper = "styleclip-mapper"
        /// Per-image latent optimisation (`optimize:` settings; StyleCLIP or TediGAN preset).
        case optimize
        /// w' = w: the source latent itself, rendered by the edit's own `generator:` (an
        /// adapted generator such as StyleGAN-NADA's).
        case none
    }

    /// Used in file names (`KEY.NAME.png`): letters, digits, `_` and `-`, plus `@ALPHA` for the
    /// edits an alpha list expands into.
    public var name: String
    public var text: String
    /// Absent: the mapper checkpoint's kind (`cfclip-mapper` or `styleclip-mapper`).
    public var method: Method?
    public var mapper: String?
    /// Renders this edit (any rosinality-format generator); default: the base generator.
    public var generator: String?
    /// w' = w + alpha * 0.1 * delta (1 reproduces the reference); mapper methods only.
    public var alpha: Float = 1
    /// Settings of `method: optimize`.
    public var optimization: OptimizationSettings?
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
    /// The CLIP model that scores (an independent judge); default: `models.clip`, the model
    /// that also guides CF-CLIP's text embedding and the latent optimisations.
    public var clip: CLIPModelConfig?
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
    /// Written images are scaled down to this side (area filter, as `interpolate(mode='area')`)
    /// when set; scores are always computed on the full renders.
    public var imageSize: Int?
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
