import Tensors

/// How far an edit moved the latent code: the mean squared difference of W+ codes, as the
/// coach's latent L2 loss computes it (`MSE(w', w)` over all L x D values).
public enum LatentDistance {
    /// One value per sample of W+ codes [N, L, D].
    public static func meanSquared(_ w: Tensor, _ edited: Tensor) -> [Float] {
        precondition(w.shape == edited.shape && w.rank >= 2, "latent distance: \(w.shape) vs \(edited.shape)")
        let n = w.shape[0], per = w.count / max(n, 1)
        return w.withUnsafeBufferPointer { a in
            edited.withUnsafeBufferPointer { b in
                (0..<n).map { i in
                    var s: Float = 0
                    for k in 0..<per { let d = b[i * per + k] - a[i * per + k]; s += d * d }
                    return s / Float(per)
                }
            }
        }
    }
}
