import Checkpoints

/// What a run's outputs depend on, as canonical JSON (sorted keys): the models and latent
/// file by SHA-256 (not by path, so parts run on machines with other mount points agree),
/// the source settings, the edits, the scores, the output encoding and the noise. Batch size,
/// queue depth, threads, the output folder and the partition change nothing in the outputs
/// and are left out. Its SHA-256 is the config hash that resume and merge check.
public struct RunIdentity: Sendable {
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
        ])
        let edits: JSONValue = .array(c.edits.map { e in
            .object([("alpha", JSONNumber.of(e.alpha)), ("mapper", opt(checksums["mapper:\(e.name)"])), ("name", .string(e.name)),
                     ("text", .string(e.text))])
        })
        let output: JSONValue = .object([
            ("format", .string(c.output.format.rawValue)), ("image_format", .string(c.output.imageFormat.rawValue)),
            ("jpeg_quality", c.output.imageFormat == .jpeg ? .int(Int64(c.output.jpegQuality)) : .null),
            ("samples_per_shard", .int(Int64(c.output.samplesPerShard))),
        ])
        canonical = .object([
            ("edits", edits), ("models", models),
            ("noise", .object([("mode", .string(c.runtime.noise.rawValue)),
                               ("seed", c.runtime.noise == .seeded ? .int(Int64(bitPattern: c.runtime.noiseSeed)) : .null)])),
            ("output", output),
            ("scores", .object([("metrics", .array(c.scores.metrics.map { .string($0.rawValue) })), ("source_text", opt(c.scores.sourceText))])),
            ("source", source), ("version", .int(1)),
        ])
        configHash = FileChecksum.sha256(Array(canonical.serialized(sortedKeys: true).utf8))
    }
}
