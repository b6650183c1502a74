/// `PanelTile`'s block for CPUs with AVX-512, on the terms of `TileProductAVX512`: eight rows of
/// a 48-column panel, each row three 16-wide vectors, so 24 accumulators, three panel vectors and
/// a broadcast use 28 of the 32 registers and every fused multiply-add is a full one (the 4 x 24
/// tile of 16 + 8 lanes left a quarter of each 8-wide one's width idle and had only 8 chains to
/// hide the latency). Each lane is the same chain as the AVX2 tile's, scaled and added the same way.
public enum PanelTileAVX512 {
    /// out[i, 0..<48] = scale · Σ_k a[i, k] panel[k, 0..<48] for i < 8 (`add`: out += ...), a[i, k]
    /// at a + i · rowStride + k · kStride (rows of a matrix, or `PanelTile`'s 8-row tiles).
    public static func block8(_ a: UnsafePointer<Float>, rowStride rs: Int, kStride ks: Int, panel: UnsafePointer<Float>, ldb: Int,
                              k: Int, scale: Float, add: Bool, out: UnsafeMutablePointer<Float>, ldc: Int) {
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c02 = SIMD16<Float>()
        var c10 = SIMD16<Float>(), c11 = SIMD16<Float>(), c12 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c22 = SIMD16<Float>()
        var c30 = SIMD16<Float>(), c31 = SIMD16<Float>(), c32 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c42 = SIMD16<Float>()
        var c50 = SIMD16<Float>(), c51 = SIMD16<Float>(), c52 = SIMD16<Float>()
        var c60 = SIMD16<Float>(), c61 = SIMD16<Float>(), c62 = SIMD16<Float>()
        var c70 = SIMD16<Float>(), c71 = SIMD16<Float>(), c72 = SIMD16<Float>()
        let (a0, a1, a2, a3) = (a, a + rs, a + 2 * rs, a + 3 * rs)
        let (a4, a5, a6, a7) = (a + 4 * rs, a + 5 * rs, a + 6 * rs, a + 7 * rs)
        var p = UnsafeRawPointer(panel)
        let step = ldb * MemoryLayout<Float>.stride
        for kk in 0..<k {
            let e = kk &* ks
            let w0 = p.loadUnaligned(as: SIMD16<Float>.self), w1 = p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
            let w2 = p.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self)
            var s = SIMD16<Float>(repeating: a0[e]); c00 = c00.addingProduct(s, w0); c01 = c01.addingProduct(s, w1); c02 = c02.addingProduct(s, w2)
            s = SIMD16<Float>(repeating: a1[e]); c10 = c10.addingProduct(s, w0); c11 = c11.addingProduct(s, w1); c12 = c12.addingProduct(s, w2)
            s = SIMD16<Float>(repeating: a2[e]); c20 = c20.addingProduct(s, w0); c21 = c21.addingProduct(s, w1); c22 = c22.addingProduct(s, w2)
            s = SIMD16<Float>(repeating: a3[e]); c30 = c30.addingProduct(s, w0); c31 = c31.addingProduct(s, w1); c32 = c32.addingProduct(s, w2)
            s = SIMD16<Float>(repeating: a4[e]); c40 = c40.addingProduct(s, w0); c41 = c41.addingProduct(s, w1); c42 = c42.addingProduct(s, w2)
            s = SIMD16<Float>(repeating: a5[e]); c50 = c50.addingProduct(s, w0); c51 = c51.addingProduct(s, w1); c52 = c52.addingProduct(s, w2)
            s = SIMD16<Float>(repeating: a6[e]); c60 = c60.addingProduct(s, w0); c61 = c61.addingProduct(s, w1); c62 = c62.addingProduct(s, w2)
            s = SIMD16<Float>(repeating: a7[e]); c70 = c70.addingProduct(s, w0); c71 = c71.addingProduct(s, w1); c72 = c72.addingProduct(s, w2)
            p += step
        }
        store(c00, c01, c02, row: 0, scale: scale, add: add, out: out, ldc: ldc)
        store(c10, c11, c12, row: 1, scale: scale, add: add, out: out, ldc: ldc)
        store(c20, c21, c22, row: 2, scale: scale, add: add, out: out, ldc: ldc)
        store(c30, c31, c32, row: 3, scale: scale, add: add, out: out, ldc: ldc)
        store(c40, c41, c42, row: 4, scale: scale, add: add, out: out, ldc: ldc)
        store(c50, c51, c52, row: 5, scale: scale, add: add, out: out, ldc: ldc)
        store(c60, c61, c62, row: 6, scale: scale, add: add, out: out, ldc: ldc)
        store(c70, c71, c72, row: 7, scale: scale, add: add, out: out, ldc: ldc)
    }

    /// `block8` on the first 16 (`two`: 32) columns of the panel: a last block's partly filled
    /// panel, the same sums lane for lane.
    public static func block8Narrow(_ a: UnsafePointer<Float>, rowStride rs: Int, kStride ks: Int, panel: UnsafePointer<Float>, ldb: Int,
                                    k: Int, scale: Float, add: Bool, out: UnsafeMutablePointer<Float>, ldc: Int, two: Bool) {
        var c00 = SIMD16<Float>(), c01 = SIMD16<Float>(), c10 = SIMD16<Float>(), c11 = SIMD16<Float>()
        var c20 = SIMD16<Float>(), c21 = SIMD16<Float>(), c30 = SIMD16<Float>(), c31 = SIMD16<Float>()
        var c40 = SIMD16<Float>(), c41 = SIMD16<Float>(), c50 = SIMD16<Float>(), c51 = SIMD16<Float>()
        var c60 = SIMD16<Float>(), c61 = SIMD16<Float>(), c70 = SIMD16<Float>(), c71 = SIMD16<Float>()
        let (a0, a1, a2, a3) = (a, a + rs, a + 2 * rs, a + 3 * rs)
        let (a4, a5, a6, a7) = (a + 4 * rs, a + 5 * rs, a + 6 * rs, a + 7 * rs)
        var p = UnsafeRawPointer(panel)
        let step = ldb * MemoryLayout<Float>.stride
        if two {
            for kk in 0..<k {
                let e = kk &* ks
                let w0 = p.loadUnaligned(as: SIMD16<Float>.self), w1 = p.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self)
                var s = SIMD16<Float>(repeating: a0[e]); c00 = c00.addingProduct(s, w0); c01 = c01.addingProduct(s, w1)
                s = SIMD16<Float>(repeating: a1[e]); c10 = c10.addingProduct(s, w0); c11 = c11.addingProduct(s, w1)
                s = SIMD16<Float>(repeating: a2[e]); c20 = c20.addingProduct(s, w0); c21 = c21.addingProduct(s, w1)
                s = SIMD16<Float>(repeating: a3[e]); c30 = c30.addingProduct(s, w0); c31 = c31.addingProduct(s, w1)
                s = SIMD16<Float>(repeating: a4[e]); c40 = c40.addingProduct(s, w0); c41 = c41.addingProduct(s, w1)
                s = SIMD16<Float>(repeating: a5[e]); c50 = c50.addingProduct(s, w0); c51 = c51.addingProduct(s, w1)
                s = SIMD16<Float>(repeating: a6[e]); c60 = c60.addingProduct(s, w0); c61 = c61.addingProduct(s, w1)
                s = SIMD16<Float>(repeating: a7[e]); c70 = c70.addingProduct(s, w0); c71 = c71.addingProduct(s, w1)
                p += step
            }
        } else {
            for kk in 0..<k {
                let e = kk &* ks
                let w0 = p.loadUnaligned(as: SIMD16<Float>.self)
                c00 = c00.addingProduct(SIMD16(repeating: a0[e]), w0); c10 = c10.addingProduct(SIMD16(repeating: a1[e]), w0)
                c20 = c20.addingProduct(SIMD16(repeating: a2[e]), w0); c30 = c30.addingProduct(SIMD16(repeating: a3[e]), w0)
                c40 = c40.addingProduct(SIMD16(repeating: a4[e]), w0); c50 = c50.addingProduct(SIMD16(repeating: a5[e]), w0)
                c60 = c60.addingProduct(SIMD16(repeating: a6[e]), w0); c70 = c70.addingProduct(SIMD16(repeating: a7[e]), w0)
                p += step
            }
        }
        func store(_ x0: SIMD16<Float>, _ x1: SIMD16<Float>, _ row: Int) {
            let o = UnsafeMutableRawPointer(out + row * ldc)
            func old(_ at: Int) -> SIMD16<Float> { add ? o.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) : SIMD16<Float>() }
            o.storeBytes(of: old(0) + x0 * scale, as: SIMD16<Float>.self)
            if two { o.storeBytes(of: old(64) + x1 * scale, toByteOffset: 64, as: SIMD16<Float>.self) }
        }
        store(c00, c01, 0); store(c10, c11, 1); store(c20, c21, 2); store(c30, c31, 3)
        store(c40, c41, 4); store(c50, c51, 5); store(c60, c61, 6); store(c70, c71, 7)
    }

    /// out[row, 0..<48] = (add ? out : 0) + x · scale, as the AVX2 tile stores.
    @inline(__always)
    static func store(_ x0: SIMD16<Float>, _ x1: SIMD16<Float>, _ x2: SIMD16<Float>, row: Int, scale: Float, add: Bool,
                      out: UnsafeMutablePointer<Float>, ldc: Int) {
        let o = UnsafeMutableRawPointer(out + row * ldc)
        func old(_ at: Int) -> SIMD16<Float> { add ? o.loadUnaligned(fromByteOffset: at, as: SIMD16<Float>.self) : SIMD16<Float>() }
        o.storeBytes(of: old(0) + x0 * scale, as: SIMD16<Float>.self)
        o.storeBytes(of: old(64) + x1 * scale, toByteOffset: 64, as: SIMD16<Float>.self)
        o.storeBytes(of: old(128) + x2 * scale, toByteOffset: 128, as: SIMD16<Float>.self)
    }
}
