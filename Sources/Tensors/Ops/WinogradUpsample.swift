/// StyleGAN2's stride-2 transposed 3x3 convolution (before its blur), output [cout, 2h+1, 2w+1],
/// by Winograd F(2, 2) on its output phases (`PolyphaseUpsample` writes them out):
///
///     ee  out[2m, 2X]     = W22 x[m-1, X-1] + W20 x[m-1, X] + W02 x[m, X-1] + W00 x[m, X]
///     eo  out[2m, 2X+1]   = W21 x[m-1, X] + W01 x[m, X]
///     oe  out[2m+1, 2X]   = W12 x[m, X-1] + W10 x[m, X]
///     oo  out[2m+1, 2X+1] = W11 x[m, X]
///
/// A tile is 2x2 input positions; each two-tap direction runs F(2, 2): two outputs of taps
/// (h0, h1) from three inputs in three multiplications, with Bᵀ = [[1, -1, 0], [0, 1, 0],
/// [0, -1, 1]], G = [[1, 0], [1, 1], [0, 1]], Aᵀ = [[1, 1, 0], [0, 1, 1]]. Per tile ee costs
/// 3x3, eo 3x2, oe 2x3 and oo 2x2 products per channel pair: 25 instead of 36. The products run
/// as 16 OpenBLAS GEMMs (one per transformed tap, its positions side by side) over bands of tile
/// rows, as `Winograd`'s bands: at 256-512 channels OpenBLAS's blocking is what keeps the
/// products fast. The transforms only add and subtract.
public enum WinogradUpsample {
    /// Smaller inputs keep the column GEMM (StyleGAN2's 4²-16² upsamplers cost little).
    public static let minimumSide = 32

    /// Per group: the transformed tap of U it multiplies and how many position slots share it.
    /// ee (i, j) 0..<9 one slot; eo i 9..<12 two (columns X, X+1); oe j 12..<15 two (rows m, m+1);
    /// oo 15 four.
    static let slots = [1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 4]
    static let slotStart = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 13, 15, 17, 19, 21]   // running sum
    static let totalSlots = 25

    /// weight [cout, cin, 3, 3] -> U [16, cout, cin], computed in double and rounded once:
    /// ee G h Gᵀ with h = [[W22, W20], [W02, W00]], eo G (W21, W01), oe G (W12, W10), oo W11.
    public static func pack(_ weight: Tensor) -> Tensor {
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        precondition(weight.shape[2] == 3 && weight.shape[3] == 3, "WinogradUpsample.pack: \(weight.shape) is not 3x3")
        var u = Tensor(uninitialized: [16, cout, cin])
        weight.withUnsafeBufferPointer { wp in u.withUnsafeMutableBufferPointer { up in
            let ws = ReadPointer(wp.baseAddress!), us = SendablePointer(up.baseAddress!), step = cout * cin
            // an output channel's 16 taps for every input channel first, then each tap's row in
            // one run: stored straight, the 16 taps 1 MB apart cost a TLB miss per store (the
            // pack took a quarter of the 32² upsampler, repeated on every call)
            Parallel.for(cout, costPerItem: 40 * cin) { range in
                let taps = UnsafeMutablePointer<Float>.allocate(capacity: 16 * cin)
                defer { taps.deallocate() }
                for o in range {
                    for c in 0..<cin {
                        let g = ws.p + (o * cin + c) * 9, at = taps + c
                        func w(_ ky: Int, _ kx: Int) -> Double { Double(g[ky * 3 + kx]) }
                        // h = [[W22, W20], [W02, W00]]: G along x (rows t, b), then G along y
                        let (t0, t1, t2) = (w(2, 2), w(2, 2) + w(2, 0), w(2, 0))
                        let (b0, b1, b2) = (w(0, 2), w(0, 2) + w(0, 0), w(0, 0))
                        at[0] = Float(t0); at[cin] = Float(t1); at[2 * cin] = Float(t2)
                        at[3 * cin] = Float(t0 + b0); at[4 * cin] = Float(t1 + b1); at[5 * cin] = Float(t2 + b2)
                        at[6 * cin] = Float(b0); at[7 * cin] = Float(b1); at[8 * cin] = Float(b2)
                        at[9 * cin] = Float(w(2, 1)); at[10 * cin] = Float(w(2, 1) + w(0, 1)); at[11 * cin] = Float(w(0, 1))
                        at[12 * cin] = Float(w(1, 2)); at[13 * cin] = Float(w(1, 2) + w(1, 0)); at[14 * cin] = Float(w(1, 0))
                        at[15 * cin] = Float(w(1, 1))
                    }
                    for g in 0..<16 { (us.p + g * step + o * cin).update(from: taps + g * cin, count: cin) }
                }
            }
        } }
        return u
    }

    /// x [N, cin, h, w] -> scale * conv_transpose2d(x ⊙ styles, weight, stride 2) [N, cout, 2h+1, 2w+1];
    /// `packed` = `pack(weight)`. Bands of tile rows hold their transformed input and products in
    /// `budget` floats; each GEMM is whole (its shape depends on the image's size only). 16 MB:
    /// with 2 MB bands (one tile row at 128², 65 tiles) OpenBLAS repacked U for every narrow
    /// GEMM and the layers ran 1.5x slower than the column GEMM; at 16 MB they run 6-10% faster.
    /// Where `WinogradUpsampleBlocks` applies it runs instead of the bands (`fused: false` keeps
    /// the bands, for tests of both paths).
    public static func forward(_ x: Tensor, packed: Tensor, styles: Tensor?, scale: Float, budget: Int = 1 << 22,
                               fused: Bool = true) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cout = packed.shape[1]
        precondition(packed.shape[0] == 16 && packed.shape[2] == cin, "WinogradUpsample: packed weight \(packed.shape) for \(cin) input channels")
        let (oh, ow) = (2 * h + 1, 2 * w + 1)
        var out = Tensor(uninitialized: [n, cout, oh, ow])
        let (th, tw) = ((h + 2) / 2, (w + 2) / 2)
        let sv = styles?.scalars
        if fused && WinogradUpsampleBlocks.applies(cin: cin, cout: cout, tiles: th * tw) {
            x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { up in out.withUnsafeMutableBufferPointer { op in
                for b in 0..<n {
                    WinogradUpsampleBlocks.forward(xp.baseAddress! + b * cin * h * w, cin: cin, h: h, w: w,
                                                   styles: sv.map { Array($0[(b * cin)..<((b + 1) * cin)]) },
                                                   u: up.baseAddress!, cout: cout, scale: scale,
                                                   out: op.baseAddress! + b * cout * oh * ow)
                }
            } } }
            return out
        }
        let rows = max(1, min(th, budget / max(totalSlots * (cin + cout) * tw, 1)))
        let v = UnsafeMutablePointer<Float>.allocate(capacity: totalSlots * cin * rows * tw)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: totalSlots * cout * rows * tw)
        defer { v.deallocate(); m.deallocate() }
        x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { up in out.withUnsafeMutableBufferPointer { op in
            for b in 0..<n {
                let st = sv.map { Array($0[(b * cin)..<((b + 1) * cin)]) }
                let image = xp.baseAddress! + b * cin * h * w, result = op.baseAddress! + b * cout * oh * ow
                var ty0 = 0
                while ty0 < th {
                    let tr = min(rows, th - ty0), tiles = tr * tw
                    transformInput(image, cin: cin, h: h, w: w, styles: st, ty0: ty0, tileRows: tr, v: v)
                    multiply(up.baseAddress!, v: v, m: m, cout: cout, cin: cin, tiles: tiles, scale: scale)
                    transformOutput(m, cout: cout, h: h, w: w, ty0: ty0, tileRows: tr, out: result)
                    ty0 += tr
                }
            }
        } } }
        return out
    }

    /// V[slotStart[g] + s][c][t] (a group's slots side by side: [g][c][s][t]) for the tiles of
    /// rows ty0 ..< ty0 + tileRows: tile (ty, tx) reads the 3x3 patch d[a][b] = x[2ty - 1 + a,
    /// 2tx - 1 + b], zero outside.
    static func transformInput(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, styles: [Float]?,
                               ty0: Int, tileRows: Int, v: UnsafeMutablePointer<Float>) {
        let tw = (w + 2) / 2, tiles = tileRows * tw, pw = 2 * tw + 2
        let xs = ReadPointer(x), vs = SendablePointer(v)
        Parallel.for(cin, costPerItem: 40 * tiles) { range in
            let d = UnsafeMutablePointer<Float>.allocate(capacity: 6 * pw)   // 3 rows, then r0 and r2
            defer { d.deallocate() }
            let (d0, d1, d2, r0, r2) = (d, d + pw, d + 2 * pw, d + 3 * pw, d + 4 * pw)
            for c in range {
                let sc = styles?[c] ?? 1, plane = xs.p + c * h * w
                // group g's slot s of tile t for this channel
                func slot(_ g: Int, _ s: Int) -> UnsafeMutablePointer<Float> {
                    vs.p + (slotStart[g] * cin + c * slots[g] + s) * tiles
                }
                for tr in 0..<tileRows {
                    let ty = ty0 + tr
                    for k in 0..<3 {
                        let row = d + k * pw, iy = 2 * ty - 1 + k
                        row.initialize(repeating: 0, count: pw)
                        if iy >= 0 && iy < h { let src = plane + iy * w; for xo in 0..<w { row[xo + 1] = src[xo] * sc } }
                    }
                    // Bᵀ along y: r0 = d0 - d1, r1 = d1, r2 = d2 - d1
                    for j in 0..<pw { r0[j] = d0[j] - d1[j]; r2[j] = d2[j] - d1[j] }
                    let t0 = tr * tw
                    for i in 0..<3 {
                        let r = i == 0 ? r0 : i == 1 ? d1 : r2
                        let (e0, e1, e2) = (slot(3 * i, 0) + t0, slot(3 * i + 1, 0) + t0, slot(3 * i + 2, 0) + t0)
                        let (o0, o1) = (slot(9 + i, 0) + t0, slot(9 + i, 1) + t0)
                        for tx in 0..<tw {
                            let (a, b, e) = (r[2 * tx], r[2 * tx + 1], r[2 * tx + 2])
                            e0[tx] = a - b; e1[tx] = b; e2[tx] = e - b     // Bᵀ along x
                            o0[tx] = b; o1[tx] = e                         // eo: columns X, X + 1
                        }
                    }
                    for s in 0..<2 {
                        let r = s == 0 ? d1 : d2
                        let (p0, p1, p2) = (slot(12, s) + t0, slot(13, s) + t0, slot(14, s) + t0)
                        let (q0, q1) = (slot(15, 2 * s) + t0, slot(15, 2 * s + 1) + t0)
                        for tx in 0..<tw {
                            let (a, b, e) = (r[2 * tx], r[2 * tx + 1], r[2 * tx + 2])
                            p0[tx] = a - b; p1[tx] = b; p2[tx] = e - b     // oe: Bᵀ along x of rows m, m + 1
                            q0[tx] = b; q1[tx] = e                         // oo: the four inputs
                        }
                    }
                }
            }
        }
    }

    /// M[g] [cout, slots · tiles] = scale · U[g] [cout, cin] V[g] [cin, slots · tiles], one whole
    /// GEMM per group.
    static func multiply(_ u: UnsafePointer<Float>, v: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                         cout: Int, cin: Int, tiles: Int, scale: Float) {
        let us = ReadPointer(u), vs = ReadPointer(v), ms = SendablePointer(m)
        Parallel.for(16, costPerItem: 4 * cout * cin * tiles) { range in
            for g in range {
                let n = slots[g] * tiles
                BLAS.gemmBlock(false, false, cout, n, cin, scale, us.p + g * cout * cin, cin,
                               vs.p + slotStart[g] * cin * tiles, n, 0, ms.p + slotStart[g] * cout * tiles, n)
            }
        }
    }

    /// The phases of each tile into out [cout, 2h+1, 2w+1] (Aᵀ M A along each two-tap direction),
    /// inside the image only.
    static func transformOutput(_ m: UnsafePointer<Float>, cout: Int, h: Int, w: Int, ty0: Int, tileRows: Int,
                                out: UnsafeMutablePointer<Float>) {
        let tw = (w + 2) / 2, tiles = tileRows * tw, (oh, ow) = (2 * h + 1, 2 * w + 1)
        let ms = ReadPointer(m), os = SendablePointer(out)
        Parallel.for(cout, costPerItem: 40 * tiles) { range in
            for o in range {
                func slot(_ g: Int, _ s: Int) -> UnsafePointer<Float> { ms.p + (slotStart[g] * cout + o * slots[g] + s) * tiles }
                let plane = os.p + o * oh * ow
                let ee = (0..<9).map { slot($0, 0) }, eo = (0..<6).map { slot(9 + $0 / 2, $0 % 2) }
                let oe = (0..<6).map { slot(12 + $0 / 2, $0 % 2) }, oo = (0..<4).map { slot(15, $0) }
                for tr in 0..<tileRows {
                    let my = 2 * (ty0 + tr), t0 = tr * tw
                    for tx in 0..<tw {
                        let t = t0 + tx, mx = 2 * tx
                        for p in 0..<2 where my + p <= h {
                            let row = plane + 2 * (my + p) * ow
                            // (Aᵀ M)[p][j], then · A
                            let z0 = ee[3 * p][t] + ee[3 * p + 3][t], z1 = ee[3 * p + 1][t] + ee[3 * p + 4][t]
                            let z2 = ee[3 * p + 2][t] + ee[3 * p + 5][t]
                            row[2 * mx] = z0 + z1
                            if mx + 1 <= w { row[2 * mx + 2] = z1 + z2 }
                            for s in 0..<2 where mx + s < w { row[2 * (mx + s) + 1] = eo[2 * p + s][t] + eo[2 * p + 2 + s][t] }
                        }
                        for s in 0..<2 where my + s < h {
                            let row = plane + (2 * (my + s) + 1) * ow
                            let (a, b, c) = (oe[s][t], oe[2 + s][t], oe[4 + s][t])
                            row[2 * mx] = a + b
                            if mx + 1 <= w { row[2 * mx + 2] = b + c }
                            for q in 0..<2 where mx + q < w { row[2 * (mx + q) + 1] = oo[2 * s + q][t] }
                        }
                    }
                }
            }
        }
    }
}
