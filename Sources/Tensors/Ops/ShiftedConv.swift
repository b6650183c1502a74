/// k x k, stride 1, padding k/2 convolution (k odd) as k GEMMs, one per kernel row, over a band
/// of input rows copied k times with column shifts: the copy is k times the input where im2col
/// writes k² times, and the row shifts are pointer offsets into the band. At StyleGAN2's 1024²
/// layers (32-64 channels) im2col's memory traffic, not the GEMM, set the speed.
///
/// band[(kx*cin + c), r*w + x] = s[c] * x[c, y0 - p + r, x + kx - p] (0 outside), and for kernel
/// row ky the output rows y0..<y0+rows are W_ky [cout, k*cin] x band[:, ky*w ...].
public enum ShiftedConv {
    /// Images smaller than this (pixels) keep im2col, whose one GEMM spans the whole batch.
    public static let minimumPixels = 64 * 64

    public static func applies(kernel: (Int, Int), stride: Int, padding: Int, pixels: Int) -> Bool {
        kernel.0 == kernel.1 && kernel.0 % 2 == 1 && stride == 1 && padding == kernel.0 / 2 && pixels >= minimumPixels
    }

    /// weight [cout, cin, k, k] -> [k, cout, k*cin]: block ky holds W[o, c, ky, kx] at column kx*cin + c.
    public static func pack(_ weight: Tensor) -> Tensor {
        let (cout, cin, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        let w = weight.scalars
        return Tensor(shape: [k, cout, k * cin]) { t in
            for ky in 0..<k { for o in 0..<cout { for kx in 0..<k { for c in 0..<cin {
                t[(ky * cout + o) * k * cin + kx * cin + c] = w[((o * cin + c) * k + ky) * k + kx]
            } } } }
        }
    }

    /// Output rows per band so the band stays within `budget` floats.
    public static func bandRows(cin: Int, k: Int, h: Int, w: Int, budget: Int) -> Int {
        max(1, min(h, budget / max(k * cin * w, 1) - (k - 1)))
    }

    /// A batch: x [N, cin, H, W] -> scale * conv(x ⊙ styles, weight) [N, cout, H, W], with input
    /// channel c of image n scaled by `styles[n, c]` when given; `packed` = `pack(weight)`.
    public static func forward(_ x: Tensor, packed: Tensor, styles: Tensor? = nil, scale: Float = 1,
                               budget: Int = 1 << 21) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (k, cout) = (packed.shape[0], packed.shape[1])
        precondition(packed.shape[2] == k * cin, "ShiftedConv: packed weight \(packed.shape) for \(cin) input channels")
        var out = Tensor(uninitialized: [n, cout, h, w])
        let rows = bandRows(cin: cin, k: k, h: h, w: w, budget: budget)
        let band = UnsafeMutablePointer<Float>.allocate(capacity: k * cin * (rows + k - 1) * w)
        defer { band.deallocate() }
        let sv = styles?.scalars
        x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { wp in out.withUnsafeMutableBufferPointer { op in
            for b in 0..<n {
                forward(xp.baseAddress! + b * cin * h * w, cin: cin, h: h, w: w, styles: sv.map { Array($0[(b * cin)..<((b + 1) * cin)]) },
                        packed: wp.baseAddress!, cout: cout, k: k, scale: scale, out: op.baseAddress! + b * cout * h * w, band: band, rows: rows)
            }
        } } }
        return out
    }

    /// One image: x [cin, h, w] (input channel c scaled by `styles[c]` when given) into
    /// out [cout, h, w] = scale * conv(x, weight); `packed` = `pack(weight)`; `band` holds
    /// k * cin * (rows + k - 1) * w floats.
    public static func forward(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, styles: [Float]?,
                               packed: UnsafePointer<Float>, cout: Int, k: Int, scale: Float,
                               out: UnsafeMutablePointer<Float>, band: UnsafeMutablePointer<Float>, rows tileRows: Int) {
        let p = k / 2, kc = k * cin, ldb = (tileRows + k - 1) * w
        let xs = ReadPointer(x), bs = SendablePointer(band)
        var y0 = 0
        while y0 < h {
            let rows = min(tileRows, h - y0), bandH = rows + k - 1
            Parallel.for(kc, costPerItem: bandH * w) { range in
                for r in range {
                    let kx = r / cin, c = r % cin, sc = styles?[c] ?? 1
                    let src = xs.p + c * h * w, dst = bs.p + r * ldb
                    let lo = max(0, p - kx), hi = min(w, w + p - kx)
                    for br in 0..<bandH {
                        let iy = y0 - p + br, drow = dst + br * w
                        if iy < 0 || iy >= h || hi <= lo { drow.initialize(repeating: 0, count: w); continue }
                        let srow = src + iy * w + kx - p
                        for xo in 0..<lo { drow[xo] = 0 }
                        for xo in lo..<hi { drow[xo] = srow[xo] * sc }
                        for xo in hi..<w { drow[xo] = 0 }
                    }
                }
            }
            for ky in 0..<k {
                BLAS.sgemm(m: cout, n: rows * w, k: kc, alpha: scale, a: packed + ky * cout * kc, lda: kc,
                           b: band + ky * w, ldb: ldb, beta: ky == 0 ? 0 : 1, c: out + y0 * w, ldc: h * w)
            }
            y0 += rows
        }
    }
}
