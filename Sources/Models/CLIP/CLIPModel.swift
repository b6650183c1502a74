import Checkpoints
import Tensors

/// OpenAI CLIP (ViT image tower + causal text transformer), keys as in `model.state_dict()`:
/// `visual.*`, `token_embedding.weight`, `positional_embedding`, `transformer.resblocks.*`,
/// `ln_final.*`, `text_projection`, `logit_scale`.
public struct CLIPModel: Sendable {
    public let visual: VisionTransformer
    public let tokenEmbedding: Tensor         // token_embedding.weight [vocab, w]
    public let positionalEmbedding: Tensor    // [context, w]
    public let transformer: CLIPTransformer
    public let lnFinal: (weight: Tensor, bias: Tensor)
    public let textProjection: Tensor         // [w, embed]
    public let logitScale: Float              // ln(100) in the trained models

    public var embedDim: Int { textProjection.shape[1] }
    public var contextLength: Int { positionalEmbedding.shape[0] }
    public var textWidth: Int { tokenEmbedding.shape[1] }

    /// Loads a plain state dict, a TorchScript archive's (3 extra int64 scalars) or a
    /// safetensors copy. Head counts default to width / 64, as the reference's `build_model`;
    /// reduced models state theirs explicitly.
    public static func load(from dict: StateDict, prefix: String = "", source: String,
                            visionHeads: Int? = nil, textHeads: Int? = nil) throws -> CLIPModel {
        let r = WeightReader(dict, prefix: prefix, source: source)
        guard r.contains("visual.conv1.weight"), r.contains("token_embedding.weight") else {
            throw CheckpointError.mismatch(source: source, problems: ["no CLIP model under prefix '\(prefix)' (needs visual.conv1.weight and token_embedding.weight)"])
        }
        let m = CLIPModel(r, visionHeads: visionHeads, textHeads: textHeads)
        r.ignore { ["input_resolution", "context_length", "vocab_size"].contains($0) }
        try r.finish()
        return m
    }

    init(_ r: WeightReader, visionHeads: Int?, textHeads: Int?) {
        visual = VisionTransformer(r, heads: visionHeads)
        let te = r.shape("token_embedding.weight") ?? [0, 0]
        let (vocab, w) = (te[0], te.count > 1 ? te[1] : 0)
        let ctx = r.shape("positional_embedding")?.first ?? 77
        let embed = r.shape("text_projection")?.last ?? 0
        tokenEmbedding = r.tensor("token_embedding.weight", [vocab, w])
        positionalEmbedding = r.tensor("positional_embedding", [ctx, w])
        transformer = CLIPTransformer(r, "transformer", width: w, heads: textHeads ?? max(w / 64, 1))
        lnFinal = (r.tensor("ln_final.weight", [w]), r.tensor("ln_final.bias", [w]))
        textProjection = r.tensor("text_projection", [w, embed])
        logitScale = r.tensor("logit_scale", []).scalars.first ?? 0
    }

    /// Without a hook the tower skips what only a hook would read (the last block's other
    /// tokens, the reference's conv1 layout): a closure passed for an absent hook cost a batch
    /// of 8 about 6% of its time.
    public func encodeImage(_ images: Tensor, hook: ((String, Tensor) -> Void)? = nil) -> Tensor {
        visual(images, hook: hook.map { hook in { name, t in hook("visual." + name, t) } })
    }

    /// `encodeImage` on `Var`s: gradients reach the images.
    public func encodeImage(_ images: Var) -> Var { visual(images) }

    /// tokens [P, context] (ids as `clip.tokenize` gives) -> features [P, embed] at each row's
    /// end-of-text token (its highest id). The causal mask means positions after the last
    /// end-of-text of the batch cannot change the result, so they are not computed unless a hook
    /// asks for the full sequence.
    public func encodeText(_ tokens: [[Int32]], hook: ((String, Tensor) -> Void)? = nil) throws -> Tensor {
        let p = tokens.count, w = textWidth, vocab = tokenEmbedding.shape[0]
        var eot = [Int](repeating: 0, count: p)
        for (i, row) in tokens.enumerated() {
            guard row.count == contextLength else {
                throw ModelError.invalidInput("token row \(i) has \(row.count) ids, the context length is \(contextLength)")
            }
            var best = 0
            for (j, t) in row.enumerated() {
                guard t >= 0, Int(t) < vocab else { throw ModelError.invalidInput("token id \(t) at [\(i), \(j)] is outside the vocabulary of \(vocab)") }
                if t > row[best] { best = j }
            }
            eot[i] = best
        }
        let l = hook == nil ? (eot.max() ?? 0) + 1 : contextLength
        // gather embedding rows in place: the table is 49408 x width, never copied
        let x = tokenEmbedding.withUnsafeBufferPointer { te in
            positionalEmbedding.withUnsafeBufferPointer { pe in
                Tensor(shape: [p, l, w]) { t in
                    for i in 0..<p { for j in 0..<l {
                        let id = Int(tokens[i][j])
                        for c in 0..<w { t[(i * l + j) * w + c] = te[id * w + c] + pe[j * w + c] }
                    } }
                }
            }
        }
        let h = transformer(Var(x), causal: true) { i, t in hook?("transformer.resblocks.\(i)", t) }.value
        let f = LayerNorm.forward(h, weight: lnFinal.weight, bias: lnFinal.bias)
        hook?("ln_final", f)
        let fv = f.scalars
        let rows = Tensor(shape: [p, w]) { out in
            for i in 0..<p { for c in 0..<w { out[i * w + c] = fv[(i * l + eot[i]) * w + c] } }
        }
        return rows.matmul(textProjection)
    }

    /// `logit_scale.exp() * normalize(image) @ normalize(text).T`: [N, P].
    public func logitsPerImage(imageFeatures: Tensor, textFeatures: Tensor) -> Tensor {
        var l = l2Normalized(imageFeatures).matmul(l2Normalized(textFeatures), transposeOther: true)
        let s = expf(logitScale)
        l.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= s } }
        return l
    }
}

/// Rows divided by their L2 norm, as `F.normalize` (the norm floored at 1e-12, so a zero row
/// stays zero).
#if canImport(Glibc)
import Glibc
#endif
