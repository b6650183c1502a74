import CBLAS

/// Thin wrappers over OpenBLAS: row-major single-precision GEMM/GEMV.
public enum BLAS {
    public static func setThreads(_ n: Int) { openblas_set_num_threads(Int32(n)) }
    public static var threads: Int { Int(openblas_get_num_threads()) }
    public static var coreName: String { String(cString: openblas_get_corename()) }

    /// C[M,N] = alpha * op(A) * op(B) + beta * C, row-major, with leading dimensions given.
    @inlinable
    public static func sgemm(transA: Bool = false, transB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int,
                             b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        if m == 0 || n == 0 { return }
        if k == 0 {
            // BLAS leaves C untouched only when beta == 1; make k = 0 mean "C = beta*C".
            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? 0 : beta * c[i * ldc + j] } }
            return
        }
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}

extension Tensor {
    /// Matrix product of the last two axes: [.., M, K] x [K, N] (or [.., K, N] batched the same).
    public func matmul(_ other: Tensor, transposeOther: Bool = false) -> Tensor {
        precondition(rank >= 2 && other.rank == 2, "matmul: \(shape) x \(other.shape)")
        let k = shape[rank - 1]
        let m = count / max(k, 1)
        let n = transposeOther ? other.shape[0] : other.shape[1]
        precondition((transposeOther ? other.shape[1] : other.shape[0]) == k, "matmul: \(shape) x \(other.shape)")
        var out = Tensor(uninitialized: Array(shape.dropLast()) + [n])
        withUnsafeBufferPointer { a in
            other.withUnsafeBufferPointer { b in
                out.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(transB: transposeOther, m: m, n: n, k: k, a: a.baseAddress!, lda: k,
                               b: b.baseAddress!, ldb: transposeOther ? k : n, c: c.baseAddress!, ldc: n)
                }
            }
        }
        return out
    }
}
