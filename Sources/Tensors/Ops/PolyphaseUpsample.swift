/// StyleGAN2's stride-2 transposed 3x3 convolution (before its blur), output [cout, 2h+1, 2w+1],
/// computed per output phase instead of as GEMM columns scattered back (col2im):
///
///     out[2m,   2X  ] = W00 x[m, X] + W02 x[m, X-1] + W20 x[m-1, X] + W22 x[m-1, X-1]
///     out[2m,   2X+1] = W01 x[m, X] + W21 x[m-1, X]
///     out[2m+1, 2X  ] = W10 x[m, X] + W12 x[m, X-1]
///     out[2m+1, 2X+1] = W11 x[m, X]
///
/// (x zero outside the image). A block of 48 positions X of one row m gathers the four shifted
/// inputs once, stacked s0 = x[m, X-1], s1 = x[m, X], s2 = x[m-1, X], s3 = x[m-1, X-1], so each
/// phase is one `PanelTile` product over a contiguous run of them (ee s0-s3, eo s1-s2, oe s0-s1,
/// oo s1), and its results are written once into the output. The column form wrote nine
/// products per input pixel, zeroed and re-read them: at 512² with 64 channels that traffic,
/// not the multiplications, set the layer's time.
public enum PolyphaseUpsample {
    static let blockColumns = PanelTile.width

    /// Output channels in whole register tiles, and few channel pairs: StyleGAN2's 512² and 1024²
    /// upsamplers (128 -> 64, 64 -> 32), where the columns' traffic cost most. With 256 and more
    /// input channels the block's phase matrices (9 cout cin) no longer stay in the cache and
    /// the column GEMM was as fast or faster (convs.8.conv 156 ms against 231).
    public static func applies(cin: Int, cout: Int) -> Bool {
        cout % PanelTile.rows == 0 && cin * cout <= 128 * 64
    }

    /// weight [cout, cin, 3, 3] -> the four phase matrices, one after another: ee [cout, 4 cin],
    /// eo [cout, 2 cin], oe [cout, 2 cin], oo [cout, cin], columns in the order of the shifts.
    public static func pack(_ weight: Tensor) -> Tensor {
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        precondition(weight.shape[2] == 3 && weight.shape[3] == 3, "PolyphaseUpsample.pack: \(weight.shape) is not 3x3")
        // per phase: its taps (ky * 3 + kx) in shift order
        let phases: [[Int]] = [[2, 0, 6, 8], [1, 7], [5, 3], [4]]
        var out = Tensor(uninitialized: [9 * cout * cin])
        weight.withUnsafeBufferPointer { w in out.withUnsafeMutableBufferPointer { o in
            var at = 0
            for taps in phases {
                for oc in 0..<cout { for tap in taps { for c in 0..<cin { o[at] = w[(oc * cin + c) * 9 + tap]; at += 1 } } }
            }
        } }
        return out
    }

    /// x [N, cin, h, w] -> scale * conv_transpose2d(x ⊙ styles, weight, stride 2) [N, cout, 2h+1, 2w+1],
    /// input channel c of image n scaled by `styles[n, c]` when given; `packed` = `pack(weight)`.
    public static func forward(_ x: Tensor, packed: Tensor, cout: Int, styles: Tensor?, scale: Float) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(packed.count == 9 * cout * cin && cout % PanelTile.rows == 0, "PolyphaseUpsample: packed weight of \(packed.count) for \(cin) -> \(cout)")
        let (oh, ow) = (2 * h + 1, 2 * w + 1)
        var out = Tensor(uninitialized: [n, cout, oh, ow])
        let sv = styles?.scalars
        let across = (w + blockColumns) / blockColumns, blocks = (h + 1) * across
        x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { ap in out.withUnsafeMutableBufferPointer { op in
            let xs = ReadPointer(xp.baseAddress!), a = ReadPointer(ap.baseAddress!), os = SendablePointer(op.baseAddress!)
            for b in 0..<n {
                let st = sv.map { Array($0[(b * cin)..<((b + 1) * cin)]) }
                let image = xs.p + b * cin * h * w, result = os.p + b * cout * oh * ow
                Parallel.for(blocks, costPerItem: 18 * cin * cout * blockColumns) { range in
                    let shifts = UnsafeMutablePointer<Float>.allocate(capacity: 4 * cin * blockColumns)
                    let products = UnsafeMutablePointer<Float>.allocate(capacity: 4 * cout * blockColumns)
                    defer { shifts.deallocate(); products.deallocate() }
                    for blk in range {
                        let m = blk / across, x0 = (blk % across) * blockColumns, count = min(blockColumns, w + 1 - x0)
                        let next = blk + 1 < blocks ? (m: (blk + 1) / across, x0: ((blk + 1) % across) * blockColumns) : nil
                        block(image, cin: cin, h: h, w: w, styles: st, weights: a.p, cout: cout, scale: scale, m: m, x0: x0,
                              count: count, next: next, shifts: shifts, products: products,
                              rows: result + 2 * m * ow, planeStride: oh * ow, rowStride: ow)
                    }
                }
            }
        } } }
        return out
    }

    /// The transposed convolution, then the blur FIR `rows`/`cols` with padding `padY`/`padX`
    /// (`FIR.apply`'s arguments), then a styled layer's `tail` when given: [N, cout, H', W'] without
    /// the [2h+1, 2w+1] intermediate ever reaching memory. A chunk of output rows computes the
    /// input rows m its blur reads: the four phases of one m for all channels, side by side in
    /// rows of `span` positions (each block's products land there directly), filtered along W
    /// straight from the phases (`FIR.filterInterleaved`: row 2m interleaves ee and eo, row
    /// 2m + 1 oe and oo) into `FIR`'s ring, and the ring combined into each output row as
    /// `FIR.apply` does: the same products, the same FIR sums, the same tail, so the same bytes as
    /// the three passes (at 1024² those moved 134 MB out and back in, and the tail another 128 MB
    /// each way). Interleaving the phases into full rows first cost the two largest upsamplers
    /// about a tenth of their time. Where chunks meet, both compute the shared m.
    public static func forwardBlurred(_ x: Tensor, packed: Tensor, cout: Int, styles: Tensor?, scale: Float,
                                      rows kr: [Float], cols kc: [Float], padY: (Int, Int), padX: (Int, Int),
                                      tail: StyledTail?) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(packed.count == 9 * cout * cin && cout % PanelTile.rows == 0, "PolyphaseUpsample: packed weight of \(packed.count) for \(cin) -> \(cout)")
        let (fh, fw) = (2 * h + 1, 2 * w + 1)
        let fr = Array(kr.reversed()), fc = Array(kc.reversed()), kh = fr.count
        let oh = fh + padY.0 + padY.1 - kh + 1, ow = fw + padX.0 + padX.1 - fc.count + 1
        precondition(oh > 0 && ow > 0, "PolyphaseUpsample: blur of \(kh)x\(fc.count) leaves nothing of \(fh)x\(fw)")
        var out = Tensor(uninitialized: [n, cout, oh, ow])
        let sv = styles?.scalars
        let span = (w + blockColumns) / blockColumns * blockColumns     // positions 0 ... w in whole blocks
        x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { ap in out.withUnsafeMutableBufferPointer { op in
            let xs = ReadPointer(xp.baseAddress!), a = ReadPointer(ap.baseAddress!), os = SendablePointer(op.baseAddress!)
            for b in 0..<n {
                let st = sv.map { Array($0[(b * cin)..<((b + 1) * cin)]) }
                let image = xs.p + b * cin * h * w, result = os.p + b * cout * oh * ow
                Parallel.for(oh, costPerItem: 9 * cin * cout * w) { range in
                    let shifts = UnsafeMutablePointer<Float>.allocate(capacity: 4 * cin * blockColumns)
                    let phases = UnsafeMutablePointer<Float>.allocate(capacity: 4 * cout * span)   // [4][cout][span] of one m
                    let ring = UnsafeMutablePointer<Float>.allocate(capacity: cout * kh * ow)    // filtered rows, slot r % kh
                    defer { shifts.deallocate(); phases.deallocate(); ring.deallocate() }
                    var taps = [(Float, UnsafePointer<Float>)]()
                    taps.reserveCapacity(kh)
                    var madeM = -1                                   // the m whose phases `phases` holds
                    var next = max(0, range.lowerBound - padY.0)     // the next full row to filter
                    for o in range {
                        let last = min(fh - 1, o + kh - 1 - padY.0)
                        while next <= last {
                            let m = next / 2
                            if m != madeM {
                                for x0 in stride(from: 0, to: w + 1, by: blockColumns) {
                                    let following = x0 + blockColumns <= w ? (m: m, x0: x0 + blockColumns) : m < h ? (m: m + 1, x0: 0) : nil
                                    gather(image, cin: cin, h: h, w: w, styles: st, m: m, x0: x0, next: following, into: shifts)
                                    multiply(a.p, shifts: shifts, cin: cin, cout: cout, scale: scale, into: phases + x0, ldc: span)
                                }
                                madeM = m
                            }
                            // full row 2m: ee at even columns, eo at odd; row 2m + 1: oe and oo
                            let even = phases + 2 * (next % 2) * cout * span
                            for c in 0..<cout {
                                FIR.filterInterleaved(even: even + c * span, odd: even + (cout + c) * span, w: fw,
                                                      into: ring + (c * kh + next % kh) * ow, ow: ow, taps: fc, pad: padX.0)
                            }
                            next += 1
                        }
                        for c in 0..<cout {
                            FIR.ringTaps(&taps, output: o, kernel: fr, pad: padY.0, rows: fh, ring: ring + c * kh * ow, width: ow)
                            let row = result + (c * oh + o) * ow
                            FIR.combine(taps, into: row, count: ow)
                            tail?.apply(row, count: ow, plane: b * cout + c, pixel: o * ow)
                        }
                    }
                }
            }
        } } }
        return out
    }

    /// One block: positions x0 ..< x0 + count of row m, gathered, multiplied and scattered into
    /// rows 2m and 2m + 1 (see `scatter`).
    @inline(__always)
    static func block(_ image: UnsafePointer<Float>, cin: Int, h: Int, w: Int, styles: [Float]?, weights: UnsafePointer<Float>,
                      cout: Int, scale: Float, m: Int, x0: Int, count: Int, next: (m: Int, x0: Int)?,
                      shifts: UnsafeMutablePointer<Float>, products: UnsafeMutablePointer<Float>,
                      rows: UnsafeMutablePointer<Float>, planeStride: Int, rowStride: Int) {
        gather(image, cin: cin, h: h, w: w, styles: styles, m: m, x0: x0, next: next, into: shifts)
        multiply(weights, shifts: shifts, cin: cin, cout: cout, scale: scale, into: products)
        scatter(products, cout: cout, h: h, w: w, m: m, x0: x0, count: count, rows: rows, planeStride: planeStride, rowStride: rowStride)
    }

    /// shifts[s][c][48]: s0 = x[m, X-1], s1 = x[m, X], s2 = x[m-1, X], s3 = x[m-1, X-1]
    /// for X = x0 + lane, scaled by the channel's style, zero outside the image. The lines the
    /// `next` block reads are fetched meanwhile: two short row pieces of every channel are more
    /// streams than the hardware prefetcher follows.
    static func gather(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, styles: [Float]?, m: Int, x0: Int,
                       next: (m: Int, x0: Int)?, into shifts: UnsafeMutablePointer<Float>) {
        let width = blockColumns
        if let next {
            let (c0, c1) = (max(0, next.x0 - 1), min(w, next.x0 + width))
            for c in 0..<cin {
                for row in max(0, next.m - 1)...min(h - 1, next.m) where c0 < c1 {
                    prefetch(x + (c * h + row) * w + c0, count: c1 - c0)
                }
            }
        }
        for s in 0..<4 {
            let row = s < 2 ? m : m - 1, dx = s == 0 || s == 3 ? 1 : 0, first = x0 - dx
            for c in 0..<cin {
                let sc = styles?[c] ?? 1, src = x + (c * h + row) * w, dst = shifts + (s * cin + c) * width
                if row < 0 || row >= h { dst.initialize(repeating: 0, count: width); continue }
                if first >= 0 && first + width <= w {
                    for l in 0..<width { dst[l] = src[first + l] * sc }
                } else {
                    for l in 0..<width { let col = first + l; dst[l] = col >= 0 && col < w ? src[col] * sc : 0 }
                }
            }
        }
    }

    /// Per phase: its first shift, how many, and its matrix's offset in units of cout * cin.
    static let phases = [(0, 4, 0), (1, 2, 4), (0, 2, 6), (1, 1, 8)]

    /// products[phase][o][48] = scale · A_phase [o, :] · (its run of shifts).
    static func multiply(_ a: UnsafePointer<Float>, shifts: UnsafePointer<Float>, cin: Int, cout: Int, scale: Float,
                         into products: UnsafeMutablePointer<Float>, ldc: Int = blockColumns) {
        for (i, (first, count, offset)) in phases.enumerated() {
            let k = count * cin
            PanelTile.product(a + offset * cout * cin, lda: k, count: cout, panel: shifts + first * cin * blockColumns, k: k,
                              scale: scale, out: products + i * cout * ldc, ldc: ldc)
        }
    }

    /// Writes the four phases of positions x0 ..< x0 + count of row m: rows 2m and (when m < h)
    /// 2m + 1 of each output channel o, at `rows + o * planeStride` and one `rowStride` further.
    static func scatter(_ products: UnsafePointer<Float>, cout: Int, h: Int, w: Int, m: Int, x0: Int, count: Int,
                        rows: UnsafeMutablePointer<Float>, planeStride: Int, rowStride: Int) {
        let step = cout * blockColumns
        let odd = min(count, w - x0)          // positions with an odd column 2X+1 inside
        for o in 0..<cout {
            let ee = products + o * blockColumns, eo = ee + step, oe = ee + 2 * step, oo = ee + 3 * step
            let even = rows + o * planeStride + 2 * x0
            for t in 0..<odd { even[2 * t] = ee[t]; even[2 * t + 1] = eo[t] }
            for t in odd..<count { even[2 * t] = ee[t] }
            if m < h {
                let next = even + rowStride
                for t in 0..<odd { next[2 * t] = oe[t]; next[2 * t + 1] = oo[t] }
                for t in odd..<count { next[2 * t] = oe[t] }
            }
        }
    }
}
