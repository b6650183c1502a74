import KernelsAVX512

/// C = alpha · A B (+ bias per column) in 6 x 16 register tiles, for products of few rows, where
/// OpenBLAS serves badly (CLIP's 50-77 tokens: see PackedMatrix).
///
/// B is read in panels of 16 columns: panel p starts at `b + p * panelStride`, its row k at
/// `+ k * ldb`, 16 contiguous floats (PackedMatrix: ldb 16, panelStride K·16). Every C element
/// is one chain of fused multiply-adds over k in order from zero, whatever the rows, columns or
/// threads around it, so a row never depends on what else is in the call.
///
/// Tried for Winograd's 16 products at 32-128 channels over whole bands (B = V in place, ldb =
/// tiles): no faster than OpenBLAS there. Fused per block in the cache they are (`WinogradBlocks`).
public enum TileProduct {
    /// Columns per panel (two 8-wide vectors) and rows per tile: 12 accumulators, plus two B
    /// vectors and a broadcast, are 15 of the 16 AVX2 registers.
    public static let width = 16, tileRows = 6
    /// Rows of the AVX-512 tile, which takes two panels at once (`TileProductAVX512.kernel10x2`;
    /// used from 6 rows on, the last ones padded with zero rows).
    static let wideRows = 10
    /// k per block: a block of a panel (16 KB) stays in L1 while every row tile passes over it
    /// (a tile's sums wait in C between blocks, which changes no bit of the chain).
    static let blockK = 256

    /// The panels `panels` of C [rows, cols] (ldc), on the calling thread. Reading 16 floats of
    /// every panel row must be in bounds (a last partial panel's extra columns are read, never
    /// written); rows of A past `rows` are read as zeros. `finish(columns)` runs once the
    /// columns' every row is final, while they are still in the cache (a fused epilogue).
    public static func run(a: UnsafePointer<Float>, lda: Int, rows: Int, k: Int,
                           b: UnsafePointer<Float>, ldb: Int, panelStride: Int, cols: Int, panels: Range<Int>,
                           alpha: Float, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
                           finish: ((Range<Int>) -> Void)? = nil) {
        if rows == 0 || panels.isEmpty { return }
        var rest = panels
        if AVX512.enabled && rows >= tileRows {
            // pairs of full panels in 10-row tiles, the last rows in a tile padded with zero rows
            // (written to `spare`, copied out after the pair's last block of k); other panels below
            let big = rows / wideRows * wideRows, left = rows - big, tiles = (rows + wideRows - 1) / wideRows, zeros = [Float](repeating: 0, count: 2 * width)
            let padded = UnsafeMutablePointer<Float>.allocate(capacity: left > 0 ? wideRows * k : 0)
            let spare = UnsafeMutablePointer<Float>.allocate(capacity: wideRows * 2 * width)
            defer { padded.deallocate(); spare.deallocate() }
            if left > 0 {
                padded.initialize(repeating: 0, count: wideRows * k)
                for i in 0..<left { (padded + i * k).update(from: a + (big + i) * lda, count: k) }
            }
            var p = panels.lowerBound
            while p + 1 < panels.upperBound && (p + 2) * width <= cols {
                let col0 = p * width, panel = b + p * panelStride
                zeros.withUnsafeBufferPointer { z in
                    let bp = bias.map { $0 + col0 } ?? z.baseAddress!
                    var k0 = 0
                    while k0 < k {
                        let kc = min(blockK, k - k0), (first, last) = (k0 == 0, k0 + kc == k)
                        // the next block of k (or the next pair's first), which the row tiles fetch
                        let ahead = k0 + kc < k ? kc * ldb : (p + 3 < panels.upperBound ? 2 * panelStride - k0 * ldb : 0)
                        // each row tile fetches its share of the next block's k steps
                        let share = { (t: Int) in t * kc / tiles..<(t + 1) * kc / tiles }
                        for t in 0..<big / wideRows {
                            let r0 = t * wideRows
                            TileProductAVX512.kernel10x2(a + r0 * lda + k0, lda: lda, panel: panel + k0 * ldb, panelStride: panelStride,
                                                         ldb: ldb, k: kc, first: first, last: last, alpha: alpha, bias: bp,
                                                         out: c + r0 * ldc + col0, ldc: ldc, ahead: ahead, fetch: share(t))
                        }
                        if left > 0 {
                            TileProductAVX512.kernel10x2(padded + k0, lda: k, panel: panel + k0 * ldb, panelStride: panelStride,
                                                         ldb: ldb, k: kc, first: first, last: last, alpha: alpha, bias: bp,
                                                         out: spare, ldc: 2 * width, ahead: ahead, fetch: share(tiles - 1))
                        }
                        k0 += kc
                    }
                }
                for i in 0..<left { (c + (big + i) * ldc + col0).update(from: spare + i * 2 * width, count: 2 * width) }
                finish?(col0..<col0 + 2 * width)
                p += 2
            }
            rest = p..<panels.upperBound
        }
        tiles(a: a, lda: lda, rows: rows, k: k, b: b, ldb: ldb, panelStride: panelStride, cols: cols, panels: rest,
              alpha: alpha, bias: bias, c: c, ldc: ldc, finish: finish)
    }

    /// `run` in 6-row tiles, one panel at a time.
    static func tiles(a: UnsafePointer<Float>, lda: Int, rows: Int, k: Int,
                      b: UnsafePointer<Float>, ldb: Int, panelStride: Int, cols: Int, panels: Range<Int>,
                      alpha: Float, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
                      finish: ((Range<Int>) -> Void)?) {
        if rows == 0 || panels.isEmpty { return }
        let tiles = (rows + tileRows - 1) / tileRows
        // a partial panel or row tile sums into `spare`
        let zeros = UnsafeMutablePointer<Float>.allocate(capacity: k)
        zeros.initialize(repeating: 0, count: k)
        let spare = UnsafeMutablePointer<Float>.allocate(capacity: tiles * tileRows * width)
        var bv = [Float](repeating: 0, count: width)
        defer { zeros.deallocate(); spare.deallocate() }
        for pi in panels {
            let col0 = pi * width, n = min(width, cols - col0)
            for j in 0..<width { bv[j] = j < n ? bias.map { $0[col0 + j] } ?? 0 : 0 }
            let panel = b + pi * panelStride
            var k0 = 0
            while k0 < k {
                let kc = min(blockK, k - k0)
                for t in 0..<tiles {
                    let r0 = t * tileRows, r = min(tileRows, rows - r0)
                    let direct = r == tileRows && n == width
                    let row = { (i: Int) in i < r ? a + (r0 + i) * lda + k0 : UnsafePointer(zeros) }
                    let out = direct ? c + r0 * ldc + col0 : spare + r0 * width, ldo = direct ? ldc : width
                    if AVX512.enabled {
                        TileProductAVX512.kernel(row(0), row(1), row(2), row(3), row(4), row(5), panel: panel + k0 * ldb, ldb: ldb,
                                                 k: kc, first: k0 == 0, last: k0 + kc == k, alpha: alpha, bias: bv, out: out, ldc: ldo)
                    } else {
                        kernel(row(0), row(1), row(2), row(3), row(4), row(5), panel: panel + k0 * ldb, ldb: ldb, k: kc,
                               first: k0 == 0, last: k0 + kc == k, alpha: alpha, bias: bv, out: out, ldc: ldo)
                    }
                }
                k0 += kc
            }
            for t in 0..<tiles {
                let r0 = t * tileRows, r = min(tileRows, rows - r0)
                if r == tileRows && n == width { continue }
                for i in 0..<r { (c + (r0 + i) * ldc + col0).update(from: spare + (r0 + i) * width, count: n) }
            }
            finish?(col0..<col0 + n)
        }
    }

    /// One 6 x 16 tile over one block of k: out[i, j] (+)= Σ_k rows[i][k] panel[k, j], from zero
    /// on the `first` block and from `out` after it; the `last` stores alpha · sum + bias[j].
    @inline(__always)
    static func kernel(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
                       _ x3: UnsafePointer<Float>, _ x4: UnsafePointer<Float>, _ x5: UnsafePointer<Float>,
                       panel: UnsafePointer<Float>, ldb: Int, k: Int, first: Bool, last: Bool, alpha: Float, bias: [Float],
                       out: UnsafeMutablePointer<Float>, ldc: Int) {
        func load(_ i: Int, _ half: Int) -> SIMD8<Float> {
            first ? SIMD8<Float>() : UnsafeRawPointer(out + i * ldc + 8 * half).loadUnaligned(as: SIMD8<Float>.self)
        }
        var c00 = load(0, 0), c01 = load(0, 1), c10 = load(1, 0), c11 = load(1, 1)
        var c20 = load(2, 0), c21 = load(2, 1), c30 = load(3, 0), c31 = load(3, 1)
        var c40 = load(4, 0), c41 = load(4, 1), c50 = load(5, 0), c51 = load(5, 1)
        var w = UnsafeRawPointer(panel)
        let step = ldb * MemoryLayout<Float>.stride
        for kk in 0..<k {
            let w0 = w.loadUnaligned(as: SIMD8<Float>.self), w1 = w.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            var a = SIMD8<Float>(repeating: x0[kk]); c00 = c00.addingProduct(a, w0); c01 = c01.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x1[kk]); c10 = c10.addingProduct(a, w0); c11 = c11.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x2[kk]); c20 = c20.addingProduct(a, w0); c21 = c21.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x3[kk]); c30 = c30.addingProduct(a, w0); c31 = c31.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x4[kk]); c40 = c40.addingProduct(a, w0); c41 = c41.addingProduct(a, w1)
            a = SIMD8<Float>(repeating: x5[kk]); c50 = c50.addingProduct(a, w0); c51 = c51.addingProduct(a, w1)
            w += step
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
