/// Winograd F(2x2, 3x3) for frozen weights on planes of few tiles (IR-SE50's 14x14 stage: 49
/// tiles an image, 256 channels), where `WinogradBlocks` does not apply. The 16 point weights
/// are packed once at load (`PackedMatrix`), and each point's product takes the tiles of the
/// whole batch as its rows: M[ξ] [tiles, cout] = V[ξ] [tiles, cin] U[ξ]ᵀ. Per image, OpenBLAS
/// packed the 256 x 256 point weight again for 49 columns (its copies took 40% of its
/// multiplying time) and read every weight once per image.
///
/// Each M element is `TileProduct`'s one chain over the input channels, so an image's bytes
/// depend on neither its batch nor the thread count. The transforms are `Winograd`'s, term for
/// term, vectorised over channels: the image is turned channel-last first (a quarter of V's size).
public struct WinogradRows: Sendable {
    /// U[ξ] as [cout, cin] for each of the 16 points.
    public let points: [PackedMatrix]
    public var inChannels: Int { points[0].inFeatures }
    public var outChannels: Int { points[0].outFeatures }
    static let lanes = 16

    /// Where this path runs: 3x3 same-size convolutions of 8x8 to 32x32 (at most 256 tiles an
    /// image: IR-SE50's 28x28 made five fused blocks, which two cores split 3 : 2), with channels
    /// in whole vectors.
    public static func applies(cin: Int, cout: Int, h: Int, w: Int) -> Bool {
        min(h, w) >= Winograd.minimumSide && ((h + 1) / 2) * ((w + 1) / 2) <= 256 && cin % lanes == 0 && cout % lanes == 0
    }

    /// `packed` = `Winograd.pack(weight)` [16, cout, cin].
    public init(_ packed: Tensor) {
        let (cout, cin) = (packed.shape[1], packed.shape[2])
        precondition(packed.shape[0] == 16, "WinogradRows: packed weight \(packed.shape)")
        points = (0..<16).map { xi in PackedMatrix(packed.slice(xi..<(xi + 1)).reshaped([cout, cin])) }
    }

    /// x [N, cin, H, W] -> conv3x3(x, weight, padding 1) [N, cout, H, W].
    public func forward(_ x: Tensor) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), cout = outChannels
        precondition(cin == inChannels, "WinogradRows: \(cin) input channels for \(inChannels)")
        let (th, tw) = ((h + 1) / 2, (w + 1) / 2), tiles = th * tw, rows = n * tiles
        var out = Tensor(uninitialized: [n, cout, h, w])
        let v = UnsafeMutablePointer<Float>.allocate(capacity: 16 * rows * cin)
        let m = UnsafeMutablePointer<Float>.allocate(capacity: 16 * rows * cout)
        let (ph, pw) = (2 * th + 2, 2 * tw + 2)       // the image at (1, 1), zeros around it
        let last = UnsafeMutablePointer<Float>.allocate(capacity: n * max(ph * pw * cin, h * w * cout))
        defer { v.deallocate(); m.deallocate(); last.deallocate() }
        let vs = SendablePointer(v), ms = SendablePointer(m), ls = SendablePointer(last)
        x.withUnsafeBufferPointer { xp in
            let xs = ReadPointer(xp.baseAddress!)
            Self.channelsLast(xs.p, n: n, c: cin, h: h, w: w, ph: ph, pw: pw, into: ls.p)
            Parallel.for(n * th, costPerItem: 48 * tw * cin) { range in
                for r in range {
                    Self.transformInput(ls.p + (r / th) * ph * pw * cin, cin: cin, pw: pw, tiles: tw, ty: r % th,
                                        v: vs.p + (r / th) * tiles * cin + (r % th) * tw * cin, pointStride: rows * cin)
                }
            }
        }
        // one parallel loop over (point, panel): 16 loops of a tenth of a millisecond each spent a
        // good part of it waking the other core
        let panels = (cout + PackedMatrix.width - 1) / PackedMatrix.width
        let ws = points.map { ReadPointer(UnsafePointer($0.panels.storage.pointer)) }   // alive while self is
        Parallel.for(16 * panels, costPerItem: 2 * rows * cin * PackedMatrix.width) { range in
            var item = range.lowerBound
            while item < range.upperBound {
                let xi = item / panels, p0 = item % panels, p1 = min(panels, p0 + range.upperBound - item)
                TileProduct.run(a: vs.p + xi * rows * cin, lda: cin, rows: rows, k: cin, b: ws[xi].p, ldb: PackedMatrix.width,
                                panelStride: cin * PackedMatrix.width, cols: cout, panels: p0..<p1, alpha: 1, bias: nil,
                                c: ms.p + xi * rows * cout, ldc: cout)
                item += p1 - p0
            }
        }
        Parallel.for(n * th, costPerItem: 32 * tw * cout) { range in
            for r in range {
                Self.transformOutput(ms.p + (r / th) * tiles * cout + (r % th) * tw * cout, pointStride: rows * cout, cout: cout,
                                     h: h, w: w, ty: r % th, into: ls.p + (r / th) * h * w * cout)
            }
        }
        out.withUnsafeMutableBufferPointer { op in
            Self.channelsFirst(ls.p, n: n, c: cout, plane: h * w, into: op.baseAddress!)
        }
        return out
    }

    /// [n, c, h, w] -> [n, ph, pw, c] with the image at (1, 1) and zeros around it, 16 channels
    /// at a time (a pixel's 16 values are one line).
    static func channelsLast(_ x: UnsafePointer<Float>, n: Int, c: Int, h: Int, w: Int, ph: Int, pw: Int,
                             into y: UnsafeMutablePointer<Float>) {
        let xs = ReadPointer(x), ys = SendablePointer(y), groups = (c + lanes - 1) / lanes
        Parallel.for(n * groups, costPerItem: 2 * lanes * ph * pw) { range in
            for item in range {
                let (b, c0) = (item / groups, (item % groups) * lanes), c1 = min(c, c0 + lanes)
                let src = xs.p + (b * c + c0) * h * w, dst = ys.p + b * ph * pw * c + c0
                for py in 0..<ph {
                    for px in 0..<pw {
                        let (iy, ix) = (py - 1, px - 1), d = dst + (py * pw + px) * c
                        if iy < 0 || iy >= h || ix < 0 || ix >= w {
                            for j in 0..<(c1 - c0) { d[j] = 0 }
                        } else {
                            for j in 0..<(c1 - c0) { d[j] = src[j * h * w + iy * w + ix] }
                        }
                    }
                }
            }
        }
    }

    /// [n, plane, c] -> [n, c, plane], the same way.
    static func channelsFirst(_ y: UnsafePointer<Float>, n: Int, c: Int, plane: Int, into x: UnsafeMutablePointer<Float>) {
        let ys = ReadPointer(y), xs = SendablePointer(x), groups = (c + lanes - 1) / lanes
        Parallel.for(n * groups, costPerItem: 2 * lanes * plane) { range in
            for item in range {
                let (b, c0) = (item / groups, (item % groups) * lanes), c1 = min(c, c0 + lanes)
                let src = ys.p + b * plane * c + c0, dst = xs.p + (b * c + c0) * plane
                for i in 0..<plane {
                    for j in 0..<(c1 - c0) { dst[j * plane + i] = src[i * c + j] }
                }
            }
        }
    }

    /// V[ξ = 4i + j][tile][c] = (Bᵀ d B)[i, j] for the tiles of tile row `ty` of one image
    /// (channel-last and padded, [ph, pw, cin]), 16 channels at a time, in
    /// `Winograd.transformInput`'s order: r = Bᵀ d along the rows, then v = r B along the columns.
    static func transformInput(_ x: UnsafePointer<Float>, cin: Int, pw: Int, tiles: Int, ty: Int,
                               v: UnsafeMutablePointer<Float>, pointStride: Int) {
        typealias V16 = SIMD16<Float>
        for tx in 0..<tiles {
            let out = v + tx * cin, corner = x + (2 * ty * pw + 2 * tx) * cin
            for c in stride(from: 0, to: cin, by: lanes) {
                @inline(__always) func at(_ row: Int, _ col: Int) -> V16 {
                    UnsafeRawPointer(corner + (row * pw + col) * cin + c).loadUnaligned(as: V16.self)
                }
                // column j of r = Bᵀ d
                let (a0, a1, a2, a3) = (at(0, 0), at(1, 0), at(2, 0), at(3, 0))
                let (b0, b1, b2, b3) = (at(0, 1), at(1, 1), at(2, 1), at(3, 1))
                let (e0, e1, e2, e3) = (at(0, 2), at(1, 2), at(2, 2), at(3, 2))
                let (f0, f1, f2, f3) = (at(0, 3), at(1, 3), at(2, 3), at(3, 3))
                let ra = (a0 - a2, a1 + a2, a2 - a1, a1 - a3), rb = (b0 - b2, b1 + b2, b2 - b1, b1 - b3)
                let re = (e0 - e2, e1 + e2, e2 - e1, e1 - e3), rf = (f0 - f2, f1 + f2, f2 - f1, f1 - f3)
                // row i of r B: v[4i + 0...3] from (a, b, e, f) = r[i][0...3]
                @inline(__always) func emit(_ i: Int, _ a: V16, _ b: V16, _ e: V16, _ f: V16) {
                    let base = out + 4 * i * pointStride + c
                    store(a - e, base); store(b + e, base + pointStride)
                    store(e - b, base + 2 * pointStride); store(b - f, base + 3 * pointStride)
                }
                emit(0, ra.0, rb.0, re.0, rf.0); emit(1, ra.1, rb.1, re.1, rf.1)
                emit(2, ra.2, rb.2, re.2, rf.2); emit(3, ra.3, rb.3, re.3, rf.3)
            }
        }
    }

    /// The tile row `ty` of one image's output, channel-last [h, w, cout], from M[ξ][tile][cout]:
    /// (Aᵀ M A) in `Winograd.transformOutput`'s order, inside the image.
    static func transformOutput(_ m: UnsafePointer<Float>, pointStride: Int, cout: Int, h: Int, w: Int, ty: Int,
                                into y: UnsafeMutablePointer<Float>) {
        typealias V16 = SIMD16<Float>
        for tx in 0..<((w + 1) / 2) {
            let t = m + tx * cout
            for c in stride(from: 0, to: cout, by: lanes) {
                func at(_ xi: Int) -> V16 { UnsafeRawPointer(t + xi * pointStride + c).loadUnaligned(as: V16.self) }
                let (m0, m1, m2, m3, m4, m5, m6, m7) = (at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7))
                let (m8, m9, m10, m11, m12, m13, m14, m15) = (at(8), at(9), at(10), at(11), at(12), at(13), at(14), at(15))
                let a00 = m0 + m4 + m8, a01 = m1 + m5 + m9, a02 = m2 + m6 + m10, a03 = m3 + m7 + m11
                let a10 = m4 - m8 - m12, a11 = m5 - m9 - m13, a12 = m6 - m10 - m14, a13 = m7 - m11 - m15
                let (row, col) = (2 * ty, 2 * tx)
                store(a00 + a01 + a02, y + (row * w + col) * cout + c)
                if col + 1 < w { store(a01 - a02 - a03, y + (row * w + col + 1) * cout + c) }
                if row + 1 < h {
                    store(a10 + a11 + a12, y + ((row + 1) * w + col) * cout + c)
                    if col + 1 < w { store(a11 - a12 - a13, y + ((row + 1) * w + col + 1) * cout + c) }
                }
            }
        }
    }

    @inline(__always) static func store(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
    }
}
