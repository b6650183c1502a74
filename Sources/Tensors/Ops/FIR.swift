/// Separable FIR filtering without resampling (upfirdn2d with up = down = 1). StyleGAN2's blur
/// after every upsampling conv runs here (4 taps per axis, pad (1, 1)), and so does its adjoint.
///
/// Each plane streams through once: input rows are filtered along W into a ring of `kh` rows,
/// and each output row combines the ring's rows in one pass. Everything but the plane itself
/// stays in L1, and every output element is written once.
enum FIR {
    /// x [N, C, H, W] -> [N, C, H + padY0 + padY1 - kh + 1, W + padX0 + padX1 - kw + 1];
    /// `rows`/`cols` are the 1-D kernels (true convolution: applied flipped). A `tail` is
    /// applied to each output row as it is written.
    static func apply(_ x: Tensor, rows kr: [Float], cols kc: [Float], padY: (Int, Int), padX: (Int, Int),
                      tail: StyledTail? = nil) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = h + padY.0 + padY.1 - kr.count + 1, ow = w + padX.0 + padX.1 - kc.count + 1
        var out = Tensor(uninitialized: [n, c, max(oh, 0), max(ow, 0)])
        if out.count == 0 { return out }
        let fr = Array(kr.reversed()), fc = Array(kc.reversed()), kh = fr.count
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = ReadPointer(src.baseAddress!), d = SendablePointer(dst.baseAddress!)
                Parallel.for(n * c, costPerItem: (h * ow * fc.count + oh * ow * fr.count) * 2) { planes in
                    let ring = UnsafeMutablePointer<Float>.allocate(capacity: kh * ow)
                    defer { ring.deallocate() }
                    var taps = [(Float, UnsafePointer<Float>)]()
                    taps.reserveCapacity(kh)
                    for p in planes {
                        let ip = s.p + p * h * w, op = d.p + p * oh * ow
                        var next = 0   // the next input row to filter along W
                        for o in 0..<oh {
                            // out[o, :] = sum_t fr[t] * tmp[o + t - padY0, :], tmp = x filtered along W
                            let last = min(h - 1, o + kh - 1 - padY.0)
                            while next <= last {
                                filterRow(ip + next * w, w: w, into: ring + (next % kh) * ow, ow: ow, taps: fc, pad: padX.0)
                                next += 1
                            }
                            ringTaps(&taps, output: o, kernel: fr, pad: padY.0, rows: h, ring: ring, width: ow)
                            combine(taps, into: op + o * ow, count: ow)
                            tail?.apply(op + o * ow, count: ow, plane: p, pixel: o * ow)
                        }
                    }
                }
            }
        }
        return out
    }

    /// The (tap, filtered row) pairs of output row o: input row iy = o + t - pad lies in ring
    /// slot iy % kh (rows outside 0 ..< rows are left out).
    @inline(__always)
    static func ringTaps(_ taps: inout [(Float, UnsafePointer<Float>)], output o: Int, kernel fr: [Float], pad: Int, rows h: Int,
                         ring: UnsafePointer<Float>, width ow: Int) {
        taps.removeAll(keepingCapacity: true)
        for t in 0..<fr.count {
            let iy = o + t - pad
            if iy >= 0 && iy < h { taps.append((fr[t], ring + (iy % fr.count) * ow)) }
        }
    }

    /// out[o] = sum_t k[t] * row[o + t - pad] (zero outside the row).
    @inline(__always)
    static func filterRow(_ row: UnsafePointer<Float>, w: Int, into out: UnsafeMutablePointer<Float>, ow: Int,
                          taps k: [Float], pad: Int) {
        let kw = k.count
        // interior: every tap inside the row
        let lo = min(ow, max(0, pad)), hi = max(lo, min(ow, w - kw + 1 + pad))
        func edge(_ o: Int) {
            var acc: Float = 0
            for t in 0..<kw { let i = o + t - pad; if i >= 0 && i < w { acc += k[t] * row[i] } }
            out[o] = acc
        }
        for o in 0..<lo { edge(o) }
        if kw == 4 {
            let (k0, k1, k2, k3) = (k[0], k[1], k[2], k[3]), r = row - pad
            for o in lo..<hi { out[o] = k0 * r[o] + k1 * r[o + 1] + k2 * r[o + 2] + k3 * r[o + 3] }
        } else {
            for o in lo..<hi {
                var acc: Float = 0
                for t in 0..<kw { acc += k[t] * row[o + t - pad] }
                out[o] = acc
            }
        }
        for o in hi..<ow { edge(o) }
    }

    /// `filterRow` of the row f whose even elements are `even` and odd ones `odd` (f[2X] =
    /// even[X], f[2X + 1] = odd[X], w elements), without that row being written: the same sums
    /// in the same order, so the same bytes. Four taps. Only elements of f are read: the vector
    /// run stops where its last load would pass the row.
    @inline(__always)
    static func filterInterleaved(even: UnsafePointer<Float>, odd: UnsafePointer<Float>, w: Int,
                                  into out: UnsafeMutablePointer<Float>, ow: Int, taps k: [Float], pad: Int) {
        precondition(k.count == 4, "FIR.filterInterleaved: \(k.count) taps")
        @inline(__always) func f(_ i: Int) -> Float { i & 1 == 0 ? even[i >> 1] : odd[i >> 1] }
        let lo = min(ow, max(0, pad)), hi = max(lo, min(ow, w - 3 + pad))
        func edge(_ o: Int) {
            var acc: Float = 0
            for t in 0..<4 { let i = o + t - pad; if i >= 0 && i < w { acc += k[t] * f(i) } }
            out[o] = acc
        }
        for o in 0..<lo { edge(o) }
        let (k0, k1, k2, k3) = (k[0], k[1], k[2], k[3])
        // pairs (o, o + 1) from an even f index 2X: out[o] = k0 E[X] + k1 O[X] + k2 E[X+1] + k3 O[X+1],
        // out[o + 1] = k0 O[X] + k1 E[X+1] + k2 O[X+1] + k3 E[X+2]
        func inner(_ o: Int) { let i = o - pad; out[o] = k0 * f(i) + k1 * f(i + 1) + k2 * f(i + 2) + k3 * f(i + 3) }
        var o = lo
        if (o - pad) & 1 != 0 && o < hi { inner(o); o += 1 }
        func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> { WinogradBlocks.load8(p) }
        while o + 16 <= hi {
            let x = (o - pad) >> 1
            let e0 = load8(even + x), o0 = load8(odd + x), e1 = load8(even + x + 1), o1 = load8(odd + x + 1), e2 = load8(even + x + 2)
            let a = k0 * e0 + k1 * o0 + k2 * e1 + k3 * o1
            let b = k0 * o0 + k1 * e1 + k2 * o1 + k3 * e2
            let pairs = SIMD16<Float>(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
            UnsafeMutableRawPointer(out + o).storeBytes(of: pairs, as: SIMD16<Float>.self)
            o += 16
        }
        for o in o..<hi { inner(o) }
        for o in hi..<ow { edge(o) }
    }

    /// out[j] = sum over taps of k * row[j].
    @inline(__always)
    static func combine(_ taps: [(Float, UnsafePointer<Float>)], into out: UnsafeMutablePointer<Float>, count: Int) {
        switch taps.count {
        case 0:
            out.initialize(repeating: 0, count: count)
        case 4:
            let (k0, r0) = taps[0], (k1, r1) = taps[1], (k2, r2) = taps[2], (k3, r3) = taps[3]
            for j in 0..<count { out[j] = k0 * r0[j] + k1 * r1[j] + k2 * r2[j] + k3 * r3[j] }
        case 3:
            let (k0, r0) = taps[0], (k1, r1) = taps[1], (k2, r2) = taps[2]
            for j in 0..<count { out[j] = k0 * r0[j] + k1 * r1[j] + k2 * r2[j] }
        default:
            let (k0, r0) = taps[0]
            for j in 0..<count { out[j] = k0 * r0[j] }
            for (k, r) in taps.dropFirst() { for j in 0..<count { out[j] += k * r[j] } }
        }
    }
}
