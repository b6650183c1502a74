import Checkpoints
import Training

/// What a run's outputs depend on, as canonical JSON (sorted keys): the models and latent
/// file by SHA-256 (not by path, so parts run on machines with other mount points agree),
/// the source settings, the edits, the scores, the output encoding and the noise. Batch size,
/// queue depth, threads, the output folder and the partition change nothing in the outputs
/// and are left out. Its SHA-256 is the config hash that resume and merge check.
public struct RunIdentity: Sendable {
    /// The renderer's output version, part of every config hash: a change that alters output
    /// bytes for the same config bumps it, so a folder is never resumed with, or silently
    /// compared as, another renderer's images or scores. 2: Winograd F(2x2, 3x3) convolutions
    /// (2026-12-05). 3: CLIP's projections by PackedMatrix, IR-SE50 by Winograd and patch rows:
    /// scores change in their last digits, images do not (2026-12-05). 4: Winograd in cached
    /// blocks, upsampling convolutions per output phase: images change in low bits (2026-12-05).
    /// 5: OpenBLAS's AVX kernels where it had fallen back to SSE3 (`BLASCore`, 2026-12-05): on
    /// those CPUs images and scores change in low bits. 6: IR-SE50's 14x14 and 28x28 Winograd
    /// products by packed point weights over a batch's tiles (`WinogradRows`, 2026-12-05):
    /// identity scores change in their last digits, images do not. 7: the 64²-256² upsampling
    /// convolutions' Winograd F(2, 2) products in cached blocks (`WinogradUpsampleBlocks`,
    /// 2026-12-05): images change in low bits. 8: CLIP's layer norms and attention softmax in
    /// vector lanes, IR-SE50's strided convolutions by patch rows (2026-12-06): scores and CLIP
    /// text embeddings change in low bits, so the images of edits driven by a text embedding
    /// (the mappers) do too. 9: IR-SE50's output linear by a PackedMatrix (2026-12-06):
    /// identity scores change in their last digits, images do not. 10: CLIP's patch embedding
    /// as patch rows times a PackedMatrix (2026-12-06): CLIP scores change in their last digits,
    /// images do not.
    public static let version = 10

    public let canonical: JSONValue
    public let configHash: String

    public init(config c: PipelineConfig, checksums: [String: String]) {
        func opt(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        func optInt(_ i: Int?) -> JSONValue { i.map { .int(Int64($0)) } ?? .null }
        let source: JSONValue
        switch c.source {
        case let .hdf5(h):
            source = .object([("dataset", .string(h.dataset)), ("kind", .string("hdf5")), ("latents", opt(checksums["latents"])),
                              ("limit", optInt(h.limit))])
        case let .sampled(s):
            source = .object([("center", .string(s.center.rawValue)), ("count", .int(Int64(s.count))), ("kind", .string("sampled")),
                              ("seed", .int(Int64(s.seed))), ("truncation", JSONNumber.of(s.truncation))])
        }
        let models: JSONValue = .object([
            ("arcface", opt(checksums["arcface"])),
            ("arcface_stage_units", c.models.arcface?.stageUnits.map { .array($0.map { .int(Int64($0)) }) } ?? .null),
            ("clip", opt(checksums["clip"])),
            ("clip_heads", .array([optInt(c.models.clip?.visionHeads), optInt(c.models.clip?.textHeads)])),
            ("generator", opt(checksums["generator"] ?? c.edits.first.flatMap { checksums["mapper:\($0.name)"] })),
            ("vocabulary", opt(checksums["vocabulary"])),
        ] + (checksums["vgg"].map { [("vgg", JSONValue.string($0))] } ?? [])
          + (checksums["judge_clip"].map { [("judge_clip", JSONValue.string($0)),
                                            ("judge_clip_heads", .array([optInt(c.scores.clip?.visionHeads), optInt(c.scores.clip?.textHeads)])),
                                            ("judge_vocabulary", opt(checksums["judge_vocabulary"]))] } ?? []))
        // keys added since version 1 appear only when used, so earlier runs keep their hash
        let edits: JSONValue = .array(c.edits.map { e in
            var fields: [(String, JSONValue)] = [("alpha", JSONNumber.of(e.alpha)), ("mapper", opt(e.mapper.flatMap { _ in checksums["mapper:\(e.name)"] })),
                                                 ("name", .string(e.name)), ("text", .string(e.text))]
            if let m = e.method { fields.append(("method", .string(m.rawValue))) }
            if e.generator != nil { fields.append(("generator", opt(checksums["generator:\(e.name)"]))) }
            if let o = e.optimization { fields.append(("optimize", Self.json(o))) }
            return .object(fields.sorted { $0.0 < $1.0 })
        })
        var outputFields: [(String, JSONValue)] = [
            ("format", .string(c.output.format.rawValue)), ("image_format", .string(c.output.imageFormat.rawValue)),
            ("jpeg_quality", c.output.imageFormat == .jpeg ? .int(Int64(c.output.jpegQuality)) : .null),
            ("samples_per_shard", .int(Int64(c.output.samplesPerShard))),
        ]
        if let s = c.output.imageSize { outputFields.insert(("image_size", .int(Int64(s))), at: 2) }
        let output: JSONValue = .object(outputFields)
        var sourceFields: [(String, JSONValue)] = [("source", source)]
        switch c.rows {
        case .all: break
        case let .first(n): sourceFields.append(("source_limit", .int(Int64(n))))
        case let .listed(rows): sourceFields.append(("source_rows", .array(rows.map { .int(Int64($0)) })))
        }
        canonical = .object([
            ("edits", edits), ("models", models),
            ("noise", .object([("mode", .string(c.runtime.noise.rawValue)),
                               ("seed", c.runtime.noise == .seeded ? .int(Int64(bitPattern: c.runtime.noiseSeed)) : .null)])),
            ("output", output),
            ("scores", .object([("metrics", .array(c.scores.metrics.map { .string($0.rawValue) })), ("source_text", opt(c.scores.sourceText))])),
        ] + sourceFields + [("version", .int(Int64(Self.version)))])
        configHash = FileChecksum.sha256(Array(canonical.serialized(sortedKeys: true).utf8))
    }

    /// Every setting of a latent optimisation (they all change the images).
    static func json(_ o: OptimizationSettings) -> JSONValue {
        let w = o.weights
        return .object([
            ("lr", .double(o.lr)), ("preset", .string(o.preset.rawValue)), ("ramp_down", .double(o.rampDown)), ("ramp_up", .double(o.rampUp)),
            ("start", .string(o.start.rawValue)), ("start_seed", .int(Int64(o.startSeed))), ("steps", .int(Int64(o.steps))),
            ("weights", .object([("clip", JSONNumber.of(w.clip)), ("identity", JSONNumber.of(w.identity)),
                                 ("latent_l2_sum", JSONNumber.of(w.latentL2Sum)), ("latent_mse", JSONNumber.of(w.latentMSE)),
                                 ("perceptual", JSONNumber.of(w.perceptual)), ("pixel_mse", JSONNumber.of(w.pixelMSE))])),
        ])
    }
}
