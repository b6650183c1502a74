import Checkpoints
import Editing
import Foundation
import Media
import Models
import Tensors

/// Loads what a training run needs from its config: the frozen networks, the constant text
/// features (the description's raw embedding and both template sets), and the latents.
public enum TrainingSetup {
    public struct Loaded {
        public var models: TrainingModels
        public var latents: LatentFile
        public var generatorDict: StateDict
        public var generatorPrefix: String
        public var initial: MapperCheckpoint?
    }

    public static func load(_ c: TrainingConfig) throws -> Loaded {
        let genDict = try StateDict.load(c.models.generator)
        let prefix = try Generator.prefix(in: genDict, source: c.models.generator)
        let g = try Generator.load(from: genDict, prefix: prefix, source: c.models.generator)
        let clip = try CLIPModel.load(from: StateDict.load(c.models.clip), source: c.models.clip,
                                      visionHeads: c.models.clipVisionHeads, textHeads: c.models.clipTextHeads)
        let tokenizer = try CLIPTokenizer(vocabularyPath: c.models.vocabulary)
        func encode(_ texts: [String]) throws -> Tensor {
            try clip.encodeText(texts.map { try tokenizer.tokenize($0, contextLength: clip.contextLength, truncate: true) })
        }
        let embedding = try encode([c.description])
        guard embedding.count == g.config.styleDim else {
            throw TrainingError.config(c.models.clip, "CLIP's embedding width is \(embedding.count), the generator's style_dim is \(g.config.styleDim); the text mapper needs them equal")
        }
        let source = l2Normalized(try encode(TextTemplates.filled(c.sourceText)))
        let target = l2Normalized(try encode(TextTemplates.filled(c.description)))
        var id: IDLoss? = nil, perc: PerceptualLoss? = nil
        if c.weights.id > 0 {
            guard let p = c.models.arcface else { throw TrainingError.config("config", "weights.id > 0 needs models.arcface") }
            id = IDLoss(facenet: try Backbone.load(from: StateDict.load(p), source: p, stages: c.models.arcfaceStages?.map { ($0, 2) }))
        }
        if c.weights.perceptual > 0 {
            guard let p = c.models.vgg else { throw TrainingError.config("config", "weights.perceptual > 0 needs models.vgg") }
            perc = PerceptualLoss(vgg: try VGG.load(from: StateDict.load(p), source: p))
        }
        let models = TrainingModels(generator: g, clip: clip, textEmbedding: embedding.reshaped([embedding.count]),
                                    sourceText: source, targetText: target, idLoss: id, perceptual: perc)
        let initial = try c.models.initMapper.map { try MapperCheckpoint.load(path: $0) }
        return Loaded(models: models, latents: try LatentFile(path: c.latents), generatorDict: genDict,
                      generatorPrefix: prefix, initial: initial)
    }
}
