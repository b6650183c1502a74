/// A ToRGB layer's 1x1 product, rgb[c, p] = alpha · Σ_i w[c, i] x[i, p] over 3 outputs, by its
/// own loops: read once, where an sgemm packed the whole [k, P] input first (at 1024² it read
/// 128 MB twice), and a convolution can add each output channel's rows as it writes them
/// (`WinogradBlocks`' RGB epilogue), without writing them at all.
///
/// Each output is one chain of fused multiply-adds over i in order from zero, times alpha: the
/// order of the sgemm it replaced (OpenBLAS 0.3.21's SkylakeX kernels on whole 16-pixel
/// panels, up to k = 256), so the images keep their bytes, and now on any CPU. Wider layers
/// (k = 512: 64² and smaller, where OpenBLAS splits k) keep the sgemm.
public struct RGBProduct: @unchecked Sendable {
    /// This sample's modulated weight [3, k].
    let weight: UnsafePointer<Float>
    public let k: Int
    let alpha: Float
    /// The bias [3] and the upsampled skip image [3, P] of this sample, added after the product
    /// as ToRGB adds them: (product + bias) + skip.
    let bias: UnsafePointer<Float>
    let skip: UnsafePointer<Float>?
    /// The output image [3, P] of this sample.
    let out: UnsafeMutablePointer<Float>
    let pixels: Int

    public init(weight: UnsafePointer<Float>, k: Int, alpha: Float, bias: UnsafePointer<Float>, skip: UnsafePointer<Float>?,
                out: UnsafeMutablePointer<Float>, pixels: Int) {
        self.weight = weight; self.k = k; self.alpha = alpha; self.bias = bias; self.skip = skip; self.out = out
        self.pixels = pixels
    }

    /// Shapes whose sgemm summed in this order: k up to 256, whole 16-pixel panels, and large
    /// enough that `BLAS.sgemm` split them into pieces above OpenBLAS's small-matrix kernels
    /// (which sum differently): the generator's ToRGBs from 128² up.
    public static func applies(k: Int, pixels: Int) -> Bool { k <= 256 && pixels % 16 == 0 && 3 * k * pixels >= 1 << 23 }

    /// Accumulator rows: one per output.
    public static let accumulators = 3

    /// acc[c][0 ..< count] += w[c, i] · x[0 ..< count] (fused), x = input channel i's pixels.
    @inline(__always)
    func add(_ x: UnsafePointer<Float>, channel i: Int, count: Int, acc: UnsafeMutablePointer<Float>, stride: Int) {
        let (w0, w1, w2) = (weight[i], weight[k + i], weight[2 * k + i])
        let (a0, a1, a2) = (acc, acc + stride, acc + 2 * stride)
        let (v0, v1, v2) = (SIMD8<Float>(repeating: w0), SIMD8<Float>(repeating: w1), SIMD8<Float>(repeating: w2))
        var p = 0
        while p + 8 <= count {
            let v = load8(x + p)
            store8(load8(a0 + p).addingProduct(v0, v), a0 + p)
            store8(load8(a1 + p).addingProduct(v1, v), a1 + p)
            store8(load8(a2 + p).addingProduct(v2, v), a2 + p)
            p += 8
        }
        for p in p..<count {
            let v = x[p]
            a0[p] = a0[p].addingProduct(w0, v); a1[p] = a1[p].addingProduct(w1, v); a2[p] = a2[p].addingProduct(w2, v)
        }
    }

    /// out[c][p0 ..< p0 + count] from the finished sums, plus bias and skip.
    @inline(__always)
    func finish(_ acc: UnsafePointer<Float>, stride: Int, count: Int, pixel p0: Int) {
        for c in 0..<3 {
            let o = out + c * pixels + p0, a = acc + c * stride, b = bias[c]
            if let skip {
                let s = skip + c * pixels + p0
                for p in 0..<count { o[p] = (alpha * a[p] + b) + s[p] }
            } else {
                for p in 0..<count { o[p] = alpha * a[p] + b }
            }
        }
    }

    /// The whole image from x [k, P], the cores splitting the pixels (each pixel's sums are
    /// the same in any split).
    public func run(_ x: UnsafePointer<Float>) {
        let block = 1024, blocks = (pixels + block - 1) / block
        let xs = ReadPointer(x), me = self
        Parallel.for(blocks, costPerItem: 6 * k * block) { range in
            let acc = UnsafeMutablePointer<Float>.allocate(capacity: Self.accumulators * block)
            defer { acc.deallocate() }
            for b in range {
                let p0 = b * block, n = min(block, me.pixels - p0)
                acc.initialize(repeating: 0, count: Self.accumulators * block)
                for i in 0..<me.k { me.add(xs.p + i * me.pixels + p0, channel: i, count: n, acc: acc, stride: block) }
                me.finish(acc, stride: block, count: n, pixel: p0)
            }
        }
    }

    @inline(__always) func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load8(UnsafePointer(p)) }
    @inline(__always) func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
}
