/// `TileProduct.kernel` for CPUs with AVX-512: this module alone is compiled for
/// skylake-avx512 (Package.swift), and `TileProduct` calls it only where the CPU has that
/// target's AVX-512 sets (`AVX512.enabled`). A row's 16 columns are one vector, so each k costs
/// 6 fused multiply-adds instead of 12. Every lane is the same chain of fused multiply-adds as
/// the AVX2 tile's and is scaled and biased the same way, so the two give the same bytes.
public enum TileProductAVX512 {
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
}
