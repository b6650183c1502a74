/// Vectorised elementwise maths for hot loops (libm's scalar expf costs ~5 ns a call).
public enum VectorMath {
    /// exp(x) on 8 lanes: Cephes' expf (range reduction by ln 2 in two parts, degree-5
    /// polynomial), within 2 ulp of expf over the float range; large |x| saturates like expf.
    /// Inlined, and clamped by lane selects: as a call, with the generic `pointwiseMin`/`Max`
    /// as calls inside it, it cost about twice its arithmetic (the same values either way).
    @inlinable @inline(__always)
    public static func exp(_ x0: SIMD8<Float>) -> SIMD8<Float> {
        let (hi, lo) = (SIMD8<Float>(repeating: 88.3), SIMD8<Float>(repeating: -87.3))
        let x = x0.replacing(with: hi, where: x0 .> hi).replacing(with: lo, where: x0 .< lo)
        // round(x / ln 2) with the 1.5 * 2^23 trick: the sum's low mantissa bits hold the integer
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let t = x * 1.44269504088896341 + magic
        let n = t - magic
        var r = x - n * 0.693359375
        r = r + n * 2.12194440e-4
        let z = r * r
        var y = SIMD8<Float>(repeating: 1.9875691500e-4)
        y = y * r + 1.3981999507e-3
        y = y * r + 8.3334519073e-3
        y = y * r + 4.1665795894e-2
        y = y * r + 1.6666665459e-1
        y = y * r + 5.0000001201e-1
        y = y * z + r + 1
        let k = unsafeBitCast(t, to: SIMD8<UInt32>.self) &- 0x4B40_0000   // n as an integer
        let scale = unsafeBitCast((k &+ 127) &<< 23, to: SIMD8<Float>.self)   // 2^n
        return y * scale
    }

    /// x * sigmoid(a * x) in place over a buffer (QuickGELU with a = 1.702, SiLU with a = 1).
    @inlinable
    public static func xSigmoid(_ p: UnsafeMutablePointer<Float>, count: Int, a: Float) {
        typealias V = SIMD8<Float>
        var i = 0
        // four vectors a step: their exp chains and divisions overlap (one at a time, each
        // vector waited on its own chain); every lane is the same sum as below
        while i + 32 <= count {
            let r = UnsafeRawPointer(p + i), w = UnsafeMutableRawPointer(p + i)
            let v0 = r.loadUnaligned(as: V.self), v1 = r.loadUnaligned(fromByteOffset: 32, as: V.self)
            let v2 = r.loadUnaligned(fromByteOffset: 64, as: V.self), v3 = r.loadUnaligned(fromByteOffset: 96, as: V.self)
            let e0 = exp(-a * v0), e1 = exp(-a * v1), e2 = exp(-a * v2), e3 = exp(-a * v3)
            w.storeBytes(of: v0 / (1 + e0), as: V.self); w.storeBytes(of: v1 / (1 + e1), toByteOffset: 32, as: V.self)
            w.storeBytes(of: v2 / (1 + e2), toByteOffset: 64, as: V.self); w.storeBytes(of: v3 / (1 + e3), toByteOffset: 96, as: V.self)
            i += 32
        }
        while i + 8 <= count {
            let v = UnsafeRawPointer(p + i).loadUnaligned(as: SIMD8<Float>.self)
            let s = v / (1 + exp(-a * v))
            UnsafeMutableRawPointer(p + i).storeBytes(of: s, as: SIMD8<Float>.self)
            i += 8
        }
        if i < count {
            var tail = SIMD8<Float>(repeating: 0)
            for j in 0..<(count - i) { tail[j] = p[i + j] }
            let s = tail / (1 + exp(-a * tail))
            for j in 0..<(count - i) { p[i + j] = s[j] }
        }
    }
}
