/// A frozen weight W [N, K] of `y = x Wᵀ + b`, packed once at load for a few-row product: panels
/// of 16 output features, [⌈N/16⌉, K, 16], zero past N.
///
/// Why not OpenBLAS: with the 50-77 token rows of CLIP's towers, `sgemm` spends a fifth of its
/// time packing W again on every call, and a sample's row came out differently in a batched call
/// than alone (BLAS.pieces), so each sample paid that alone. Here every output is one chain of
/// fused multiply-adds over k in order, whatever the rows around it, their number or the thread
/// count: a whole batch is one call and the bytes match a sample's own.
public struct PackedMatrix: Sendable {
    public let outFeatures: Int
    public let inFeatures: Int
    let panels: Tensor

    /// Output features per panel: two 8-wide vectors, against 6 rows (12 accumulators, plus two
    /// weight vectors and a broadcast: 15 of the 16 AVX2 registers).
    static let width = 16, tileRows = 6

    public init(_ weight: Tensor) {
        precondition(weight.rank == 2, "PackedMatrix: weight \(weight.shape) is not [out, in]")
        let (n, k) = (weight.shape[0], weight.shape[1])
        outFeatures = n; inFeatures = k
        let count = (n + Self.width - 1) / Self.width
        panels = Tensor(shape: [count, k, Self.width]) { p in
            weight.withUnsafeBufferPointer { w in
                for pi in 0..<count { for kk in 0..<k { for j in 0..<Self.width {
                    let o = pi * Self.width + j
                    p[(pi * k + kk) * Self.width + j] = o < n ? w[o * k + kk] : 0
                } } }
            }
        }
    }

    /// W [N, K] again, for the input gradient of a frozen layer (training through CLIP).
    public func unpacked() -> Tensor {
        let (n, k) = (outFeatures, inFeatures)
        return Tensor(shape: [n, k]) { w in
            panels.withUnsafeBufferPointer { p in
                for o in 0..<n { for kk in 0..<k { w[o * k + kk] = p[((o / Self.width) * k + kk) * Self.width + o % Self.width] } }
            }
        }
    }

    /// c[r, :] = alpha · x[r, :] Wᵀ (+ bias) for `rows` rows of x [rows, K] into c [rows, N].
    /// Each core takes whole panels; within one, k runs in blocks whose slice of the panel stays
    /// in L1 while every row tile passes over it (a tile's sums wait in c between blocks, which
    /// changes no bit of the chain).
    public func multiply(_ x: UnsafePointer<Float>, rows: Int, alpha: Float = 1, bias: UnsafePointer<Float>?,
                         into c: UnsafeMutablePointer<Float>) {
        let (n, k, width, tileRows) = (outFeatures, inFeatures, Self.width, Self.tileRows)
        if rows == 0 || n == 0 { return }
        let count = (n + width - 1) / width, tiles = (rows + tileRows - 1) / tileRows
        let xs = ReadPointer(x), cs = SendablePointer(c), bs = bias.map { ReadPointer($0) }
        panels.withUnsafeBufferPointer { pp in
            let ps = ReadPointer(pp.baseAddress!)
            Parallel.for(count, costPerItem: 2 * rows * k * width) { range in
                // rows past the end of x read zeros; a partial panel or row tile sums into `spare`
                let zeros = UnsafeMutablePointer<Float>.allocate(capacity: k)
                zeros.initialize(repeating: 0, count: k)
                let spare = UnsafeMutablePointer<Float>.allocate(capacity: tiles * tileRows * width)
                var b = [Float](repeating: 0, count: width)
                defer { zeros.deallocate(); spare.deallocate() }
                for pi in range {
                    let col0 = pi * width, cols = min(width, n - col0)
                    for j in 0..<width { b[j] = j < cols ? bs.map { $0.p[col0 + j] } ?? 0 : 0 }
                    let panel = ps.p + pi * k * width
                    var k0 = 0
                    while k0 < k {
                        let kc = min(Self.blockK, k - k0)
                        for t in 0..<tiles {
                            let r0 = t * tileRows, r = min(tileRows, rows - r0)
                            let direct = r == tileRows && cols == width
                            let row = { (i: Int) in i < r ? xs.p + (r0 + i) * k + k0 : UnsafePointer(zeros) }
                            Self.kernel(row(0), row(1), row(2), row(3), row(4), row(5), panel: panel + k0 * width, k: kc,
                                        first: k0 == 0, last: k0 + kc == k, alpha: alpha, bias: b,
                                        out: direct ? cs.p + r0 * n + col0 : spare + r0 * width, ldc: direct ? n : width)
                        }
                        k0 += kc
                    }
                    for t in 0..<tiles {
                        let r0 = t * tileRows, r = min(tileRows, rows - r0)
                        if r == tileRows && cols == width { continue }
                        for i in 0..<r { (cs.p + (r0 + i) * n + col0).update(from: spare + (r0 + i) * width, count: cols) }
                    }
                }
            }
        }
    }

    /// k per block: the panel's slice is 16 KB, half of L1.
    static let blockK = 256

    /// One 6 x 16 tile over one block of k: out[i, j] (+)= Σ_k rows[i][k] panel[k, j], starting
    /// from zero on the `first` block and from `out` after it; the `last` stores alpha · sum + bias[j].
    @inline(__always)
    static func kernel(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
                       _ x3: UnsafePointer<Float>, _ x4: UnsafePointer<Float>, _ x5: UnsafePointer<Float>,
                       panel: UnsafePointer<Float>, k: Int, first: Bool, last: Bool, alpha: Float, bias: [Float],
                       out: UnsafeMutablePointer<Float>, ldc: Int) {
        func load(_ i: Int, _ half: Int) -> SIMD8<Float> {
            first ? SIMD8<Float>() : UnsafeRawPointer(out + i * ldc + 8 * half).loadUnaligned(as: SIMD8<Float>.self)
        }
        var c00 = load(0, 0), c01 = load(0, 1), c10 = load(1, 0), c11 = load(1, 1)
        var c20 = load(2, 0), c21 = load(2, 1), c30 = load(3, 0), c31 = load(3, 1)
        var c40 = load(4, 0), c41 = load(4, 1), c50 = load(5, 0), c51 = load(5, 1)
        var w = UnsafeRawPointer(panel)
        for kk in 0..<k {
            let w0 = w.loadUnaligned(as: SIMD8<Float>.self), w1 = w.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var a = SIMD8<Float>(repeating: x0[kk]); c00 = c00.addingProduct(a, w0); c01 = c01.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x1[kk]); c10 = c10.addingProduct(a, w0); c11 = c11.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x2[kk]); c20 = c20.addingProduct(a, w0); c21 = c21.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x3[kk]); c30 = c30.addingProduct(a, w0); c31 = c31.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x4[kk]); c40 = c40.addingProduct(a, w0); c41 = c41.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x5[kk]); c50 = c50.addingProduct(a, w0); c51 = c51.addingProduct(a, w1)
            w += 64
        }
        let b0 = SIMD8<Float>(bias[0..<8]), b1 = SIMD8<Float>(bias[8..<16])
        func store(_ lo: SIMD8<Float>, _ hi: SIMD8<Float>, _ i: Int) {
            let o = UnsafeMutableRawPointer(out + i * ldc)
            o.storeBytes(of: last ? lo * alpha + b0 : lo, as: SIMD8<Float>.self)
            o.storeBytes(of: last ? hi * alpha + b1 : hi, toByteOffset: 32, as: SIMD8<Float>.self)
        }
        store(c00, c01, 0); store(c10, c11, 1); store(c20, c21, 2)
        store(c30, c31, 3); store(c40, c41, 4); store(c50, c51, 5)
    }
}
