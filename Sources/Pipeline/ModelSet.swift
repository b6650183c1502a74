import Checkpoints
import Editing
import Foundation
import Models
import Tensors

/// Every model a pipeline needs, loaded and checked against each other before any output is
/// written: the generator, one mapper per edit (with its text's CLIP embedding), CLIP and
/// ArcFace for the scores, and the SHA-256 of every file for the manifest and config hash.
public struct ModelSet: Sendable {
    public struct Edit: Sendable {
        public let config: EditConfig
        public let mapper: MapperCheckpoint
        /// Raw CLIP text embedding of `config.text` (CF-CLIP mappers and CLIP scores).
        public let textEmbedding: Tensor?
    }

    public let generator: Generator
    public let edits: [Edit]
    public let clipImages: CLIPImageEncoder?
    /// Raw CLIP text embedding of `scores.source_text`.
    public let sourceTextEmbedding: Tensor?
    public let identity: IdentitySimilarity?
    /// Role ("generator", "clip", "vocabulary", "arcface", "mapper:NAME") -> file SHA-256.
    public let checksums: [String: String]

    public static func load(_ config: PipelineConfig, file: String) throws -> ModelSet {
        var sums: [String: String] = [:]
        func checked(_ role: String, _ path: String) throws -> String {
            guard FileManager.default.fileExists(atPath: path) else { throw PipelineError.input(file: path, what: "no such file (\(role))") }
            sums[role] = try FileChecksum.sha256(path: path)
            return path
        }
        // Mappers first: without models.generator the first one's decoder renders.
        var mappers: [MapperCheckpoint] = []
        for (i, e) in config.edits.enumerated() {
            let m = try wrap(e.mapper) { try MapperCheckpoint.load(path: try checked("mapper:\(e.name)", e.mapper)) }
            if m.kind == .cfclip && config.models.clip == nil {
                throw PipelineError.config(file: file, path: "edits[\(i)].mapper",
                                           what: "\(e.mapper) is a CF-CLIP mapper; it needs models.clip to embed \"\(e.text)\"")
            }
            mappers.append(m)
        }
        let generator: Generator
        if let path = config.models.generator {
            generator = try wrap(path) { try Generator.load(path: try checked("generator", path)) }
        } else if let d = mappers.first?.decoder {
            generator = d
        } else {
            throw PipelineError.config(file: file, path: "models.generator",
                                       what: "missing: \(config.edits[0].mapper) embeds no decoder to render with")
        }
        for (i, m) in mappers.enumerated() where m.latentDim != generator.config.styleDim {
            throw PipelineError.config(file: file, path: "edits[\(i)].mapper", what: "\(config.edits[i].mapper): the mapper's latent width is "
                + "\(m.latentDim), the generator's style_dim is \(generator.config.styleDim)")
        }

        var clipImages: CLIPImageEncoder? = nil
        var texts: TextEmbeddingCache? = nil
        if let c = config.models.clip {
            let model = try wrap(c.checkpoint) {
                try CLIPModel.load(from: StateDict.load(try checked("clip", c.checkpoint)), source: c.checkpoint,
                                   visionHeads: c.visionHeads, textHeads: c.textHeads)
            }
            let tokenizer = try wrap(c.vocabulary) { try CLIPTokenizer(vocabularyPath: try checked("vocabulary", c.vocabulary)) }
            guard tokenizer.vocabularySize <= model.tokenEmbedding.shape[0] else {
                throw PipelineError.input(file: c.vocabulary, what: "has \(tokenizer.vocabularySize) tokens, the CLIP model "
                    + "\(c.checkpoint) embeds only \(model.tokenEmbedding.shape[0])")
            }
            clipImages = CLIPImageEncoder(model: model)
            texts = TextEmbeddingCache(model: model, tokenizer: tokenizer)
        }
        var edits: [Edit] = []
        for (i, (e, m)) in zip(config.edits, mappers).enumerated() {
            let embedding = try texts.map { t in try wrap(e.text) { try t.embedding(e.text) } }
            if m.kind == .cfclip, let emb = embedding, emb.count != m.latentDim {
                throw PipelineError.config(file: file, path: "edits[\(i)].mapper", what: "\(e.mapper): the CF-CLIP mapper's latent width is "
                    + "\(m.latentDim), the CLIP text embedding has \(emb.count) values")
            }
            edits.append(Edit(config: e, mapper: m, textEmbedding: embedding))
        }
        let source = try config.scores.sourceText.flatMap { s in try texts.map { t in try wrap(s) { try t.embedding(s) } } }

        var identity: IdentitySimilarity? = nil
        if let a = config.models.arcface, config.scores.metrics.contains(.identity) {
            let backbone = try wrap(a.checkpoint) {
                try Backbone.load(from: StateDict.load(try checked("arcface", a.checkpoint)), source: a.checkpoint,
                                  stages: a.stageUnits?.map { (units: $0, stride: 2) })
            }
            identity = IdentitySimilarity(backbone: backbone)
        }
        return ModelSet(generator: generator, edits: edits, clipImages: clipImages, sourceTextEmbedding: source,
                        identity: identity, checksums: sums)
    }

    /// Model-layer errors become one line naming the file.
    static func wrap<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PipelineError { throw e } catch {
            let text = "\(error)"
            throw PipelineError.input(file: file, what: text.hasPrefix(file) ? String(text.dropFirst(file.count).drop { $0 == ":" || $0 == " " }) : text)
        }
    }
}
