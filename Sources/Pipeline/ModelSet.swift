import Checkpoints
import Editing
import Foundation
import Models
import Tensors
import Training

/// Every model a pipeline needs, loaded and checked against each other before any output is
/// written: the base generator (sources), per edit its method's models (mapper, latent
/// optimiser) and the generator that renders it, CLIP and ArcFace for the scores and the
/// optimisation terms, and the SHA-256 of every file for the manifest, the config hash and
/// every metrics row.
public struct ModelSet: Sendable {
    public struct Edit: Sendable {
        public let config: EditConfig
        /// The method written in the file, or the mapper checkpoint's kind.
        public let method: EditConfig.Method
        public let mapper: MapperCheckpoint?
        /// The latent optimiser of `method: optimize` (its generator is `generator`).
        public let optimizer: LatentOptimizer?
        /// Renders this edit: its own `generator:`, else the base generator.
        public let generator: Generator
        /// Raw text embedding of `config.text` by the guiding CLIP (`models.clip`: CF-CLIP
        /// mappers, the optimisation's CLIP term).
        public let textEmbedding: Tensor?
        /// The same by the scoring CLIP (`scores.clip`, else `models.clip`).
        public let scoreText: Tensor?
        /// The scoring CLIP is a file that guided this edit in this run (its CLIP scores
        /// flatter it).
        public let judgedByGuide: Bool
        /// What made this edit: role in the row ("generator", "mapper", "clip", ...) -> role in
        /// `checksums` ("generator:NAME", "mapper:NAME", "clip", ...).
        public let roles: [(String, String)]
    }

    public let generator: Generator
    public let edits: [Edit]
    /// The scoring CLIP's image features.
    public let clipImages: CLIPImageEncoder?
    /// Role of the scoring CLIP's file in `checksums`: "judge_clip" (`scores.clip`) or "clip".
    public let judgeRole: String
    /// Raw scoring-CLIP text embedding of `scores.source_text`.
    public let sourceTextEmbedding: Tensor?
    public let identity: IdentitySimilarity?
    /// Role ("generator", "generator:NAME", "clip", "vocabulary", "arcface", "vgg",
    /// "mapper:NAME") -> file SHA-256.
    public let checksums: [String: String]

    public static func load(_ config: PipelineConfig, file: String) throws -> ModelSet {
        var sums: [String: String] = [:]
        func checked(_ role: String, _ path: String) throws -> String {
            guard FileManager.default.fileExists(atPath: path) else { throw PipelineError.input(file: path, what: "no such file (\(role))") }
            sums[role] = try FileChecksum.sha256(path: path)
            return path
        }
        func fail(_ path: String, _ what: String) -> PipelineError { .config(file: file, path: path, what: what) }
        // Mappers first: without models.generator the first one's decoder renders.
        var mappers: [MapperCheckpoint?] = []
        var methods: [EditConfig.Method] = []
        /// Each file is read and hashed once: a later role naming the same path (an alpha sweep's
        /// edits, edits sharing a generator) shares the model and its SHA-256.
        func once<T>(_ cache: inout [String: (T, String)], _ role: String, _ path: String, _ load: (String) throws -> T) throws -> T {
            if let (known, sum) = cache[path] { sums[role] = sum; return known }
            let model = try wrap(path) { try load(try checked(role, path)) }
            cache[path] = (model, sums[role]!)
            return model
        }
        var mapperByPath: [String: (MapperCheckpoint, String)] = [:]
        for (i, e) in config.edits.enumerated() {
            guard let path = e.mapper else { mappers.append(nil); methods.append(e.method!); continue }
            let m = try once(&mapperByPath, "mapper:\(e.name)", path) { try MapperCheckpoint.load(path: $0) }
            let kind: EditConfig.Method = m.kind == .cfclip ? .cfclipMapper : .styleclipMapper
            if let said = e.method, said != kind {
                throw fail("edits[\(i)].method", "is \(said.rawValue), but \(path) is a \(kind.rawValue) checkpoint")
            }
            if kind == .cfclipMapper && config.models.clip == nil {
                throw fail("edits[\(i)].mapper", "\(path) is a CF-CLIP mapper; it needs models.clip to embed \"\(e.text)\"")
            }
            mappers.append(m); methods.append(kind)
        }
        let generator: Generator
        if let path = config.models.generator {
            generator = try wrap(path) { try Generator.load(path: try checked("generator", path)) }
        } else if let d = mappers.first??.decoder {
            generator = d
        } else {
            throw fail("models.generator", "missing: \(config.edits[0].mapper ?? config.edits[0].name) embeds no decoder to render with")
        }
        // each edit's renderer: its own generator file (loaded once per path), else the base
        var byPath: [String: (Generator, String)] = [:]
        var renderers: [Generator] = []
        for (i, e) in config.edits.enumerated() {
            guard let path = e.generator else { renderers.append(generator); continue }
            let g = try once(&byPath, "generator:\(e.name)", path) { try Generator.load(path: $0) }
            guard g.config.nLatent == generator.config.nLatent && g.config.styleDim == generator.config.styleDim else {
                throw fail("edits[\(i)].generator", "\(path) takes W+ codes [\(g.config.nLatent), \(g.config.styleDim)], the base generator "
                    + "[\(generator.config.nLatent), \(generator.config.styleDim)]: both must render the same latents")
            }
            renderers.append(g)
        }
        if let s = config.output.imageSize, s > generator.config.size {
            throw fail("output.image_size", "is \(s), larger than the \(generator.config.size)x\(generator.config.size) renders: it only scales down")
        }
        for (i, m) in mappers.enumerated() {
            if let m, m.latentDim != renderers[i].config.styleDim {
                throw fail("edits[\(i)].mapper", "\(config.edits[i].mapper!): the mapper's latent width is "
                    + "\(m.latentDim), the generator's style_dim is \(renderers[i].config.styleDim)")
            }
        }

        func loadCLIP(_ c: CLIPModelConfig, role: String, vocabularyRole: String) throws -> (CLIPModel, TextEmbeddingCache) {
            let model = try wrap(c.checkpoint) {
                try CLIPModel.load(from: StateDict.load(try checked(role, c.checkpoint)), source: c.checkpoint,
                                   visionHeads: c.visionHeads, textHeads: c.textHeads)
            }
            let tokenizer = try wrap(c.vocabulary) { try CLIPTokenizer(vocabularyPath: try checked(vocabularyRole, c.vocabulary)) }
            guard tokenizer.vocabularySize <= model.tokenEmbedding.shape[0] else {
                throw PipelineError.input(file: c.vocabulary, what: "has \(tokenizer.vocabularySize) tokens, the CLIP model "
                    + "\(c.checkpoint) embeds only \(model.tokenEmbedding.shape[0])")
            }
            return (model, TextEmbeddingCache(model: model, tokenizer: tokenizer))
        }
        let guide = try config.models.clip.map { try loadCLIP($0, role: "clip", vocabularyRole: "vocabulary") }
        let clipModel = guide?.0, texts = guide?.1
        let judge = try config.scores.clip.map { try loadCLIP($0, role: "judge_clip", vocabularyRole: "judge_vocabulary") } ?? guide
        let judgeRole = config.scores.clip == nil ? "clip" : "judge_clip"
        let optimizing = config.edits.compactMap(\.optimization)
        var backbone: Backbone? = nil
        if let a = config.models.arcface, config.scores.metrics.contains(.identity) || optimizing.contains(where: { $0.weights.identity > 0 }) {
            backbone = try wrap(a.checkpoint) {
                try Backbone.load(from: StateDict.load(try checked("arcface", a.checkpoint)), source: a.checkpoint,
                                  stages: a.stageUnits?.map { (units: $0, stride: 2) })
            }
        }
        var vgg: VGG? = nil
        if let path = config.models.vgg, optimizing.contains(where: { $0.weights.perceptual > 0 }) {
            vgg = try wrap(path) { try VGG.load(from: StateDict.load(try checked("vgg", path)), source: path) }
            guard VGGLayers.layer(named: LatentOptimizer.perceptualLayer, in: vgg!.convs.map(\.layer)) != nil else {
                throw fail("models.vgg", "\(path) has no \(LatentOptimizer.perceptualLayer) (TediGAN's perceptual layer)")
            }
        }

        var edits: [Edit] = []
        for (i, e) in config.edits.enumerated() {
            let embedding = try texts.map { t in try wrap(e.text) { try t.embedding(e.text) } }
            let scoreText = config.scores.clip == nil ? embedding : try judge.map { j in try wrap(e.text) { try j.1.embedding(e.text) } }
            let m = mappers[i]
            if m?.kind == .cfclip, let emb = embedding, emb.count != m!.latentDim {
                throw fail("edits[\(i)].mapper", "\(e.mapper!): the CF-CLIP mapper's latent width is "
                    + "\(m!.latentDim), the CLIP text embedding has \(emb.count) values")
            }
            let base = config.models.generator != nil ? "generator" : "mapper:\(config.edits[0].name)"   // a decoder's file is its mapper's
            var roles: [(String, String)] = [("generator", e.generator == nil ? base : "generator:\(e.name)")]
            if m != nil { roles.append(("mapper", "mapper:\(e.name)")) }
            var optimizer: LatentOptimizer? = nil
            if let s = e.optimization {
                guard let clip = clipModel, let emb = embedding else {
                    throw fail("edits[\(i)].optimize", "latent optimisation needs models.clip to guide it")
                }
                let models = OptimizationModels(generator: renderers[i], clip: clip, textFeatures: emb.reshaped([1, emb.count]),
                                                idLoss: s.weights.identity > 0 ? backbone.map { IDLoss(facenet: $0) } : nil,
                                                vgg: s.weights.perceptual > 0 ? vgg : nil)
                optimizer = try wrap(file) { try LatentOptimizer(settings: s, models: models) }
                if s.weights.clip > 0 { roles.append(("clip", "clip")) }
                if s.weights.identity > 0 { roles.append(("arcface", "arcface")) }
                if s.weights.perceptual > 0 { roles.append(("vgg", "vgg")) }
            } else if m?.kind == .cfclip {
                roles.append(("clip", "clip"))
            }
            let judgedByGuide = judge != nil && roles.contains { $0.0 == "clip" && sums[$0.1] == sums[judgeRole] }
            edits.append(Edit(config: e, method: methods[i], mapper: m, optimizer: optimizer, generator: renderers[i],
                              textEmbedding: embedding, scoreText: scoreText, judgedByGuide: judgedByGuide, roles: roles))
        }
        let source = try config.scores.sourceText.flatMap { s in try judge.map { j in try wrap(s) { try j.1.embedding(s) } } }
        let identity = config.scores.metrics.contains(.identity) ? backbone.map { IdentitySimilarity(backbone: $0) } : nil
        return ModelSet(generator: generator, edits: edits, clipImages: judge.map { CLIPImageEncoder(model: $0.0) }, judgeRole: judgeRole,
                        sourceTextEmbedding: source, identity: identity, checksums: sums)
    }

    /// Model-layer errors become one line naming the file.
    static func wrap<T>(_ file: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as PipelineError { throw e } catch {
            let text = "\(error)"
            throw PipelineError.input(file: file, what: text.hasPrefix(file) ? String(text.dropFirst(file.count).drop { $0 == ":" || $0 == " " }) : text)
        }
    }
}
