import CBLAS

/// Thin wrappers over OpenBLAS: row-major single-precision GEMM.
///
/// OpenBLAS runs single-threaded; `sgemm` splits large products into one block per
/// `Parallel` thread itself. OpenBLAS's own workers busy-wait for about 0.1 s after every call,
/// and on a 2-core machine that spinning thread took a core from the elementwise loops that
/// follow each GEMM (the training step ran 15% slower). One thread pool for everything avoids it.
public enum BLAS {
    /// Once, before the first GEMM (`Parallel` asks first): the kernels the CPU allows
    /// (`BLASCore`), and OpenBLAS's own thread count at 1. Its value: the core OpenBLAS had
    /// chosen itself where `BLASCore` replaced it.
    static let configured: String? = {
        let replaced = BLASCore.selectFasterKernelsIfNeeded()
        openblas_set_num_threads(1)
        return replaced
    }()
    static func keepLibrarySingleThreaded() { _ = configured }
    /// Threads a large `sgemm` is split across.
    public static var threads: Int { Parallel.threads }
    public static var coreName: String { _ = configured; return String(cString: openblas_get_corename()) }
    /// "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64 (core Zen)", for --version;
    /// the configuration string names the core chosen at load, the parenthesis the one in use.
    public static var libraryDescription: String {
        let config = String(cString: openblas_get_config()).split(separator: " ").joined(separator: " ")
        return "\(config) (core \(coreName)\(configured.map { ", chosen over OpenBLAS's \($0) fallback" } ?? ""))"
    }

    /// Blocks a product is split into: a function of its shape only. OpenBLAS's result for an
    /// element depends on where it sits in the call (its Haswell/Zen kernels treat the last
    /// columns and rows of a call differently), so a split that followed the thread count or
    /// the load would change the low bits of outputs from run to run. Four blocks keep up to
    /// four cores busy; repacking the shared operand per block costs under 1%.
    @inlinable
    static func pieces(m: Int, n: Int, k: Int) -> Int {
        guard m * n * k >= 1 << 21 else { return 1 }
        return max(1, min(4, max(m, n) / 128))
    }

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
        let parts = pieces(m: m, n: n, k: k)
        if parts > 1 {
            // split the longer side of C into blocks of whole 16-wide panels; the blocks depend
            // on the shape alone (never on the thread count or on what else runs), so every
            // element is computed by the same OpenBLAS call whatever the machine is doing
            let alongN = n >= m
            let len = alongN ? n : m
            let step = ((len + parts - 1) / parts + 15) / 16 * 16
            let (ap, bp, cp) = (ReadPointer(a), ReadPointer(b), SendablePointer(c))
            Parallel.for(parts, costPerItem: 1 << 20) { range in
                for part in range {
                    let lo = part * step, hi = min(len, lo + step)
                    if lo >= hi { continue }
                    if alongN {
                        gemmBlock(transA, transB, m, hi - lo, k, alpha, ap.p, lda, bp.p + (transB ? lo * ldb : lo), ldb, beta, cp.p + lo, ldc)
                    } else {
                        gemmBlock(transA, transB, hi - lo, n, k, alpha, ap.p + (transA ? lo : lo * lda), lda, bp.p, ldb, beta, cp.p + lo * ldc, ldc)
                    }
                }
            }
            return
        }
        gemmBlock(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    }

    @usableFromInline
    static func gemmBlock(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                          _ a: UnsafePointer<Float>, _ lda: Int, _ b: UnsafePointer<Float>, _ ldb: Int,
                          _ beta: Float, _ c: UnsafeMutablePointer<Float>, _ ldc: Int) {
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
                    // one GEMM per item of the leading (batch) axis, as in Linear.forward
                    let items = max(1, shape[0]), per = m / items
                    for i in 0..<items where per > 0 {
                        BLAS.sgemm(transB: transposeOther, m: per, n: n, k: k, a: a.baseAddress! + i * per * k, lda: k,
                                   b: b.baseAddress!, ldb: transposeOther ? k : n, c: c.baseAddress! + i * per * n, ldc: n)
                    }
                }
            }
        }
        return out
    }
}
