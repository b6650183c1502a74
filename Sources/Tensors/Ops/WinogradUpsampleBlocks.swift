/// `WinogradUpsample`'s F(2, 2) on the output phases, fused per block of 48 tiles as
/// `WinogradBlocks` does for the same-size convolution: the block's 25 transformed input
/// slots, their 25 `PanelTile` products and the output transform run while V and M stay in the
/// core's cache. Over bands of tile rows (the other path) the 64²-256² upsamplers spent more
/// time moving V and M through memory and repacking them for OpenBLAS than multiplying.
///
/// The transforms are `WinogradUpsample`'s, term for term; each product element is
/// `PanelTile`'s ordered sum over the input channels, so a block's bytes depend on nothing but
/// its own tiles (not the thread count, not the batch).
public enum WinogradUpsampleBlocks {
    static let blockTiles = PanelTile.width
    static let slots = WinogradUpsample.slots, slotStart = WinogradUpsample.slotStart, totalSlots = WinogradUpsample.totalSlots

    /// Output channels in whole register tiles, at most 512 channels (U [16, cout, cin] is then
    /// 16 MB, read from L3 once per block), and at least four blocks of tiles.
    public static func applies(cin: Int, cout: Int, tiles: Int) -> Bool {
        cin <= 512 && cout <= 512 && cout % PanelTile.rows == 0 && tiles >= 4 * blockTiles
    }

    /// One image: x [cin, h, w] (channel c scaled by `styles[c]` when given) into
    /// out [cout, 2h+1, 2w+1] = scale · conv_transpose2d(x, weight, stride 2); `u` = `WinogradUpsample.pack(weight)`.
    static func forward(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, styles: [Float]?,
                        u: UnsafePointer<Float>, cout: Int, scale: Float, out: UnsafeMutablePointer<Float>) {
        let (th, tw) = ((h + 2) / 2, (w + 2) / 2), total = th * tw
        let blocks = (total + blockTiles - 1) / blockTiles
        let xs = ReadPointer(x), us = ReadPointer(u), os = SendablePointer(out)
        Parallel.for(blocks, costPerItem: 50 * cin * cout * blockTiles) { range in
            let scratch = Scratch(cin: cin, cout: cout)
            defer { scratch.release() }
            for b in range {
                let t0 = b * blockTiles, used = min(blockTiles, total - t0)
                if used < blockTiles { scratch.v.initialize(repeating: 0, count: totalSlots * cin * blockTiles) }
                let next = min(blockTiles, max(0, total - t0 - blockTiles))
                transformInput(xs.p, cin: cin, h: h, w: w, tw: tw, styles: styles, first: t0, used: used,
                               next: next, scratch: scratch)
                multiply(us.p, v: scratch.v, m: scratch.m, cout: cout, cin: cin, scale: scale, used: used)
                transformOutput(scratch.m, cout: cout, h: h, w: w, tw: tw, first: t0, used: used, out: os.p)
            }
        }
    }

    /// A worker's buffers: V [25][cin][48], M [25][cout][48], and the three input rows split
    /// into even and odd columns, then the two differences of rows along y.
    struct Scratch {
        let v, m, rows: UnsafeMutablePointer<Float>
        static let rowLength = blockTiles + 8
        init(cin: Int, cout: Int) {
            v = .allocate(capacity: totalSlots * cin * blockTiles)
            m = .allocate(capacity: totalSlots * cout * blockTiles)
            rows = .allocate(capacity: 10 * Self.rowLength)
        }
        func release() { v.deallocate(); m.deallocate(); rows.deallocate() }
    }

    /// V[slot][c][lane] as `WinogradUpsample.transformInput`: tile (ty, tx) reads the 3x3 patch
    /// d[a][b] = x[2ty - 1 + a, 2tx - 1 + b]. Columns are gathered split by parity: E[q] =
    /// column 2(tx0 + q) - 1, O[q] = column 2(tx0 + q), so a tile's three columns are E[q], O[q],
    /// E[q + 1] and every slot is one vector expression over q.
    static func transformInput(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, tw: Int, styles: [Float]?,
                               first: Int, used: Int, next: Int, scratch s: Scratch) {
        let n = Scratch.rowLength, slotSize = cin * blockTiles
        let e = s.rows, o = s.rows + 3 * n                      // d rows k = 0, 1, 2 by parity
        let re0 = s.rows + 6 * n, ro0 = re0 + n, re2 = re0 + 2 * n, ro2 = re0 + 3 * n   // d0 - d1, d2 - d1
        WinogradBlocks.runs(first: first, used: used, tw: tw) { ty, tx0, count, at in
            for c in 0..<cin {
                let sc = styles?[c] ?? 1, plane = x + c * h * w
                if next > 0 && at == 0 { prefetchTiles(plane, h: h, w: w, tw: tw, first: first + used, count: next) }
                for k in 0..<3 {
                    WinogradBlocks.gatherRow(plane, h: h, w: w, y: 2 * ty - 1 + k, tx0: tx0, count: count, scale: sc,
                                             even: e + k * n, odd: o + k * n)
                }
                // Bᵀ along y: r0 = d0 - d1, r1 = d1, r2 = d2 - d1 (rows hold whole vectors past count)
                let (e1, o1, e2, o2) = (e + n, o + n, e + 2 * n, o + 2 * n)
                for q in stride(from: 0, through: count, by: 8) {
                    let (a, b) = (load8(e1 + q), load8(o1 + q))
                    store8(load8(e + q) - a, re0 + q); store8(load8(o + q) - b, ro0 + q)
                    store8(load8(e2 + q) - a, re2 + q); store8(load8(o2 + q) - b, ro2 + q)
                }
                let base = s.v + c * blockTiles + at
                func slot(_ g: Int, _ k: Int) -> UnsafeMutablePointer<Float> { base + (slotStart[g] + k) * slotSize }
                // ee (Bᵀ along x of r_i) and eo (columns X, X + 1 of r_i), i = 0, 1, 2
                for i in 0..<3 {
                    let (re, ro) = i == 0 ? (re0, ro0) : i == 1 ? (e1, o1) : (re2, ro2)
                    write(re, ro, count: count, minus: slot(3 * i, 0), odd: slot(3 * i + 1, 0), next: slot(3 * i + 2, 0),
                          oddCopy: slot(9 + i, 0), evenNext: slot(9 + i, 1))
                }
                // oe (Bᵀ along x of rows m, m + 1) and oo (the four inputs)
                for k in 0..<2 {
                    let (re, ro) = k == 0 ? (e1, o1) : (e2, o2)
                    write(re, ro, count: count, minus: slot(12, k), odd: slot(13, k), next: slot(14, k),
                          oddCopy: slot(15, 2 * k), evenNext: slot(15, 2 * k + 1))
                }
            }
        }
    }

    /// For q < count, with a = E[q], b = O[q], e = E[q + 1]: minus = a - b, odd = b, next = e - b,
    /// oddCopy = b, evenNext = e.
    @inline(__always)
    static func write(_ re: UnsafePointer<Float>, _ ro: UnsafePointer<Float>, count: Int,
                      minus: UnsafeMutablePointer<Float>, odd: UnsafeMutablePointer<Float>, next: UnsafeMutablePointer<Float>,
                      oddCopy: UnsafeMutablePointer<Float>, evenNext: UnsafeMutablePointer<Float>) {
        var q = 0
        while q + 8 <= count {
            let a = load8(re + q), b = load8(ro + q), e = load8(re + q + 1)
            store8(a - b, minus + q); store8(b, odd + q); store8(e - b, next + q); store8(b, oddCopy + q); store8(e, evenNext + q)
            q += 8
        }
        for q in q..<count {
            let a = re[q], b = ro[q], e = re[q + 1]
            minus[q] = a - b; odd[q] = b; next[q] = e - b; oddCopy[q] = b; evenNext[q] = e
        }
    }

    /// Fetches the lines of `plane` that tiles `first ..< first + count` read.
    static func prefetchTiles(_ plane: UnsafePointer<Float>, h: Int, w: Int, tw: Int, first: Int, count: Int) {
        WinogradBlocks.runs(first: first, used: count, tw: tw) { ty, tx0, n, _ in
            let (c0, c1) = (max(0, 2 * tx0 - 1), min(w, 2 * (tx0 + n)))
            for iy in max(0, 2 * ty - 1)..<min(h, 2 * ty + 2) { prefetch(plane + iy * w + c0, count: c1 - c0) }
        }
    }

    /// M[slot][o][t] = scale · Σ_c U[group][o][c] V[slot][c][t] for the block's first `used`
    /// tiles (past `used`, V holds zeros).
    static func multiply(_ u: UnsafePointer<Float>, v: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                         cout: Int, cin: Int, scale: Float, used: Int) {
        for g in 0..<16 {
            for k in 0..<slots[g] {
                let at = slotStart[g] + k
                PanelTile.product(u + g * cout * cin, lda: cin, count: cout, panel: v + at * cin * blockTiles, k: cin,
                                  scale: scale, out: m + at * cout * blockTiles, ldc: blockTiles, columns: used)
            }
        }
    }

    /// The phases of each tile, a 4x4 piece of out [cout, 2h+1, 2w+1] at rows 4ty, columns 4tx
    /// (Aᵀ M A along each two-tap direction, as `WinogradUpsample.transformOutput`), inside the image only.
    static func transformOutput(_ m: UnsafePointer<Float>, cout: Int, h: Int, w: Int, tw: Int, first: Int, used: Int,
                                out: UnsafeMutablePointer<Float>) {
        let (oh, ow) = (2 * h + 1, 2 * w + 1), step = cout * blockTiles
        WinogradBlocks.runs(first: first, used: used, tw: tw) { ty, tx0, count, at in
            let my = 2 * ty
            for o in 0..<cout {
                let t = m + o * blockTiles + at
                func slot(_ g: Int, _ k: Int) -> UnsafePointer<Float> { t + (slotStart[g] + k) * step }
                let plane = out + o * oh * ow + 4 * tx0
                // interior: all 16 outputs of the tile inside, eight tiles at a time
                let whole = my + 1 < h && 2 * (tx0 + count) <= w
                var from = 0
                if whole {
                    var q = 0
                    while q + 8 <= count {
                        for p in 0..<2 {
                            let z0 = load8(slot(3 * p, 0) + q) + load8(slot(3 * p + 3, 0) + q)
                            let z1 = load8(slot(3 * p + 1, 0) + q) + load8(slot(3 * p + 4, 0) + q)
                            let z2 = load8(slot(3 * p + 2, 0) + q) + load8(slot(3 * p + 5, 0) + q)
                            let u0 = load8(slot(9 + p, 0) + q) + load8(slot(10 + p, 0) + q)
                            let u1 = load8(slot(9 + p, 1) + q) + load8(slot(10 + p, 1) + q)
                            storeQuads(z0 + z1, u0, z1 + z2, u1, plane + 2 * (my + p) * ow + 4 * q)
                        }
                        for k in 0..<2 {
                            let (a, b, c) = (load8(slot(12, k) + q), load8(slot(13, k) + q), load8(slot(14, k) + q))
                            storeQuads(a + b, load8(slot(15, 2 * k) + q), b + c, load8(slot(15, 2 * k + 1) + q),
                                       plane + (2 * (my + k) + 1) * ow + 4 * q)
                        }
                        q += 8
                    }
                    from = q
                }
                for q in from..<count {
                    let mx = 2 * (tx0 + q), col = plane + 4 * q
                    for p in 0..<2 where my + p <= h {
                        let row = col + 2 * (my + p) * ow
                        let z0 = slot(3 * p, 0)[q] + slot(3 * p + 3, 0)[q], z1 = slot(3 * p + 1, 0)[q] + slot(3 * p + 4, 0)[q]
                        let z2 = slot(3 * p + 2, 0)[q] + slot(3 * p + 5, 0)[q]
                        row[0] = z0 + z1
                        if mx + 1 <= w { row[2] = z1 + z2 }
                        for k in 0..<2 where mx + k < w { row[2 * k + 1] = slot(9 + p, k)[q] + slot(10 + p, k)[q] }
                    }
                    for k in 0..<2 where my + k < h {
                        let row = col + (2 * (my + k) + 1) * ow
                        let (a, b, c) = (slot(12, k)[q], slot(13, k)[q], slot(14, k)[q])
                        row[0] = a + b
                        if mx + 1 <= w { row[2] = b + c }
                        for j in 0..<2 where mx + j < w { row[2 * j + 1] = slot(15, 2 * k + j)[q] }
                    }
                }
            }
        }
    }

    @inline(__always) static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { WinogradBlocks.load8(p) }
    @inline(__always) static func load8(_ p: UnsafeMutablePointer<Float>) -> SIMD8<Float> { WinogradBlocks.load8(p) }
    @inline(__always) static func store8(_ v: SIMD8<Float>, _ p: UnsafeMutablePointer<Float>) { WinogradBlocks.store8(v, p) }
    /// p[4i + j] = (a, b, c, d)[j][i].
    @inline(__always) static func storeQuads(_ a: SIMD8<Float>, _ b: SIMD8<Float>, _ c: SIMD8<Float>, _ d: SIMD8<Float>,
                                             _ p: UnsafeMutablePointer<Float>) {
        let lo = SIMD16<Float>(a[0], b[0], c[0], d[0], a[1], b[1], c[1], d[1], a[2], b[2], c[2], d[2], a[3], b[3], c[3], d[3])
        let hi = SIMD16<Float>(a[4], b[4], c[4], d[4], a[5], b[5], c[5], d[5], a[6], b[6], c[6], d[6], a[7], b[7], c[7], d[7])
        UnsafeMutableRawPointer(p).storeBytes(of: lo, as: SIMD16<Float>.self)
        UnsafeMutableRawPointer(p + 16).storeBytes(of: hi, as: SIMD16<Float>.self)
    }
}
