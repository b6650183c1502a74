#if canImport(Glibc)
import Glibc
#endif

/// Multi-head scaled dot-product attention as `nn.MultiheadAttention` computes it, on packed
/// projections: qkv [N, L, 3*width] (q, k, v blocks along the last axis) -> [N, L, width].
/// Each (sample, head) is two GEMMs reading the head's columns in place (leading dimension
/// 3*width), so nothing is permuted. `causal` masks positions after the query (text tower).
public enum Attention {
    public static func forward(qkv: Tensor, heads: Int, causal: Bool) -> Tensor {
        precondition(qkv.rank == 3 && qkv.shape[2] % (3 * heads) == 0, "attention: qkv \(qkv.shape) with \(heads) heads")
        let (n, l, w3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
        let w = w3 / 3, d = w / heads
        let scale = 1 / Float(d).squareRoot()
        var out = Tensor(uninitialized: [n, l, w])
        qkv.withUnsafeBufferPointer { qp in
            out.withUnsafeMutableBufferPointer { op in
                let qs = SendablePointer(UnsafeMutablePointer(mutating: qp.baseAddress!)), os = SendablePointer(op.baseAddress!)
                Parallel.for(n * heads, costPerItem: 4 * l * l * d) { range in
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: l * l)
                    defer { scores.deallocate() }
                    for nh in range {
                        let (b, h) = (nh / heads, nh % heads)
                        let base = qs.p + b * l * w3
                        let q = base + h * d, k = base + w + h * d, v = base + 2 * w + h * d
                        // scores = (q * scale) k^T
                        BLAS.sgemm(transB: true, m: l, n: l, k: d, alpha: scale, a: q, lda: w3, b: k, ldb: w3,
                                   c: scores, ldc: l)
                        for i in 0..<l {
                            let row = scores + i * l
                            let valid = causal ? i + 1 : l
                            var mx = -Float.infinity
                            for j in 0..<valid { mx = max(mx, row[j]) }
                            var sum: Float = 0
                            for j in 0..<valid { row[j] = expf(row[j] - mx); sum += row[j] }
                            let inv = 1 / sum
                            for j in 0..<valid { row[j] *= inv }
                            for j in valid..<l { row[j] = 0 }
                        }
                        BLAS.sgemm(m: l, n: d, k: l, a: scores, lda: l, b: v, ldb: w3, c: os.p + b * l * w + h * d, ldc: w)
                    }
                }
            }
        }
        return out
    }
}
