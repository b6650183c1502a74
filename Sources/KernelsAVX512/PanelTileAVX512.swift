/// `PanelTile.block` for CPUs with AVX-512, on the terms of `TileProductAVX512`: a row's 24
/// columns are one 16-wide and one 8-wide vector (8 fused multiply-adds per k instead of 12),
/// each lane the same chain as the AVX2 tile's.
public enum PanelTileAVX512 {
    public static func block(_ a: UnsafePointer<Float>, lda: Int, panel: UnsafePointer<Float>, k: Int, scale: Float, add: Bool,
                             out: UnsafeMutablePointer<Float>, ldc: Int) {
        var c00 = SIMD16<Float>(), c10 = SIMD16<Float>(), c20 = SIMD16<Float>(), c30 = SIMD16<Float>()
        var c01 = SIMD8<Float>(), c11 = SIMD8<Float>(), c21 = SIMD8<Float>(), c31 = SIMD8<Float>()
        let (a0, a1, a2, a3) = (a, a + lda, a + 2 * lda, a + 3 * lda)
        var p = UnsafeRawPointer(panel)
        for kk in 0..<k {
            let w0 = p.loadUnaligned(as: SIMD16<Float>.self), w1 = p.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self)
            c00 = c00.addingProduct(SIMD16(repeating: a0[kk]), w0); c01 = c01.addingProduct(SIMD8(repeating: a0[kk]), w1)
            c10 = c10.addingProduct(SIMD16(repeating: a1[kk]), w0); c11 = c11.addingProduct(SIMD8(repeating: a1[kk]), w1)
            c20 = c20.addingProduct(SIMD16(repeating: a2[kk]), w0); c21 = c21.addingProduct(SIMD8(repeating: a2[kk]), w1)
            c30 = c30.addingProduct(SIMD16(repeating: a3[kk]), w0); c31 = c31.addingProduct(SIMD8(repeating: a3[kk]), w1)
            p += 24 * MemoryLayout<Float>.stride
        }
        func store(_ x0: SIMD16<Float>, _ x1: SIMD8<Float>, _ i: Int) {
            let o = UnsafeMutableRawPointer(out + i * ldc)
            let old0 = add ? o.loadUnaligned(as: SIMD16<Float>.self) : SIMD16<Float>()
            let old1 = add ? o.loadUnaligned(fromByteOffset: 64, as: SIMD8<Float>.self) : SIMD8<Float>()
            o.storeBytes(of: old0 + x0 * scale, as: SIMD16<Float>.self)
            o.storeBytes(of: old1 + x1 * scale, toByteOffset: 64, as: SIMD8<Float>.self)
        }
        store(c00, c01, 0); store(c10, c11, 1); store(c20, c21, 2); store(c30, c31, 3)
    }
}
