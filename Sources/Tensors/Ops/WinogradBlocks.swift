/// Winograd F(2x2, 3x3) fused per block of 48 tiles: input transform, the 16 products and the
/// output transform run while the block's V and M (400 KB at 64 channels) stay in the
/// core's cache. Over whole bands (`Winograd.forward`'s other path) a 1024² 32-channel layer
/// sent four times the image through memory between the three steps, and OpenBLAS spent a
/// third of its time repacking and zeroing what the next step read once.
///
/// The transforms are `Winograd`'s, term for term. Each product element is `PanelTile`'s ordered
/// sum over the input channels, so a block's bytes depend on nothing but its own tiles (not
/// the thread count, not the batch).
public enum WinogradBlocks {
    /// Tiles per block, one `PanelTile` panel; output channels per register tile.
    static let panel = PanelTile.width, blockTiles = PanelTile.width, rowsPerTile = PanelTile.rows

    /// Output channels in whole register tiles, at most 512 channels (U [16, cout, cin] is then
    /// 16 MB, read from L3 at 25 flops a byte), and at least four blocks of tiles, so both cores
    /// have work and no block is mostly padding (8x8-16x16 layers keep the GEMM bands).
    public static func applies(cin: Int, cout: Int, tiles: Int) -> Bool {
        cin <= 512 && cout <= 512 && cout % rowsPerTile == 0 && tiles >= 4 * blockTiles
    }

    /// One image: x [cin, h, w] (channel c scaled by `styles[c]` when given) into
    /// out [cout, h, w] = scale * conv3x3(x, weight); `u` = `Winograd.pack(weight)`. A `tail`
    /// (with the plane index of this image's channel 0) is applied to each row piece as it is written.
    /// With `rgb`, the rows go into that ToRGB product instead, channel by channel while they
    /// are in the cache, and `out` is not written (nothing else reads it: the generator's last layer).
    static func forward(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, styles: [Float]?,
                        u: UnsafePointer<Float>, tiled: Bool = false, cout: Int, scale: Float, out: UnsafeMutablePointer<Float>?,
                        tail: (StyledTail, plane0: Int)? = nil, rgb: RGBProduct? = nil) {
        let (th, tw) = ((h + 1) / 2, (w + 1) / 2), total = th * tw
        let blocks = (total + blockTiles - 1) / blockTiles
        let xs = ReadPointer(x), us = ReadPointer(u), os = out.map { SendablePointer($0) }
        Parallel.for(blocks, costPerItem: 32 * cin * cout * blockTiles) { range in
            let scratch = Scratch(cin: cin, cout: cout)
            defer { scratch.release() }
            for b in range {
                let t0 = b * blockTiles, used = min(blockTiles, total - t0)
                if used < blockTiles { scratch.v.initialize(repeating: 0, count: 16 * cin * blockTiles) }
                let next = min(blockTiles, max(0, total - t0 - blockTiles))
                transformInput(xs.p, cin: cin, h: h, w: w, tw: tw, styles: styles, first: t0, used: used,
                               next: next, scratch: scratch)
                multiply(us.p, tiled: tiled, v: scratch.v, m: scratch.m, cout: cout, cin: cin, scale: scale, used: used)
                let into = rgb.map { Destination.rgb($0, rows: scratch.rows, sums: scratch.sums) } ?? .planes(os!.p)
                transformOutput(scratch.m, cout: cout, h: h, w: w, tw: tw, first: t0, used: used, into: into, tail: tail)
            }
        }
    }

    /// A worker's buffers: V [16][cin][48], M [16][cout][48], and four input rows split
    /// into even and odd columns.
    struct Scratch {
        let v, m, rows, sums: UnsafeMutablePointer<Float>
        static let rowLength = blockTiles + 8
        init(cin: Int, cout: Int) {
            v = .allocate(capacity: 16 * cin * blockTiles)
            m = .allocate(capacity: 16 * cout * blockTiles)
            rows = .allocate(capacity: 8 * Self.rowLength)
            sums = .allocate(capacity: 2 * RGBProduct.accumulators * Destination.rgbStride)
        }
        func release() { v.deallocate(); m.deallocate(); rows.deallocate(); sums.deallocate() }
    }

    /// Where `transformOutput` puts a channel's rows: the output planes, or two scratch rows
    /// (the input rows' buffer, free by then) that a ToRGB product adds into its sums for the
    /// run's two pixel rows.
    enum Destination {
        case planes(UnsafeMutablePointer<Float>)
        case rgb(RGBProduct, rows: UnsafeMutablePointer<Float>, sums: UnsafeMutablePointer<Float>)
        /// Pixels of one row of a run, at most.
        static let rgbStride = 2 * blockTiles
    }

    /// The block's tiles `first ..< first + used` as runs along tile rows: (ty, tx0, count, position in block).
    static func runs(first: Int, used: Int, tw: Int, _ body: (Int, Int, Int, Int) -> Void) {
        var t = first
        while t < first + used {
            let (ty, tx0) = (t / tw, t % tw), count = min(tw - tx0, first + used - t)
            body(ty, tx0, count, t - first)
            t += count
        }
    }

    /// V[ξ = 4i + j, tile, c] = (Bᵀ d B)[i, j], as `Winograd.transformInput`, written to the
    /// tile's panel lane. Input columns are gathered split by parity: E[q] = column 2(tx0+q) - 1
    /// and O[q] = column 2(tx0+q), so each tile's four columns are E[q], O[q], E[q+1], O[q+1].
    /// While a channel is transformed, the lines the `next` tiles after the block read of it are
    /// fetched: a block reads four short row pieces of every channel plane, more streams than
    /// the hardware prefetcher follows, and at 1024² the loads waited on memory most of the time.
    static func transformInput(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, tw: Int, styles: [Float]?,
                               first: Int, used: Int, next: Int, scratch s: Scratch) {
        let n = Scratch.rowLength, panelSize = cin * panel, pointStride = (blockTiles / panel) * panelSize
        let e = s.rows, o = s.rows + 4 * n          // d rows, then r rows in place
        runs(first: first, used: used, tw: tw) { ty, tx0, count, at in
            for c in 0..<cin {
                let sc = styles?[c] ?? 1, plane = x + c * h * w
                if next > 0 && at == 0 { prefetchTiles(plane, h: h, w: w, tw: tw, first: first + used, count: next) }
                for k in 0..<4 { gatherRow(plane, h: h, w: w, y: 2 * ty - 1 + k, tx0: tx0, count: count, scale: sc, even: e + k * n, odd: o + k * n) }
                // r = Bᵀ d: r0 = d0 - d2, r1 = d1 + d2, r2 = d2 - d1, r3 = d1 - d3 (both parities)
                for base in 0..<2 {
                    let d0 = base == 0 ? e : o, (d1, d2, d3) = (d0 + n, d0 + 2 * n, d0 + 3 * n)
                    for q in stride(from: 0, through: count, by: 8) {   // rows hold whole vectors past count
                        let (a, b, c2, d) = (load8(d0 + q), load8(d1 + q), load8(d2 + q), load8(d3 + q))
                        store8(a - c2, d0 + q); store8(b + c2, d1 + q); store8(c2 - b, d2 + q); store8(b - d, d3 + q)
                    }
                }
                for i in 0..<4 {
                    let ri = e + i * n, si = o + i * n
                    var q = 0
                    while q < count {
                        let t = at + q, lane = t % panel, len = min(count - q, panel - lane)
                        let dst = s.v + (4 * i) * pointStride + (t / panel) * panelSize + c * panel + lane
                        let (v0, v1, v2, v3) = (dst, dst + pointStride, dst + 2 * pointStride, dst + 3 * pointStride)
                        var l = 0
                        while l + 8 <= len {
                            let a = load8(ri + q + l), b = load8(si + q + l), ee = load8(ri + q + l + 1), f = load8(si + q + l + 1)
                            store8(a - ee, v0 + l); store8(b + ee, v1 + l); store8(ee - b, v2 + l); store8(b - f, v3 + l)
                            l += 8
                        }
                        for l in l..<len {
                            let a = ri[q + l], b = si[q + l], ee = ri[q + l + 1], f = si[q + l + 1]
                            v0[l] = a - ee; v1[l] = b + ee; v2[l] = ee - b; v3[l] = b - f
                        }
                        q += len
                    }
                }
            }
        }
    }

    /// Row y of a plane (zero outside), scaled, split by parity for tiles tx0 ..< tx0 + count:
    /// even[q] = column 2(tx0 + q) - 1, odd[q] = column 2(tx0 + q), q = 0 ... count. Inside the
    /// image these are strided copies the compiler vectorises; the one or two q at the image's
    /// edges test each column. (`WinogradUpsampleBlocks` gathers its rows the same way.)
    @inline(__always)
    static func gatherRow(_ plane: UnsafePointer<Float>, h: Int, w: Int, y: Int, tx0: Int, count: Int, scale sc: Float,
                          even ek: UnsafeMutablePointer<Float>, odd ok: UnsafeMutablePointer<Float>) {
        if y < 0 || y >= h {
            ek.initialize(repeating: 0, count: count + 1); ok.initialize(repeating: 0, count: count + 1)
            return
        }
        let row = plane + y * w
        let lo = tx0 == 0 ? 1 : 0, hi = max(lo, min(count + 1, (w + 1) / 2 - tx0))
        let from = row + 2 * tx0 - 1
        for q in lo..<hi { ek[q] = from[2 * q] * sc; ok[q] = from[2 * q + 1] * sc }
        var q = 0
        while q <= count {
            if q == lo && lo < hi { q = hi; continue }
            let ce = 2 * (tx0 + q) - 1, co = ce + 1
            ek[q] = ce >= 0 && ce < w ? row[ce] * sc : 0
            ok[q] = co < w ? row[co] * sc : 0
            q += 1
        }
    }

    /// Fetches the lines of `plane` that tiles `first ..< first + count` read.
    static func prefetchTiles(_ plane: UnsafePointer<Float>, h: Int, w: Int, tw: Int, first: Int, count: Int) {
        runs(first: first, used: count, tw: tw) { ty, tx0, n, _ in
            let (c0, c1) = (max(0, 2 * tx0 - 1), min(w, 2 * (tx0 + n) + 1))
            for iy in max(0, 2 * ty - 1)..<min(h, 2 * ty + 3) { prefetch(plane + iy * w + c0, count: c1 - c0) }
        }
    }

    /// M[ξ][o][t] = scale · Σ_c U[ξ][o][c] V[ξ][t][c] for the block's first `used` tiles
    /// (`PanelTile`; past `used`, V holds zeros); `tiled`: each U[ξ] in `PanelTile`'s 8-row tiles.
    static func multiply(_ u: UnsafePointer<Float>, tiled: Bool = false, v: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                         cout: Int, cin: Int, scale: Float, used: Int) {
        let layout: PanelTile.Layout = tiled ? .tiles : .rows(lda: cin)
        for xi in 0..<16 {
            PanelTile.product(u + xi * cout * cin, layout: layout, count: cout, panel: v + xi * cin * panel, k: cin, scale: scale,
                              out: m + xi * cout * blockTiles, ldc: blockTiles, columns: used)
        }
    }

    /// out[o, 2ty + p, 2tx + q] = (Aᵀ M A)[p, q] inside the image, as `Winograd.transformOutput`.
    static func transformOutput(_ m: UnsafePointer<Float>, cout: Int, h: Int, w: Int, tw: Int, first: Int, used: Int,
                                into: Destination, tail: (StyledTail, plane0: Int)? = nil) {
        let step = cout * blockTiles, sumStride = Destination.rgbStride
        runs(first: first, used: used, tw: tw) { ty, tx0, count, at in
            let y = 2 * ty, hasRow1 = y + 1 < h, fullWidth = 2 * (tx0 + count) <= w
            let width = min(2 * count, w - 2 * tx0), sums1 = RGBProduct.accumulators * sumStride
            if case .rgb(_, _, let sums) = into { sums.initialize(repeating: 0, count: 2 * sums1) }
            for o in 0..<cout {
                let t = m + o * blockTiles + at
                let row0: UnsafeMutablePointer<Float>, row1: UnsafeMutablePointer<Float>
                switch into {
                case .planes(let out):
                    let plane = out + o * h * w
                    (row0, row1) = (plane + y * w + 2 * tx0, plane + (hasRow1 ? y + 1 : y) * w + 2 * tx0)
                case .rgb(_, let rows, _):
                    (row0, row1) = (rows, rows + (hasRow1 ? sumStride : 0))
                }
                // no edge: the same sums, eight tiles at a time; the rest (and edges) one by one
                var from = 0
                if hasRow1 && fullWidth {
                    var q = 0
                    while q + 8 <= count {
                        let m0 = load8(t + q), m1 = load8(t + step + q), m2 = load8(t + 2 * step + q), m3 = load8(t + 3 * step + q)
                        let m4 = load8(t + 4 * step + q), m5 = load8(t + 5 * step + q), m6 = load8(t + 6 * step + q), m7 = load8(t + 7 * step + q)
                        let m8 = load8(t + 8 * step + q), m9 = load8(t + 9 * step + q), m10 = load8(t + 10 * step + q), m11 = load8(t + 11 * step + q)
                        let m12 = load8(t + 12 * step + q), m13 = load8(t + 13 * step + q), m14 = load8(t + 14 * step + q), m15 = load8(t + 15 * step + q)
                        let a00 = m0 + m4 + m8, a01 = m1 + m5 + m9, a02 = m2 + m6 + m10, a03 = m3 + m7 + m11
                        let a10 = m4 - m8 - m12, a11 = m5 - m9 - m13, a12 = m6 - m10 - m14, a13 = m7 - m11 - m15
                        storePairs(a00 + a01 + a02, a01 - a02 - a03, row0 + 2 * q)
                        storePairs(a10 + a11 + a12, a11 - a12 - a13, row1 + 2 * q)
                        q += 8
                    }
                    from = q
                }
                for q in from..<count {
                    let m0 = t[q], m1 = t[step + q], m2 = t[2 * step + q], m3 = t[3 * step + q]
                    let m4 = t[4 * step + q], m5 = t[5 * step + q], m6 = t[6 * step + q], m7 = t[7 * step + q]
                    let m8 = t[8 * step + q], m9 = t[9 * step + q], m10 = t[10 * step + q], m11 = t[11 * step + q]
                    let m12 = t[12 * step + q], m13 = t[13 * step + q], m14 = t[14 * step + q], m15 = t[15 * step + q]
                    let a00 = m0 + m4 + m8, a01 = m1 + m5 + m9, a02 = m2 + m6 + m10, a03 = m3 + m7 + m11
                    let a10 = m4 - m8 - m12, a11 = m5 - m9 - m13, a12 = m6 - m10 - m14, a13 = m7 - m11 - m15
                    let inside = fullWidth || 2 * (tx0 + q) + 1 < w
                    row0[2 * q] = a00 + a01 + a02
                    if inside { row0[2 * q + 1] = a01 - a02 - a03 }
                    if hasRow1 {
                        row1[2 * q] = a10 + a11 + a12
                        if inside { row1[2 * q + 1] = a11 - a12 - a13 }
                    }
                }
                if let (tail, plane0) = tail {
                    tail.apply(row0, count: width, plane: plane0 + o, pixel: y * w + 2 * tx0)
                    if hasRow1 { tail.apply(row1, count: width, plane: plane0 + o, pixel: (y + 1) * w + 2 * tx0) }
                }
                if case .rgb(let rgb, _, let sums) = into {
                    rgb.add(row0, channel: o, count: width, acc: sums, stride: sumStride)
                    if hasRow1 { rgb.add(row1, channel: o, count: width, acc: sums + sums1, stride: sumStride) }
                }
            }
            if case .rgb(let rgb, _, let sums) = into {
                rgb.finish(sums, stride: sumStride, count: width, pixel: y * w + 2 * tx0)
                if hasRow1 { rgb.finish(sums + sums1, stride: sumStride, count: width, pixel: (y + 1) * w + 2 * tx0) }
            }
        }
    }

    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) static func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { load8(UnsafePointer(p)) }
    @inline(__always) static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD8<Float>.self)
    }
    /// p[2i] = x[i], p[2i + 1] = y[i].
    @inline(__always) static func storePairs(_ x: SIMD8<Float>, _ y: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) {
        let v = SIMD16<Float>(x[0], y[0], x[1], y[1], x[2], y[2], x[3], y[3], x[4], y[4], x[5], y[5], x[6], y[6], x[7], y[7])
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
