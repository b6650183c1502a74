/// 3x3, stride 1, padding 1 convolution by Winograd's minimal filtering F(2x2, 3x3) (Lavin &
/// Gray 2016): each 2x2 output tile costs 16 multiplications per channel pair instead of 36,
/// spent in 16 GEMMs [cout, cin] x [cin, tiles], one per point of the 4x4 transform domain.
///
///     Y = Aᵀ [ (G g Gᵀ) ⊙ (Bᵀ d B) ] A
///
/// F(2,3) and not F(4,3): with the standard points F(4,3)'s float32 error at 512 channels is 9x
/// direct convolution's, F(2,3)'s 1.4x on the same sums (scripts/winograd_error.py; DESIGN,
/// "Convolutions"). The
/// weight transform is made once per layer from the shared weight; a modulated layer scales
/// the input channels by their styles while transforming them.
public enum Winograd {
    /// Smaller images keep direct convolution: at 4x4 (four tiles) Winograd's error reached 2x
    /// direct's, and the layer costs nothing.
    public static let minimumSide = 8

    /// The weight [cout, cin, 3, 3] in the transform domain: U [16, cout, cin], U[4i + j] =
    /// (G g Gᵀ)[i, j], computed in double and rounded once.
    public static func pack(_ weight: Tensor) -> Tensor {
        let (cout, cin) = (weight.shape[0], weight.shape[1])
        precondition(weight.shape[2] == 3 && weight.shape[3] == 3, "Winograd.pack: \(weight.shape) is not 3x3")
        var u = Tensor(uninitialized: [16, cout, cin])
        weight.withUnsafeBufferPointer { wp in u.withUnsafeMutableBufferPointer { up in
            let ws = ReadPointer(wp.baseAddress!), us = SendablePointer(up.baseAddress!)
            Parallel.for(cout, costPerItem: 60 * cin) { range in
                for o in range { for c in 0..<cin {
                    let g = ws.p + (o * cin + c) * 9
                    // G = [[1, 0, 0], [½, ½, ½], [½, -½, ½], [0, 0, 1]]: (G g)[:, b] for each column b,
                    // then the columns of U = (G g) Gᵀ, each over the four rows i at once
                    func column(_ b: Int) -> SIMD4<Double> {
                        let (g0, g1, g2) = (Double(g[b]), Double(g[3 + b]), Double(g[6 + b]))
                        return SIMD4(g0, 0.5 * (g0 + g1 + g2), 0.5 * (g0 - g1 + g2), g2)
                    }
                    let (c0, c1, c2) = (column(0), column(1), column(2))
                    let (d1, d2) = (0.5 * (c0 + c1 + c2), 0.5 * (c0 - c1 + c2))
                    let at = us.p + o * cin + c, step = cout * cin
                    for i in 0..<4 {
                        at[(4 * i) * step] = Float(c0[i]); at[(4 * i + 1) * step] = Float(d1[i])
                        at[(4 * i + 2) * step] = Float(d2[i]); at[(4 * i + 3) * step] = Float(c2[i])
                    }
                } }
            }
        } }
        return u
    }

    /// Whether `forward` runs the fused blocks for this layer and image size (`fused` left on),
    /// where a U in `tiles` layout serves.
    public static func runsBlocks(cin: Int, cout: Int, h: Int, w: Int) -> Bool {
        WinogradBlocks.applies(cin: cin, cout: cout, tiles: ((h + 1) / 2) * ((w + 1) / 2))
    }

    /// U [16, cout, cin] from `pack` with each transformed tap's rows in `PanelTile`'s 8-row
    /// tiles (`tiled: true` in `forward`); `rows(fromTiles:)` undoes it. cout a multiple of 8.
    public static func tiles(_ u: Tensor) -> Tensor {
        var t = u
        retile(&t, toTiles: true)
        return t
    }

    public static func rows(fromTiles u: Tensor) -> Tensor {
        var t = u
        retile(&t, toTiles: false)
        return t
    }

    /// `tiles` / `rows(fromTiles:)` in place, one transformed tap at a time through a copy of it,
    /// so a layer's U changes layout without a second U in memory (16 MB at 512 channels).
    public static func retile(_ u: inout Tensor, toTiles: Bool) {
        let (cout, cin) = (u.shape[1], u.shape[2])
        precondition(u.shape[0] == 16 && cout % 8 == 0, "Winograd: U \(u.shape) has no 8-row tiles")
        u.withUnsafeMutableBufferPointer { up in
            let base = SendablePointer(up.baseAddress!)
            Parallel.for(16, costPerItem: cout * cin) { range in
                let copy = UnsafeMutablePointer<Float>.allocate(capacity: cout * cin)
                defer { copy.deallocate() }
                for xi in range {
                    let plane = base.p + xi * cout * cin
                    copy.update(from: plane, count: cout * cin)
                    if toTiles { PanelTile.tiled(copy, count: cout, k: cin, into: plane) } else { PanelTile.untiled(copy, count: cout, k: cin, into: plane) }
                }
            }
        }
    }

    /// Tile rows per band so the band's transformed input and products fit in `budget` floats.
    static func bandTileRows(cin: Int, cout: Int, tilesAcross: Int, tilesDown: Int, budget: Int) -> Int {
        max(1, min(tilesDown, budget / max(16 * (cin + cout) * tilesAcross, 1)))
    }

    /// A batch: x [N, cin, H, W] -> scale * conv(x ⊙ styles, weight) [N, cout, H, W] with input
    /// channel c of image n scaled by `styles[n, c]` when given; `packed` = `pack(weight)`.
    /// Each image is computed alone, in bands of tile rows whose transformed input and products
    /// fit `budget` floats (2 MB: a core's share of the cache), so the shapes depend on the
    /// image's size only. With many bands each core takes whole bands (no hand-off between the
    /// three steps); with few, the cores share each step of a band.
    /// `fused: false` keeps the bands where `WinogradBlocks` applies (tests of both paths). A
    /// styled layer's `tail` is applied to the output (by the blocks as they write it).
    public static func forward(_ x: Tensor, packed: Tensor, tiled: Bool = false, styles: Tensor? = nil, scale: Float = 1,
                               budget: Int = 1 << 19, fused: Bool = true, tail: StyledTail? = nil) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cout = packed.shape[1]
        precondition(packed.shape[0] == 16 && packed.shape[2] == cin, "Winograd: packed weight \(packed.shape) for \(cin) input channels")
        var out = Tensor(uninitialized: [n, cout, h, w])
        let (th, tw) = ((h + 1) / 2, (w + 1) / 2)
        let rows = bandTileRows(cin: cin, cout: cout, tilesAcross: tw, tilesDown: th, budget: budget)
        let bands = (th + rows - 1) / rows
        let scratch = 16 * (cin + cout) * rows * tw
        let sv = styles?.scalars
        let blocks = fused && runsBlocks(cin: cin, cout: cout, h: h, w: w)
        precondition(!tiled || blocks, "Winograd: a tiled U [\(cout), \(cin)] for \(h)x\(w), where the blocks do not run")
        x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { up in out.withUnsafeMutableBufferPointer { op in
            let xs = ReadPointer(xp.baseAddress!), us = ReadPointer(up.baseAddress!), os = SendablePointer(op.baseAddress!)
            for b in 0..<n {
                let st = sv.map { Array($0[(b * cin)..<((b + 1) * cin)]) }
                let image = xs.p + b * cin * h * w, result = os.p + b * cout * h * w
                if blocks {
                    WinogradBlocks.forward(image, cin: cin, h: h, w: w, styles: st, u: us.p, tiled: tiled, cout: cout, scale: scale, out: result,
                                           tail: tail.map { ($0, b * cout) })
                    continue
                }
                // one band: transform the input, 16 GEMMs, transform back
                func band(_ i: Int, _ v: UnsafeMutablePointer<Float>) {
                    let ty0 = i * rows, tr = min(rows, th - ty0), m = v + 16 * cin * rows * tw
                    transformInput(image, cin: cin, h: h, w: w, styles: st, ty0: ty0, tileRows: tr, v: v)
                    multiply(us.p, v: v, m: m, cout: cout, cin: cin, tiles: tr * tw, scale: scale)
                    transformOutput(m, cout: cout, h: h, w: w, ty0: ty0, tileRows: tr, out: result)
                }
                if bands >= 2 * Parallel.threads {
                    Parallel.for(bands, costPerItem: 1 << 20) { range in
                        let v = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
                        defer { v.deallocate() }
                        for i in range { band(i, v) }
                    }
                } else {
                    let v = UnsafeMutablePointer<Float>.allocate(capacity: scratch)
                    defer { v.deallocate() }
                    for i in 0..<bands { band(i, v) }
                }
            }
        } } }
        if !blocks, let tail { tail.applyPlanes(&out) }
        return out
    }

    /// Whether `forwardIntoRGB` takes this layer: where the fused blocks run and the ToRGB
    /// product keeps its bytes (`RGBProduct.applies`).
    public static func fusesRGB(cin: Int, cout: Int, h: Int, w: Int) -> Bool {
        min(h, w) >= minimumSide && runsBlocks(cin: cin, cout: cout, h: h, w: w)
            && RGBProduct.applies(k: cout, pixels: h * w)
    }

    /// A styled layer whose output only a ToRGB reads (the generator's last): sample b's rows
    /// go into the product `rgb(b, body)` hands to `body`, channel by channel while they are in
    /// the cache, and only the image is written. The same sums as `forward` then the ToRGB, so
    /// the same bytes. Only where `fusesRGB`.
    public static func forwardIntoRGB(_ x: Tensor, packed: Tensor, tiled: Bool = false, styles: Tensor, scale: Float, tail: StyledTail,
                                      rgb: (Int, (RGBProduct) -> Void) -> Void) {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let cout = packed.shape[1]
        precondition(packed.shape[0] == 16 && packed.shape[2] == cin && fusesRGB(cin: cin, cout: cout, h: h, w: w),
                     "Winograd.forwardIntoRGB: packed weight \(packed.shape) for \(x.shape)")
        let sv = styles.scalars
        x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { up in
            for b in 0..<n {
                let st = Array(sv[(b * cin)..<((b + 1) * cin)])
                rgb(b) { product in
                    WinogradBlocks.forward(xp.baseAddress! + b * cin * h * w, cin: cin, h: h, w: w, styles: st, u: up.baseAddress!,
                                           tiled: tiled, cout: cout, scale: scale, out: nil, tail: (tail, b * cout), rgb: product)
                }
            }
        } }
    }

    /// V[4i + j, c, t] = (Bᵀ d B)[i, j] for the 4x4 input tile d of tile t (rows 2ty-1 ..< 2ty+3,
    /// columns 2tx-1 ..< 2tx+3, zero outside), channel c scaled by its style.
    /// Bᵀ = [[1, 0, -1, 0], [0, 1, 1, 0], [0, -1, 1, 0], [0, 1, 0, -1]].
    static func transformInput(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, styles: [Float]?,
                               ty0: Int, tileRows: Int, v: UnsafeMutablePointer<Float>) {
        let tw = (w + 1) / 2, tiles = tileRows * tw, pw = 2 * tw + 2
        let xs = ReadPointer(x), vs = SendablePointer(v)
        Parallel.for(cin, costPerItem: 16 * tiles) { range in
            // four padded input rows, then their Bᵀ combinations
            let d = UnsafeMutablePointer<Float>.allocate(capacity: 8 * pw)
            defer { d.deallocate() }
            let r = d + 4 * pw
            for c in range {
                let sc = styles?[c] ?? 1, plane = xs.p + c * h * w
                for tr in 0..<tileRows {
                    let ty = ty0 + tr
                    for k in 0..<4 {
                        let row = d + k * pw, iy = 2 * ty - 1 + k
                        row.initialize(repeating: 0, count: pw)
                        if iy >= 0 && iy < h { let src = plane + iy * w; for xo in 0..<w { row[xo + 1] = src[xo] * sc } }
                    }
                    let (d0, d1, d2, d3) = (d, d + pw, d + 2 * pw, d + 3 * pw)
                    let (r0, r1, r2, r3) = (r, r + pw, r + 2 * pw, r + 3 * pw)
                    for xo in 0..<pw {
                        r0[xo] = d0[xo] - d2[xo]; r1[xo] = d1[xo] + d2[xo]
                        r2[xo] = d2[xo] - d1[xo]; r3[xo] = d1[xo] - d3[xo]
                    }
                    for i in 0..<4 {
                        let ri = r + i * pw
                        let base = vs.p + (4 * i * cin + c) * tiles + tr * tw, step = cin * tiles
                        let (v0, v1, v2, v3) = (base, base + step, base + 2 * step, base + 3 * step)
                        for tx in 0..<tw {
                            let a = ri[2 * tx], b = ri[2 * tx + 1], e = ri[2 * tx + 2], f = ri[2 * tx + 3]
                            v0[tx] = a - e; v1[tx] = b + e; v2[tx] = e - b; v3[tx] = b - f
                        }
                    }
                }
            }
        }
    }

    /// M[ξ] = scale * U[ξ] V[ξ] for the 16 points, one whole GEMM per point (its shape never
    /// depends on the thread count, so neither do the low bits).
    static func multiply(_ u: UnsafePointer<Float>, v: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                         cout: Int, cin: Int, tiles: Int, scale: Float) {
        let us = ReadPointer(u), vs = ReadPointer(v), ms = SendablePointer(m)
        Parallel.for(16, costPerItem: 2 * cout * cin * tiles) { range in
            for xi in range {
                BLAS.gemmBlock(false, false, cout, tiles, cin, scale, us.p + xi * cout * cin, cin,
                               vs.p + xi * cin * tiles, tiles, 0, ms.p + xi * cout * tiles, tiles)
            }
        }
    }

    /// out[o, 2ty + p, 2tx + q] = (Aᵀ M A)[p, q] with Aᵀ = [[1, 1, 1, 0], [0, 1, -1, -1]],
    /// inside the image.
    static func transformOutput(_ m: UnsafePointer<Float>, cout: Int, h: Int, w: Int, ty0: Int, tileRows: Int,
                                out: UnsafeMutablePointer<Float>) {
        let tw = (w + 1) / 2, tiles = tileRows * tw
        let ms = ReadPointer(m), os = SendablePointer(out)
        Parallel.for(cout, costPerItem: 24 * tiles) { range in
            let step = cout * tiles
            for o in range {
                let mo = ms.p + o * tiles, plane = os.p + o * h * w
                for tr in 0..<tileRows {
                    let y = 2 * (ty0 + tr), t0 = tr * tw
                    let row0 = plane + y * w, hasRow1 = y + 1 < h, row1 = plane + (hasRow1 ? y + 1 : y) * w
                    for tx in 0..<tw {
                        let t = mo + t0 + tx
                        // a_p[j] = (Aᵀ M)[p, j]
                        let m0 = t[0], m1 = t[step], m2 = t[2 * step], m3 = t[3 * step]
                        let m4 = t[4 * step], m5 = t[5 * step], m6 = t[6 * step], m7 = t[7 * step]
                        let m8 = t[8 * step], m9 = t[9 * step], m10 = t[10 * step], m11 = t[11 * step]
                        let m12 = t[12 * step], m13 = t[13 * step], m14 = t[14 * step], m15 = t[15 * step]
                        let a00 = m0 + m4 + m8, a01 = m1 + m5 + m9, a02 = m2 + m6 + m10, a03 = m3 + m7 + m11
                        let a10 = m4 - m8 - m12, a11 = m5 - m9 - m13, a12 = m6 - m10 - m14, a13 = m7 - m11 - m15
                        let x = 2 * tx
                        row0[x] = a00 + a01 + a02
                        if x + 1 < w { row0[x + 1] = a01 - a02 - a03 }
                        if hasRow1 {
                            row1[x] = a10 + a11 + a12
                            if x + 1 < w { row1[x + 1] = a11 - a12 - a13 }
                        }
                    }
                }
            }
        }
    }
}
