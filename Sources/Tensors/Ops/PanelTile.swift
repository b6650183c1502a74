import KernelsAVX512

/// Products whose B comes in panels of 48 columns, [k][48] contiguous, written just before into
/// the cache (`WinogradBlocks`' block of 48 tiles, `PolyphaseUpsample`'s 48 positions). Each
/// output is the sum, in order, of its scaled blocks of 64 k, each one chain of fused
/// multiply-adds from zero, so it depends on nothing else in the call, and the two register
/// tiles give the same bytes: AVX2 runs 4 x 24 tiles (12 accumulators, three B vectors and a
/// broadcast fill its 16 registers) over each half of the panel; AVX-512 runs 8 x 48 tiles
/// (`PanelTileAVX512`, 24 of its 32 registers accumulate), and the AVX2 tile for 4 rows left over.
enum PanelTile {
    /// Rows per AVX2 tile (a product's rows are a multiple of it), columns per panel and per AVX2 tile.
    static let rows = 4, width = 48, half = 24
    /// k per partial sum: one chain over 512 channels doubled Winograd's float32 error at 512
    /// channels against direct convolution (`cfclip-bench winograd-error`: 2.0x, 1.5x before
    /// this split, as OpenBLAS sums in blocks of k too).
    static let blockK = 64

    /// How a product's a is laid out: `rows` [count, k] with leading dimension lda; `tiles`
    /// [count / 8][k][8], each 8 rows interleaved (`tiled`), so a tile's block of k is one run
    /// of memory and a whole product reads a as one stream (`Winograd`'s U at 128-512 channels
    /// comes from L3, where the eight short row pieces per block of k ran 8-10% slower).
    enum Layout: Equatable {
        case rows(lda: Int)
        case tiles

        /// (the first element of rows i ..< i + 4 or 8, the stride between its rows, between its k).
        @inline(__always)
        func tile(_ a: UnsafePointer<Float>, row i: Int, k: Int) -> (UnsafePointer<Float>, Int, Int) {
            switch self {
            case .rows(let lda): return (a + i * lda, lda, 1)
            case .tiles: return (a + (i & ~7) * k + (i & 7), 1, 8)
            }
        }
    }

    /// a [count, k] (row-major) in the `tiles` layout; count a multiple of 8.
    static func tiled(_ a: UnsafePointer<Float>, count: Int, k: Int, into t: UnsafeMutablePointer<Float>) {
        precondition(count % 8 == 0, "PanelTile.tiled: \(count) rows are not a multiple of 8")
        for i in stride(from: 0, to: count, by: 8) {
            let dst = t + i * k
            for r in 0..<8 { let src = a + (i + r) * k; for kk in 0..<k { dst[kk * 8 + r] = src[kk] } }
        }
    }

    /// The inverse of `tiled`.
    static func untiled(_ t: UnsafePointer<Float>, count: Int, k: Int, into a: UnsafeMutablePointer<Float>) {
        precondition(count % 8 == 0, "PanelTile.untiled: \(count) rows are not a multiple of 8")
        for i in stride(from: 0, to: count, by: 8) {
            let src = t + i * k
            for r in 0..<8 { let dst = a + (i + r) * k; for kk in 0..<k { dst[kk] = src[kk * 8 + r] } }
        }
    }

    /// out[i, 0..<48] = scale · Σ_k a[i, k] panel[k, 0..<48] for `count` rows of a (a multiple
    /// of 4; of 8 for `.tiles`). `columns` < 48 (a last block's partly filled panel) lets the tiles compute fewer
    /// columns (AVX2: 8, 16, 24, 32 or 40; AVX-512: 16 or 32 in 8-row tiles), the same sums lane
    /// for lane; what lies in out past `columns` is undefined (the caller's panel holds zeros there).
    static func product(_ a: UnsafePointer<Float>, lda: Int, count: Int, panel: UnsafePointer<Float>, k: Int, scale: Float,
                        out: UnsafeMutablePointer<Float>, ldc: Int, columns: Int = width) {
        product(a, layout: .rows(lda: lda), count: count, panel: panel, k: k, scale: scale, out: out, ldc: ldc, columns: columns)
    }

    static func product(_ a: UnsafePointer<Float>, layout: Layout, count: Int, panel: UnsafePointer<Float>, k: Int, scale: Float,
                        out: UnsafeMutablePointer<Float>, ldc: Int, columns: Int = width) {
        precondition(count % rows == 0, "PanelTile: \(count) rows are not a multiple of \(rows)")
        precondition(layout != .tiles || count % 8 == 0, "PanelTile: \(count) tiled rows are not a multiple of 8")
        if AVX512.enabled {
            var i = 0
            while i < count {
                let eight = count - i >= 8, (ai, rs, ks) = layout.tile(a, row: i, k: k), oi = out + i * ldc
                var k0 = 0
                repeat {
                    let kc = min(blockK, k - k0), ak = ai + k0 * ks
                    if eight && columns <= 32 {
                        PanelTileAVX512.block8Narrow(ak, rowStride: rs, kStride: ks, panel: panel + k0 * width, ldb: width, k: kc,
                                                     scale: scale, add: k0 > 0, out: oi, ldc: ldc, two: columns > 16)
                    } else if eight {
                        PanelTileAVX512.block8(ak, rowStride: rs, kStride: ks, panel: panel + k0 * width, ldb: width, k: kc,
                                               scale: scale, add: k0 > 0, out: oi, ldc: ldc)
                    } else {
                        // four rows left (rows not a multiple of 8): the AVX2 tile on each half, the same chains
                        for h in 0..<2 {
                            block(ak, rowStride: rs, kStride: ks, panel: panel + k0 * width + h * half, k: kc, scale: scale,
                                  add: k0 > 0, out: oi + h * half, ldc: ldc)
                        }
                    }
                    k0 += kc
                } while k0 < k
                i += eight ? 8 : 4
            }
            return
        }
        for h in 0..<2 where columns > h * half {
            let used = min(half, columns - h * half)
            for i in stride(from: 0, to: count, by: rows) {
                let (ai, rs, ks) = layout.tile(a, row: i, k: k), oi = out + i * ldc + h * half
                var k0 = 0
                repeat {
                    let kc = min(blockK, k - k0), (ak, pk) = (ai + k0 * ks, panel + k0 * width + h * half)
                    if used > 16 {
                        block(ak, rowStride: rs, kStride: ks, panel: pk, k: kc, scale: scale, add: k0 > 0, out: oi, ldc: ldc)
                    } else {
                        narrow(ak, rowStride: rs, kStride: ks, panel: pk, k: kc, scale: scale, add: k0 > 0, out: oi, ldc: ldc,
                               two: used > 8)
                    }
                    k0 += kc
                } while k0 < k
            }
        }
    }

    /// `block` on the first 8 (or 16 when `two`) columns of the panel.
    @inline(__always)
    static func narrow(_ a: UnsafePointer<Float>, rowStride rs: Int, kStride ks: Int, panel: UnsafePointer<Float>, k: Int, scale: Float,
                       add: Bool, out: UnsafeMutablePointer<Float>, ldc: Int, two: Bool) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        let (a0, a1, a2, a3) = (a, a + rs, a + 2 * rs, a + 3 * rs)
        var p = UnsafeRawPointer(panel)
        if two {
            for kk in 0..<k {
                let e = kk &* ks
                let w0 = p.loadUnaligned(as: SIMD8<Float>.self), w1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
                var s = SIMD8<Float>(repeating: a0[e]); c00 = c00.addingProduct(s, w0); c01 = c01.addingProduct(s, w1)
                s = SIMD8<Float>(repeating: a1[e]); c10 = c10.addingProduct(s, w0); c11 = c11.addingProduct(s, w1)
                s = SIMD8<Float>(repeating: a2[e]); c20 = c20.addingProduct(s, w0); c21 = c21.addingProduct(s, w1)
                s = SIMD8<Float>(repeating: a3[e]); c30 = c30.addingProduct(s, w0); c31 = c31.addingProduct(s, w1)
                p += width * MemoryLayout<Float>.stride
            }
        } else {
            for kk in 0..<k {
                let e = kk &* ks
                let w0 = p.loadUnaligned(as: SIMD8<Float>.self)
                c00 = c00.addingProduct(SIMD8(repeating: a0[e]), w0); c10 = c10.addingProduct(SIMD8(repeating: a1[e]), w0)
                c20 = c20.addingProduct(SIMD8(repeating: a2[e]), w0); c30 = c30.addingProduct(SIMD8(repeating: a3[e]), w0)
                p += width * MemoryLayout<Float>.stride
            }
        }
        func store(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ i: Int) {
            let o = UnsafeMutableRawPointer(out + i * ldc)
            func old(_ at: Int) -> SIMD8<Float> { add ? o.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self) : SIMD8<Float>() }
            o.storeBytes(of: old(0) + x0 * scale, as: SIMD8<Float>.self)
            if two { o.storeBytes(of: old(32) + x1 * scale, toByteOffset: 32, as: SIMD8<Float>.self) }
        }
        store(c00, c01, 0); store(c10, c11, 1); store(c20, c21, 2); store(c30, c31, 3)
    }

    /// One block of k: out = scale · sum, or out += scale · sum when `add`; a[r, k] at a + r · rowStride + k · kStride.
    @inline(__always)
    static func block(_ a: UnsafePointer<Float>, rowStride rs: Int, kStride ks: Int, panel: UnsafePointer<Float>, k: Int, scale: Float,
                      add: Bool, out: UnsafeMutablePointer<Float>, ldc: Int) {
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>(), c02 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>(), c12 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>(), c22 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>(), c32 = SIMD8<Float>()
        let (a0, a1, a2, a3) = (a, a + rs, a + 2 * rs, a + 3 * rs)
        var p = UnsafeRawPointer(panel)
        for kk in 0..<k {
            let e = kk &* ks
            let w0 = p.loadUnaligned(as: SIMD8<Float>.self), w1 = p.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            let w2 = p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
            var s = SIMD8<Float>(repeating: a0[e]); c00 = c00.addingProduct(s, w0); c01 = c01.addingProduct(s, w1); c02 = c02.addingProduct(s, w2)
            s = SIMD8<Float>(repeating: a1[e]); c10 = c10.addingProduct(s, w0); c11 = c11.addingProduct(s, w1); c12 = c12.addingProduct(s, w2)
            s = SIMD8<Float>(repeating: a2[e]); c20 = c20.addingProduct(s, w0); c21 = c21.addingProduct(s, w1); c22 = c22.addingProduct(s, w2)
            s = SIMD8<Float>(repeating: a3[e]); c30 = c30.addingProduct(s, w0); c31 = c31.addingProduct(s, w1); c32 = c32.addingProduct(s, w2)
            p += width * MemoryLayout<Float>.stride
        }
        func store(_ x0: SIMD8<Float>, _ x1: SIMD8<Float>, _ x2: SIMD8<Float>, _ i: Int) {
            let o = UnsafeMutableRawPointer(out + i * ldc)
            func old(_ at: Int) -> SIMD8<Float> { add ? o.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self) : SIMD8<Float>() }
            o.storeBytes(of: old(0) + x0 * scale, as: SIMD8<Float>.self)
            o.storeBytes(of: old(32) + x1 * scale, toByteOffset: 32, as: SIMD8<Float>.self)
            o.storeBytes(of: old(64) + x2 * scale, toByteOffset: 64, as: SIMD8<Float>.self)
        }
        store(c00, c01, c02, 0); store(c10, c11, c12, 1); store(c20, c21, c22, 2); store(c30, c31, c32, 3)
    }
}
