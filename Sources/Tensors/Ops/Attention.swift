
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
                let qs = ReadPointer(qp.baseAddress!), os = SendablePointer(op.baseAddress!)
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
                        for i in 0..<l { softmax(scores + i * l, valid: causal ? i + 1 : l, count: l) }
                        BLAS.sgemm(m: l, n: d, k: l, a: scores, lda: l, b: v, ldb: w3, c: os.p + b * l * w + h * d, ldc: w)
                    }
                }
            }
        }
        return out
    }
}

extension Attention {
    /// softmax of row[0..<valid] in place, zeros after it up to `count` (the causal mask), the
    /// one definition for the forward and the backward's recomputation. Eight lanes at a time
    /// with `VectorMath.exp`: libm's expf, one call per score, was most of the attention's time.
    @inline(__always)
    static func softmax(_ row: UnsafeMutablePointer<Float>, valid: Int, count: Int) {
        let body = valid / 8 * 8
        func load(_ j: Int) -> SIMD8<Float> { UnsafeRawPointer(row + j).loadUnaligned(as: SIMD8<Float>.self) }
        func store(_ v: SIMD8<Float>, _ j: Int) { UnsafeMutableRawPointer(row + j).storeBytes(of: v, as: SIMD8<Float>.self) }
        var top = SIMD8<Float>(repeating: -.infinity)
        for j in stride(from: 0, to: body, by: 8) { let v = load(j); top.replace(with: v, where: v .> top) }
        var mx = top.max()
        for j in body..<valid { mx = max(mx, row[j]) }
        let m = SIMD8<Float>(repeating: mx)
        var lanes = SIMD8<Float>()
        for j in stride(from: 0, to: body, by: 8) {
            let e = VectorMath.exp(load(j) - m)
            store(e, j); lanes += e
        }
        var sum = lanes.sum()
        if body < valid {
            var tail = SIMD8<Float>(repeating: 0)
            for j in body..<valid { tail[j - body] = row[j] - mx }
            let e = VectorMath.exp(tail)
            for j in body..<valid { row[j] = e[j - body]; sum += e[j - body] }
        }
        let inv = SIMD8<Float>(repeating: 1 / sum)
        for j in stride(from: 0, to: body, by: 8) { store(load(j) * inv, j) }
        for j in body..<valid { row[j] *= inv[0] }
        for j in valid..<count { row[j] = 0 }
    }

    /// Differentiable attention. The backward recomputes each head's softmax (cheap next to the
    /// GEMMs) rather than keeping N * heads L x L matrices alive:
    /// dV = P^T dO, dP = dO V^T, dS = P * (dP - rowsum(dP * P)), dQ = scale dS K, dK = scale dS^T Q.
    public static func forward(qkv: Var, heads: Int, causal: Bool) -> Var {
        let y = forward(qkv: qkv.value, heads: heads, causal: causal)
        return taped(y, qkv) { dO in qkv.accumulate(backward(dO, qkv: qkv.value, heads: heads, causal: causal)) }
    }

    public static func backward(_ dO: Tensor, qkv: Tensor, heads: Int, causal: Bool) -> Tensor {
        let (n, l, w3) = (qkv.shape[0], qkv.shape[1], qkv.shape[2])
        let w = w3 / 3, d = w / heads
        let scale = 1 / Float(d).squareRoot()
        var dqkv = Tensor(zeros: qkv.shape)
        qkv.withUnsafeBufferPointer { qp in
            dO.withUnsafeBufferPointer { gp in
                dqkv.withUnsafeMutableBufferPointer { dp in
                    let p = UnsafeMutablePointer<Float>.allocate(capacity: l * l), dP = UnsafeMutablePointer<Float>.allocate(capacity: l * l)
                    defer { p.deallocate(); dP.deallocate() }
                    for b in 0..<n { for h in 0..<heads {
                        let base = qp.baseAddress! + b * l * w3, dbase = dp.baseAddress! + b * l * w3
                        let q = base + h * d, k = base + w + h * d, v = base + 2 * w + h * d
                        let go = gp.baseAddress! + b * l * w + h * d
                        BLAS.sgemm(transB: true, m: l, n: l, k: d, alpha: scale, a: q, lda: w3, b: k, ldb: w3, c: p, ldc: l)
                        for i in 0..<l { softmax(p + i * l, valid: causal ? i + 1 : l, count: l) }
                        // dV = P^T dO ; dP = dO V^T
                        BLAS.sgemm(transA: true, m: l, n: d, k: l, a: p, lda: l, b: go, ldb: w, beta: 1, c: dbase + 2 * w + h * d, ldc: w3)
                        BLAS.sgemm(transB: true, m: l, n: l, k: d, a: go, lda: w, b: v, ldb: w3, c: dP, ldc: l)
                        for i in 0..<l {
                            var dot: Float = 0
                            for j in 0..<l { dot += dP[i * l + j] * p[i * l + j] }
                            for j in 0..<l { dP[i * l + j] = p[i * l + j] * (dP[i * l + j] - dot) }
                        }
                        // dQ = scale dS K ; dK = scale dS^T Q
                        BLAS.sgemm(m: l, n: d, k: l, alpha: scale, a: dP, lda: l, b: k, ldb: w3, beta: 1, c: dbase + h * d, ldc: w3)
                        BLAS.sgemm(transA: true, m: l, n: d, k: l, alpha: scale, a: dP, lda: l, b: q, ldb: w3, beta: 1, c: dbase + w + h * d, ldc: w3)
                    } }
                }
            }
        }
        return dqkv
    }
}
