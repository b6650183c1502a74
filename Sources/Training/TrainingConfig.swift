import Checkpoints
import FileIO
import Foundation
import StrictYAML

/// `cfclip train CONFIG.yaml`: everything a run needs, with the CF-CLIP coach's defaults.
/// Unknown keys are refused (a typo must not silently fall back to a default).
public struct TrainingConfig: Codable, Sendable, Equatable {
    public struct Models: Codable, Sendable, Equatable {
        /// rosinality StyleGAN2 `.pt` (`g_ema` + `latent_avg`) or a mapper checkpoint embedding `decoder.*`.
        public var generator: String
        public var clip: String
        public var vocabulary: String
        public var arcface: String? = nil
        public var vgg: String? = nil
        /// Head counts of reduced CLIP models (the released ones follow width / 64).
        public var clipVisionHeads: Int? = nil
        public var clipTextHeads: Int? = nil
        /// ArcFace stage table for reduced backbones: units per stage.
        public var arcfaceStages: [Int]? = nil
        /// Start from an existing mapper instead of the reference's random initialisation.
        public var initMapper: String? = nil

        public init(generator: String, clip: String, vocabulary: String, arcface: String? = nil, vgg: String? = nil,
                    clipVisionHeads: Int? = nil, clipTextHeads: Int? = nil, arcfaceStages: [Int]? = nil, initMapper: String? = nil) {
            self.generator = generator; self.clip = clip; self.vocabulary = vocabulary; self.arcface = arcface; self.vgg = vgg
            self.clipVisionHeads = clipVisionHeads; self.clipTextHeads = clipTextHeads
            self.arcfaceStages = arcfaceStages; self.initMapper = initMapper
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case generator, clip, vocabulary, arcface, vgg, clipVisionHeads = "clip_vision_heads"
            case clipTextHeads = "clip_text_heads", arcfaceStages = "arcface_stages", initMapper = "init_mapper"
        }

        public init(from decoder: Decoder) throws {
            let c = try decoder.strictContainer(CodingKeys.self)
            generator = try c.decode(String.self, forKey: .generator)
            clip = try c.decode(String.self, forKey: .clip)
            vocabulary = try c.decode(String.self, forKey: .vocabulary)
            arcface = try c.decodeIfPresent(String.self, forKey: .arcface)
            vgg = try c.decodeIfPresent(String.self, forKey: .vgg)
            clipVisionHeads = try c.decodeIfPresent(Int.self, forKey: .clipVisionHeads)
                .map { try c.require($0, { $0 > 0 }, forKey: .clipVisionHeads, "must be a positive integer") }
            clipTextHeads = try c.decodeIfPresent(Int.self, forKey: .clipTextHeads)
                .map { try c.require($0, { $0 > 0 }, forKey: .clipTextHeads, "must be a positive integer") }
            arcfaceStages = try c.decodeIfPresent([Int].self, forKey: .arcfaceStages)
            initMapper = try c.decodeIfPresent(String.self, forKey: .initMapper)
        }
    }

    public var models: Models
    /// HDF5 file with dataset `latents` ([N, L, D] W+ or [N, D] W codes).
    public var latents: String
    public var description: String
    public var sourceText: String = "face"
    public var loss: CLIPLossKind = .nce
    public var weights = LossWeights()
    public var optimizer: String = "ranger"
    public var learningRate: Float = 0.5
    public var batchSize = 2
    public var maxSteps = 50_000
    /// Perspective views per step for CLIP-NCE (0: no augmentation).
    public var augmentations = 8
    public var distortionScale: Float = 0.5
    public var seed: UInt32 = 0
    public var saveInterval = 5000
    public var imageInterval = 500
    public var logInterval = 50
    public var output: String = "runs/train"
    public var threads: Int? = nil

    enum CodingKeys: String, CodingKey, CaseIterable {
        case models, latents, description, sourceText = "source_text", loss, weights, optimizer
        case learningRate = "learning_rate", batchSize = "batch_size", maxSteps = "max_steps", augmentations
        case distortionScale = "distortion_scale", seed, saveInterval = "save_interval", imageInterval = "image_interval"
        case logInterval = "log_interval", output, threads
    }

    public init(models: Models, latents: String, description: String) {
        self.models = models; self.latents = latents; self.description = description
    }

    /// Missing keys take the coach's defaults (synthesised Decodable would require every key).
    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        models = try c.decode(Models.self, forKey: .models)
        latents = try c.decode(String.self, forKey: .latents)
        description = try c.decode(String.self, forKey: .description)
        func opt<T: Decodable>(_ k: CodingKeys, _ d: T) throws -> T { try c.decodeIfPresent(T.self, forKey: k) ?? d }
        sourceText = try opt(.sourceText, sourceText); loss = try c.decodeChoice(CLIPLossKind.self, forKey: .loss) ?? loss; weights = try opt(.weights, weights)
        optimizer = try opt(.optimizer, optimizer); learningRate = try opt(.learningRate, learningRate)
        batchSize = try opt(.batchSize, batchSize); maxSteps = try opt(.maxSteps, maxSteps)
        augmentations = try opt(.augmentations, augmentations); distortionScale = try opt(.distortionScale, distortionScale)
        seed = try opt(.seed, seed); saveInterval = try opt(.saveInterval, saveInterval)
        imageInterval = try opt(.imageInterval, imageInterval); logInterval = try opt(.logInterval, logInterval)
        output = try opt(.output, output); threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        guard ["ranger", "adam"].contains(optimizer) else {
            throw ConfigIssue(path: c.codingPath + [CodingKeys.optimizer], what: "expected ranger or adam, found '\(optimizer)'")
        }
    }

    public static func load(path: String) throws -> TrainingConfig {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainingError.config(path, "cannot read the file")
        }
        var c: TrainingConfig
        do { c = try StrictYAML.decode(TrainingConfig.self, from: text, document: "the training config") } catch let p as StrictYAML.Problem {
            throw TrainingError.config(path, p.path.isEmpty ? p.what : "\(p.path): \(p.what)")
        }
        // relative paths are relative to the config file, as in pipeline files
        let base = URL(fileURLWithPath: path).deletingLastPathComponent()
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p).standardizedFileURL.path }
        c.models.generator = resolve(c.models.generator); c.models.clip = resolve(c.models.clip)
        c.models.vocabulary = resolve(c.models.vocabulary)
        c.models.arcface = c.models.arcface.map(resolve); c.models.vgg = c.models.vgg.map(resolve)
        c.models.initMapper = c.models.initMapper.map(resolve)
        c.latents = resolve(c.latents); c.output = resolve(c.output)
        return c
    }

    /// A stable hash of the settings that change the result (resume refuses a different one).
    public var fingerprint: String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        var c = self
        c.maxSteps = 0; c.saveInterval = 0; c.imageInterval = 0; c.logInterval = 0; c.output = ""; c.threads = nil
        var h = SHA256()
        h.update(Array((try? enc.encode(c)) ?? Data()))
        return h.finalize().prefix(8).map { String(format: "%02x", $0) }.joined()
    }
}

extension LossWeights {
    enum CodingKeys: String, CodingKey, CaseIterable { case id, perceptual, latentL2 = "latent_l2", clip }

    public init(from decoder: Decoder) throws {
        let c = try decoder.strictContainer(CodingKeys.self)
        self.init(id: try c.decodeIfPresent(Float.self, forKey: .id) ?? 0.2,
                  perceptual: try c.decodeIfPresent(Float.self, forKey: .perceptual) ?? 0,
                  latentL2: try c.decodeIfPresent(Float.self, forKey: .latentL2) ?? 0.8,
                  clip: try c.decodeIfPresent(Float.self, forKey: .clip) ?? 0.3)
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case config(String, String)
    case data(String, String)
    case resume(String, String)

    public var description: String {
        switch self {
        case let .config(f, w): return "\(f): \(w)"
        case let .data(f, w): return "\(f): \(w)"
        case let .resume(f, w): return "\(f): cannot resume: \(w)"
        }
    }
}
