import Tensors

/// CF-CLIP's text embedding mapper (`text_mapper.mapper_c`): one `Mapper` per latent row c,
/// applied to the raw (unnormalised) CLIP text embedding. Its input has one row, so its
/// PixelNorm is x / sqrt(x² + 1e-8), nearly sign(x), as in the reference.
public struct FullTextMapper: Sendable {
    public let mappers: [Mapper]     // mapper_0 ... mapper_{L-1}

    init(_ r: WeightReader, dim: Int) {
        var m: [Mapper] = []
        while r.contains("text_mapper.mapper_\(m.count).mapping.1.weight") { m.append(Mapper(r, "text_mapper.mapper_\(m.count)", dim: dim)) }
        mappers = m
    }

    /// text embedding [E] (E = D) -> t_w [B, L, D]: row c from mapper_c (zeros past the last
    /// mapper), the same for every sample of the batch.
    public func callAsFunction(_ embedding: Var, batch: Int, rows l: Int, _ params: Parameters? = nil) -> Var {
        let d = embedding.value.count
        let e = Diff.reshape(embedding, [1, 1, d])
        let rows = (0..<l).map { c -> Var in c < mappers.count ? mappers[c](e, params) : Var(Tensor(zeros: [1, 1, d])) }
        let one = Diff.concatenate(rows, axis: 1)                      // [1, L, D]
        return Diff.concatenate(Array(repeating: one, count: batch))   // [B, L, D]
    }
}

extension FullTextMapper {
    /// `text_mapper.*` parameters under their checkpoint names.
    public var namedParameters: [(String, Tensor)] {
        mappers.enumerated().flatMap { c, m in m.namedParameters.map { ("text_mapper.mapper_\(c).\($0.0)", $0.1) } }
    }
}
