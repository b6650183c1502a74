import Checkpoints
import Foundation
import Tensors

/// A trained mapper as the StyleCLIP / CF-CLIP coaches save it, `{'state_dict': {mapper.*,
/// text_mapper.*, decoder.*}, 'opts': {...}}` (or the same keys flat, as in the project's own
/// safetensors). Which kind it is comes from its keys: `mapper.fc` and `text_mapper.*` make a
/// CF-CLIP mapper, their absence a StyleCLIP one.
public struct MapperCheckpoint: Sendable {
    public enum Kind: String, Sendable { case cfclip, styleclip }

    public let kind: Kind
    public let mapper: LevelsMapper
    public let textMapper: FullTextMapper?
    /// The generator embedded under `decoder.*` (with the noise buffers it was trained with).
    public let decoder: Generator?
    public let opts: JSONValue?
    public let source: String

    public var latentDim: Int { mapper.dim }

    /// The same mapper with other options (the trainer records its run's settings).
    public func replacingOptions(_ opts: JSONValue) -> MapperCheckpoint {
        MapperCheckpoint(kind: kind, mapper: mapper, textMapper: textMapper, decoder: decoder, opts: opts, source: source)
    }

    public static func load(path: String) throws -> MapperCheckpoint {
        try load(from: StateDict.load(path), source: path)
    }

    public static func load(from dict: StateDict, source: String) throws -> MapperCheckpoint {
        let prefix = dict.names.contains { $0.hasPrefix("state_dict.") } ? "state_dict." : ""
        let r = WeightReader(dict, prefix: prefix, source: source)
        let dim: Int
        if let s = r.shape("mapper.fc.weight"), s.count == 2 { dim = s[0] }
        else if let s = ["course_mapping", "medium_mapping", "fine_mapping"].lazy.compactMap({ r.shape("mapper.\($0).mapping.1.weight") }).first { dim = s[0] }
        else {
            throw CheckpointError.mismatch(source: source, problems: ["no mapper weights: expected '\(prefix)mapper.fc.weight' or '\(prefix)mapper.{course,medium,fine}_mapping.mapping.1.weight'"])
        }
        let levels = LevelsMapper(r, dim: dim)
        var decoder: Generator? = nil
        if r.contains("decoder.style.1.weight") {
            // the decoder's keys are checked by the generator loader; mark them known here
            decoder = try Generator.load(from: dict, prefix: prefix + "decoder.", source: source)
            r.ignore { $0.hasPrefix("decoder.") }
        }
        let kind: Kind = levels.fc != nil || r.keys.contains { $0.hasPrefix("text_mapper.") } ? .cfclip : .styleclip
        var text: FullTextMapper? = nil
        if kind == .cfclip {
            text = FullTextMapper(r, dim: dim)
            let needed = decoder?.config.nLatent ?? text!.mappers.count
            if text!.mappers.count < max(needed, 1) {
                // read the first missing mapper so the report names its keys
                for c in text!.mappers.count..<max(needed, 1) {
                    for i in 1...4 { _ = r.tensor("text_mapper.mapper_\(c).mapping.\(i).weight", [dim, dim]) }
                }
            }
            if levels.fc == nil { _ = r.tensor("mapper.fc.weight", [dim, 2 * dim]) }
        }
        try r.finish()
        // .pt files keep `opts` as a pickled dict; the project's safetensors keep it as JSON metadata
        let opts = dict.objects.first { $0.name == "opts" }?.value
            ?? dict.metadata["opts"].flatMap { JSONValue.parse(Data($0.utf8)) }
        return MapperCheckpoint(kind: kind, mapper: levels, textMapper: text, decoder: decoder, opts: opts, source: source)
    }

    /// Every parameter under its checkpoint name: `mapper.*`, `text_mapper.*` and, when the
    /// checkpoint embeds one, the generator's `decoder.*`.
    public var namedParameters: [(String, Tensor)] {
        mapper.namedParameters + (textMapper?.namedParameters ?? [])
    }

    /// Writes the project's own format: safetensors with the reference key names and the options
    /// as JSON metadata (`opts`), to a temporary name renamed into place. `decoder` tensors come
    /// from `decoderDict` (the state dict the generator was loaded from), so noise buffers and
    /// kernels are kept exactly.
    public func write(to path: String, decoderDict: StateDict? = nil, decoderPrefix: String = "") throws {
        var tensors: [String: Tensor] = [:]
        for (k, v) in namedParameters { tensors[k] = v }
        if let d = decoderDict {
            for name in d.names where name.hasPrefix(decoderPrefix) {
                tensors["decoder." + name.dropFirst(decoderPrefix.count)] = d.tensors[name]
            }
        }
        var metadata = ["format": "cfclip-mapper", "kind": kind.rawValue]
        if let opts { metadata["opts"] = opts.serialized(sortedKeys: true) }
        try Safetensors.write(tensors, metadata: metadata, to: path)
    }

    /// Trainable copies of every mapper parameter on `tape`.
    public func parameters(on tape: Tape) -> Parameters { Parameters(namedParameters, tape: tape) }

    /// Δ for W+ codes w [B, L, D]; CF-CLIP mappers need the driving text's raw CLIP embedding.
    public func delta(_ w: Tensor, textEmbedding: Tensor? = nil) throws -> Tensor {
        try delta(Var(w), textEmbedding: textEmbedding.map { Var($0) }, params: nil).delta.value
    }

    /// `w' = w + alpha * 0.1 * Δ` (alpha = 1 reproduces the reference; 0.1 is the coach's scale).
    public func edit(_ w: Tensor, textEmbedding: Tensor? = nil, alpha: Float = 1) throws -> Tensor {
        try edit(Var(w), textEmbedding: textEmbedding.map { Var($0) }, alpha: alpha, params: nil).wHat.value
    }

    /// The edit on `Var`s, the one definition behind inference and training: (w_hat, t_w) with
    /// w_hat = w + alpha * 0.1 * Δ; the mapper's weights come from `params` where it binds them.
    public func edit(_ w: Var, textEmbedding: Var?, alpha: Float = 1, params: Parameters?) throws -> (wHat: Var, tW: Var?) {
        let (delta, tw) = try delta(w, textEmbedding: textEmbedding, params: params)
        return (Diff.add(w, Diff.affine(delta, scale: alpha * 0.1)), tw)
    }

    /// Δ and, for CF-CLIP, the mapped text t_w [B, L, D].
    func delta(_ w: Var, textEmbedding: Var?, params: Parameters?) throws -> (delta: Var, tW: Var?) {
        guard w.shape.count == 3, w.shape[2] == latentDim else {
            throw ModelError.invalidInput("\(source): latents must be [N, L, \(latentDim)], got \(Shape.text(w.shape))")
        }
        switch kind {
        case .styleclip:
            return (mapper(w, params), nil)
        case .cfclip:
            guard let e = textEmbedding, let tm = textMapper else {
                throw ModelError.invalidInput("\(source): a CF-CLIP mapper needs the CLIP embedding of its text")
            }
            guard e.value.count == latentDim else {
                throw ModelError.invalidInput("\(source): text embedding has \(e.value.count) values, the mapper's latent width is \(latentDim)")
            }
            let tw = tm(e, batch: w.shape[0], rows: w.shape[1], params)
            return (mapper(Diff.concatenate([w, tw], axis: -1), params), tw)
        }
    }
}
