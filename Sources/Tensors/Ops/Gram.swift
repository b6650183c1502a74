/// Gram matrices of feature maps, as style losses use them: for x [B, C, H, W],
/// `G[b] = F F^T / (C*H*W)` with F = x[b] viewed as [C, H*W] (one GEMM per sample).
public enum Gram {
    public static func forward(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "gram expects [B, C, H, W], got \(x.shape)")
        let (b, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        var g = Tensor(uninitialized: [b, c, c])
        if g.count == 0 { return g }
        x.withUnsafeBufferPointer { xp in
            g.withUnsafeMutableBufferPointer { gp in
                for i in 0..<b {
                    let f = xp.baseAddress! + i * c * hw, out = gp.baseAddress! + i * c * c
                    BLAS.sgemm(transB: true, m: c, n: c, k: hw, a: f, lda: hw, b: f, ldb: hw, c: out, ldc: c)
                    // divide after the product, as the reference does (`bmm(...) / (h * w * ch)`)
                    let d = Float(c * hw)
                    for j in 0..<(c * c) { out[j] /= d }
                }
            }
        }
        return g
    }
}
