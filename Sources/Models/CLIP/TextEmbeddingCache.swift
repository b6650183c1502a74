import Synchronization
import Tensors

/// Text embeddings of a run's prompts, computed once per prompt (thread-safe).
public final class TextEmbeddingCache: Sendable {
    let model: CLIPModel
    let tokenizer: CLIPTokenizer
    let cache = Mutex<[String: Tensor]>([:])

    public init(model: CLIPModel, tokenizer: CLIPTokenizer) { self.model = model; self.tokenizer = tokenizer }

    /// The unnormalised `encode_text` feature of `text`, [embed].
    public func embedding(_ text: String) throws -> Tensor {
        if let hit = cache.withLock({ $0[text] }) { return hit }
        let ids = try tokenizer.tokenize(text, contextLength: model.contextLength, truncate: true)
        let f = try model.encodeText([ids]).reshaped([model.embedDim])
        cache.withLock { $0[text] = f }
        return f
    }

    public var count: Int { cache.withLock { $0.count } }
}
