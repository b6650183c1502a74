/// Unit rows and row-wise cosine similarity of feature matrices (CLIP and ArcFace embeddings).
/// `x / x.norm(dim=-1, keepdim=True)` as torch computes it (its floor for a zero row).
public func l2Normalized(_ x: Tensor) -> Tensor { L2Normalize.forward(x, floor: L2Normalize.torchFloor) }

/// Cosine similarity of row `i` of `a` with row `i` of `b` (both [N, E], any length).
public func rowCosines(_ a: Tensor, _ b: Tensor) -> [Float] {
    precondition(a.shape == b.shape && a.rank == 2, "rowCosines: \(a.shape) vs \(b.shape)")
    let (n, e) = (a.shape[0], a.shape[1])
    return a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            (0..<n).map { i in
                var dot: Float = 0, na: Float = 0, nb: Float = 0
                for k in 0..<e {
                    let x = ap[i * e + k], y = bp[i * e + k]
                    dot += x * y; na += x * x; nb += y * y
                }
                return dot / max((na * nb).squareRoot(), 1e-12)
            }
        }
    }
}
