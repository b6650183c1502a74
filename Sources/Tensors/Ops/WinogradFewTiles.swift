/// `WinogradBlocks` for planes of few tiles (8x8 to 26x26: IR-SE50's 14x14 stage, the
/// generator's 8x8 and 16x16 layers): the tiles of several images share the panels, and the
/// cores split the output channels instead of the blocks. Per image, such a layer was 16 GEMMs
/// of 49 columns (at 14x14) in which OpenBLAS spent as long repacking the weight as
/// multiplying, and a batch read the weight once per image.
///
/// Every output is the same `PanelTile` sum as in `WinogradBlocks.forward`, lane for lane, so
/// the bytes depend on neither the batch, nor the thread count, nor which of the two paths ran.
extension WinogradBlocks {
    /// Lanes per chunk of whole images: V and M of 8 panels at 256 channels are 3 MB together.
    static let fewLanes = 8 * PanelTile.width

    /// The layers `forward` leaves to the bands: fewer than four blocks of tiles per image.
    public static func appliesFew(cin: Int, cout: Int, tiles: Int) -> Bool {
        cin <= 512 && cout <= 512 && cout % rowsPerTile == 0 && tiles < 4 * blockTiles
    }

    /// x [n, cin, h, w] (image b's channel c scaled by `styles[b * cin + c]` when given) into
    /// out [n, cout, h, w] = scale * conv3x3(x, weight); `u` = `Winograd.pack(weight)`.
    public static func forwardFew(_ x: UnsafePointer<Float>, n: Int, cin: Int, h: Int, w: Int, styles: [Float]?,
                           u: UnsafePointer<Float>, cout: Int, scale: Float, out: UnsafeMutablePointer<Float>) {
        let (th, tw) = ((h + 1) / 2, (w + 1) / 2), tiles = th * tw
        let perChunk = max(1, min(n, fewLanes / tiles)), capacity = (perChunk * tiles + panel - 1) / panel * panel
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * cin * capacity)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * cout * capacity)
        defer { v.deallocate(); m.deallocate() }
        let xs = ReadPointer(x), us = ReadPointer(u), os = SendablePointer(out), vs = SendablePointer(v), ms = SendablePointer(m)
        for b0 in stride(from: 0, to: n, by: perChunk) {
            let images = b0..<min(n, b0 + perChunk), used = images.count * tiles
            let lanes = (used + panel - 1) / panel * panel, panelSize = cin * panel
            // the last panel's lanes past `used` are read by its product (never stored): zeros
            if used < lanes {
                for xi in 0..<16 { (v + (xi * lanes / panel + lanes / panel - 1) * panelSize).initialize(repeating: 0, count: panelSize) }
            }
            Parallel.for(cin, costPerItem: 64 * used) { range in
                let rows = UnsafeMutablePointer<Float>.allocate(capacity: 8 * Scratch.rowLength)
                defer { rows.deallocate() }
                for b in images {
                    let st = styles.map { Array($0[(b * cin)..<((b + 1) * cin)]) }
                    // runs of at most a block's tiles: the length of `rows`
                    for t0 in stride(from: 0, to: tiles, by: blockTiles) {
                        transformInput(xs.p + b * cin * h * w, cin: cin, h: h, w: w, tw: tw, styles: st, first: t0,
                                       used: min(blockTiles, tiles - t0), v: vs.p, lanes: lanes, lane: (b - b0) * tiles + t0,
                                       channels: range, rows: rows)
                    }
                }
            }
            Parallel.for(cout / rowsPerTile, costPerItem: 32 * cin * used) { range in
                multiply(us.p, v: vs.p, m: ms.p, cout: cout, cin: cin, scale: scale, lanes: lanes, used: used,
                         outputs: (range.lowerBound * rowsPerTile)..<(range.upperBound * rowsPerTile))
            }
            Parallel.for(cout, costPerItem: 24 * used) { range in
                for b in images {
                    transformOutput(ms.p, cout: cout, h: h, w: w, tw: tw, first: 0, used: tiles, lanes: lanes,
                                    lane: (b - b0) * tiles, channels: range, out: os.p + b * cout * h * w)
                }
            }
        }
    }
}
