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

    /// text embedding [E] (E = D) -> t_w [B, L, D], the same for every sample of the batch.
    public func callAsFunction(_ embedding: Tensor, batch: Int, rows l: Int) -> Tensor {
        let d = embedding.count
        let e = embedding.reshaped([1, 1, d])
        var out = Tensor(zeros: [batch, l, d])
        for c in 0..<min(l, mappers.count) {
            let row = mappers[c](e).scalars
            out.withUnsafeMutableBufferPointer { p in
                for b in 0..<batch { for k in 0..<d { p[(b * l + c) * d + k] = row[k] } }
            }
        }
        return out
    }
}

extension FullTextMapper {
    /// `text_mapper.*` parameters under their checkpoint names.
    public var namedParameters: [(String, Tensor)] {
        mappers.enumerated().flatMap { c, m in m.namedParameters.map { ("text_mapper.mapper_\(c).\($0.0)", $0.1) } }
    }
}
