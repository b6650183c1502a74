import CSupport

/// `TileProduct`'s tiles for CPUs with AVX-512: this module alone is compiled for skylake-avx512
/// (Package.swift), and `TileProduct` calls it only where the CPU has that target's AVX-512 sets
/// (`AVX512.enabled`). A row's 16 columns of a panel are one vector. Every lane is the same chain
/// of fused multiply-adds as the AVX2 tile's and is scaled and biased the same way, so the
/// builds give the same bytes.
public enum TileProductAVX512 {
    /// 6 rows x one panel: the tile for a product's last rows and odd panels.
    public static func kernel(_ x0: UnsafePointer<Float>, _ x1: UnsafePointer<Float>, _ x2: UnsafePointer<Float>,
                              _ x3: UnsafePointer<Float>, _ x4: UnsafePointer<Float>, _ x5: UnsafePointer<Float>,
                              panel: UnsafePointer<Float>, ldb: Int, k: Int, first: Bool, last: Bool, alpha: Float,
                              bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, ldc: Int) {
        func load(_ i: Int) -> SIMD16<Float> {
            first ? SIMD16<Float>() : UnsafeRawPointer(out + i * ldc).loadUnaligned(as: SIMD16<Float>.self)
        }
        var c0 = load(0), c1 = load(1), c2 = load(2), c3 = load(3), c4 = load(4), c5 = load(5)
        var w = UnsafeRawPointer(panel)
        let step = ldb * MemoryLayout<Float>.stride
        for kk in 0..<k {
            let v = w.loadUnaligned(as: SIMD16<Float>.self)
            c0 = c0.addingProduct(SIMD16(repeating: x0[kk]), v); c1 = c1.addingProduct(SIMD16(repeating: x1[kk]), v)
            c2 = c2.addingProduct(SIMD16(repeating: x2[kk]), v); c3 = c3.addingProduct(SIMD16(repeating: x3[kk]), v)
            c4 = c4.addingProduct(SIMD16(repeating: x4[kk]), v); c5 = c5.addingProduct(SIMD16(repeating: x5[kk]), v)
            w += step
        }
        let b = UnsafeRawPointer(bias).loadUnaligned(as: SIMD16<Float>.self)
        func store(_ x: SIMD16<Float>, _ i: Int) {
            UnsafeMutableRawPointer(out + i * ldc).storeBytes(of: last ? x * alpha + b : x, as: SIMD16<Float>.self)
        }
        store(c0, 0); store(c1, 1); store(c2, 2); store(c3, 3); store(c4, 4); store(c5, 5)
    }

    /// 10 rows x two panels (`panel`, `panel + panelStride`; out columns 0..<16 and 16..<32):
    /// 20 accumulators, so the fused multiply-adds' latency is hidden (the 6-row tile's 6 chains
    /// kept the two FMA units three quarters busy), and CLIP's 50 tokens a sample are five whole
    /// tiles. Rows are `a + i * lda`. `ahead` > 0: the tile also fetches the panels' lines
    /// `ahead` floats on from the k steps in `fetch` (the next block of k, which the first row
    /// tile otherwise waited for: at batch 1 the weights stream from memory once per sample).
    public static func kernel10x2(_ a: UnsafePointer<Float>, lda: Int, panel: UnsafePointer<Float>, panelStride: Int, ldb: Int,
                                  k: Int, first: Bool, last: Bool, alpha: Float, bias: UnsafePointer<Float>,
                                  out: UnsafeMutablePointer<Float>, ldc: Int, ahead: Int, fetch: Range<Int>) {
        func load(_ i: Int, _ j: Int) -> SIMD16<Float> {
            first ? SIMD16<Float>() : UnsafeRawPointer(out + i * ldc + 16 * j).loadUnaligned(as: SIMD16<Float>.self)
        }
        var c00 = load(0, 0), c01 = load(0, 1), c10 = load(1, 0), c11 = load(1, 1), c20 = load(2, 0), c21 = load(2, 1)
        var c30 = load(3, 0), c31 = load(3, 1), c40 = load(4, 0), c41 = load(4, 1), c50 = load(5, 0), c51 = load(5, 1)
        var c60 = load(6, 0), c61 = load(6, 1), c70 = load(7, 0), c71 = load(7, 1), c80 = load(8, 0), c81 = load(8, 1)
        var c90 = load(9, 0), c91 = load(9, 1)
        let (x0, x1, x2, x3, x4) = (a, a + lda, a + 2 * lda, a + 3 * lda, a + 4 * lda)
        let (x5, x6, x7, x8, x9) = (a + 5 * lda, a + 6 * lda, a + 7 * lda, a + 8 * lda, a + 9 * lda)
        var w = UnsafeRawPointer(panel)
        let step = ldb * MemoryLayout<Float>.stride, second = panelStride * MemoryLayout<Float>.stride
        let distance = ahead * MemoryLayout<Float>.stride
        @inline(__always) func advance(_ kk: Int) {
            let v0 = w.loadUnaligned(as: SIMD16<Float>.self), v1 = w.loadUnaligned(fromByteOffset: second, as: SIMD16<Float>.self)
            var s = SIMD16<Float>(repeating: x0[kk]); c00 = c00.addingProduct(s, v0); c01 = c01.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x1[kk]); c10 = c10.addingProduct(s, v0); c11 = c11.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x2[kk]); c20 = c20.addingProduct(s, v0); c21 = c21.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x3[kk]); c30 = c30.addingProduct(s, v0); c31 = c31.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x4[kk]); c40 = c40.addingProduct(s, v0); c41 = c41.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x5[kk]); c50 = c50.addingProduct(s, v0); c51 = c51.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x6[kk]); c60 = c60.addingProduct(s, v0); c61 = c61.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x7[kk]); c70 = c70.addingProduct(s, v0); c71 = c71.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x8[kk]); c80 = c80.addingProduct(s, v0); c81 = c81.addingProduct(s, v1)
            s = SIMD16<Float>(repeating: x9[kk]); c90 = c90.addingProduct(s, v0); c91 = c91.addingProduct(s, v1)
            w += step
        }
        // the lines of the k steps in `fetch` (the next block's, `ahead` floats on), one pair at a
        // time spread evenly over this tile's k steps: fetched back to back, memory reads filled
        // the core's outstanding-miss slots and stalled its own loads (on a Zen 4, 50-row
        // products with their weights from memory ran 11% faster spread)
        let f0 = ahead > 0 ? min(max(fetch.lowerBound, 0), k) : k, f1 = max(f0, min(fetch.upperBound, k))
        let lines = f1 - f0, spacing = lines > 0 ? max(1, k / lines) : k
        let origin = UnsafeRawPointer(panel) + distance
        var kk = 0, line = f0
        while kk < k {
            if line < f1 {
                let at = origin + line * step
                cfclip_prefetch(at); cfclip_prefetch(at + second)
                line += 1
            }
            let end = min(k, kk + spacing)
            while kk < end { advance(kk); kk += 1 }
        }
        let b0 = UnsafeRawPointer(bias).loadUnaligned(as: SIMD16<Float>.self)
        let b1 = UnsafeRawPointer(bias).loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
        func store(_ lo: SIMD16<Float>, _ hi: SIMD16<Float>, _ i: Int) {
            let o = UnsafeMutableRawPointer(out + i * ldc)
            o.storeBytes(of: last ? lo * alpha + b0 : lo, as: SIMD16<Float>.self)
            o.storeBytes(of: last ? hi * alpha + b1 : hi, toByteOffset: 64, as: SIMD16<Float>.self)
        }
        store(c00, c01, 0); store(c10, c11, 1); store(c20, c21, 2); store(c30, c31, 3); store(c40, c41, 4)
        store(c50, c51, 5); store(c60, c61, 6); store(c70, c71, 7); store(c80, c81, 8); store(c90, c91, 9)
    }
}
