import Foundation

/// One axis of a separable linear resampler: for each output position, the input indices it
/// reads and their weights (compressed rows: output `o` uses entries `starts[o]..<starts[o+1]`).
/// Bicubic (with or without antialias), adaptive/fixed average pooling and StyleCLIP's
/// nearest-upsample-then-pool are all separable, so one engine serves them all.
public struct AxisTaps: Sendable {
    public let inCount: Int
    public let outCount: Int
    public let starts: [Int]
    public let indices: [Int]
    public let weights: [Float]

    init(inCount: Int, outCount: Int, perOutput: (Int, inout [Int], inout [Float]) -> Void) {
        var starts = [0], indices: [Int] = [], weights: [Float] = []
        starts.reserveCapacity(outCount + 1)
        for o in 0..<outCount {
            perOutput(o, &indices, &weights)
            starts.append(indices.count)
        }
        self.inCount = inCount; self.outCount = outCount
        self.starts = starts; self.indices = indices; self.weights = weights
    }

    /// One axis of upfirdn2d with a separable kernel: zero-insertion upsampling by `up`, padding,
    /// true convolution with `kernel` (flipped), then every `down`-th sample.
    public static func upfirdn(in n: Int, kernel: [Float], up: Int, down: Int, pad0: Int, pad1: Int) -> AxisTaps {
        let k = kernel.count
        let m = (n * up + pad0 + pad1 - k) / down + 1
        return AxisTaps(inCount: n, outCount: max(m, 0)) { o, idx, w in
            for t in 0..<k {
                let u = o * down + t - pad0            // index into the upsampled signal
                if u < 0 || u % up != 0 || u / up >= n { continue }
                idx.append(u / up); w.append(kernel[k - 1 - t])
            }
        }
    }

    /// `F.interpolate(mode="bicubic", align_corners=False, antialias=False)`: Keys cubic with
    /// A = -0.75, border taps clamped, coordinates in float32 as PyTorch computes them.
    public static func bicubic(in n: Int, out m: Int) -> AxisTaps {
        let scale = Float(n) / Float(m)
        let a: Float = -0.75
        func cc1(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }
        func cc2(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
        return AxisTaps(inCount: n, outCount: m) { o, idx, w in
            let real = scale * (Float(o) + 0.5) - 0.5
            let i0 = min(Int(real.rounded(.down)), n - 1)
            let t = min(max(real - Float(i0), 0), 1)
            let coeffs = [cc2(t + 1), cc1(t), cc1(1 - t), cc2(1 - t + 1)]
            for j in 0..<4 {
                idx.append(min(max(i0 - 1 + j, 0), n - 1))
                w.append(coeffs[j])
            }
        }
    }

    /// `antialias=True` bicubic (PIL-style): Keys cubic with a = -0.5 whose support widens with
    /// the downscaling factor; weights normalised to sum 1.
    public static func bicubicAntialias(in n: Int, out m: Int) -> AxisTaps {
        let scale = Float(n) / Float(m)
        let a: Float = -0.5
        func filter(_ x0: Float) -> Float {
            let x = abs(x0)
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }
            return 0
        }
        let support: Float = scale >= 1 ? 2 * scale : 2
        let invscale: Float = scale >= 1 ? 1 / scale : 1
        return AxisTaps(inCount: n, outCount: m) { o, idx, w in
            let center = scale * (Float(o) + 0.5)
            let xmin = max(Int(center - support + 0.5), 0)
            let xsize = min(Int(center + support + 0.5), n) - xmin
            var ws = [Float](repeating: 0, count: max(xsize, 0))
            var total: Float = 0
            for j in 0..<max(xsize, 0) {
                ws[j] = filter((Float(j + xmin) - center + 0.5) * invscale)
                total += ws[j]
            }
            for j in 0..<ws.count {
                idx.append(xmin + j)
                w.append(total != 0 ? ws[j] / total : ws[j])
            }
        }
    }

    /// `AdaptiveAvgPool`: window o = [floor(o*n/m), ceil((o+1)*n/m)); windows overlap when m
    /// does not divide n, and repeat samples when m > n.
    public static func adaptiveAverage(in n: Int, out m: Int) -> AxisTaps {
        AxisTaps(inCount: n, outCount: m) { o, idx, w in
            let lo = (o * n) / m, hi = ((o + 1) * n + m - 1) / m
            for i in lo..<hi { idx.append(i); w.append(1 / Float(hi - lo)) }
        }
    }

    /// `AvgPool2d(kernel, stride)` without padding (floor mode).
    public static func average(in n: Int, kernel k: Int, stride s: Int? = nil) -> AxisTaps {
        let s = s ?? k
        let m = (n - k) / s + 1
        return AxisTaps(inCount: n, outCount: max(m, 0)) { o, idx, w in
            for i in (o * s)..<(o * s + k) { idx.append(i); w.append(1 / Float(k)) }
        }
    }

    /// StyleCLIP's CLIP-loss preprocessing along one axis: nearest upsampling by `factor`, then
    /// `AvgPool(kernel)`, computed without materialising the upsampled image.
    public static func nearestThenAverage(in n: Int, factor: Int, kernel k: Int) -> AxisTaps {
        let m = (n * factor - k) / k + 1
        return AxisTaps(inCount: n, outCount: max(m, 0)) { o, idx, w in
            var i = (o * k) / factor
            let last = (o * k + k - 1) / factor
            while i <= last {
                let lo = max(o * k, i * factor), hi = min(o * k + k, (i + 1) * factor)
                idx.append(i); w.append(Float(hi - lo) / Float(k))
                i += 1
            }
        }
    }
}

/// Applies separable taps to the last two axes of an [N, C, H, W] tensor: first along W, then
/// along H (the order PyTorch's bicubic kernel accumulates in).
public enum Resample {
    public static func apply(_ x: Tensor, rows: AxisTaps, cols: AxisTaps) -> Tensor {
        precondition(x.rank == 4, "resample expects [N, C, H, W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(rows.inCount == h && cols.inCount == w, "resample taps \(rows.inCount)x\(cols.inCount) for \(x.shape)")
        let oh = rows.outCount, ow = cols.outCount
        var out = Tensor(uninitialized: [n, c, oh, ow])
        if out.count == 0 { return out }
        // items are bands of 64 output rows of a plane (a ToRGB's 3-plane skip image split 3 ways
        // kept one core waiting for the other's second plane); a band filters along W only the
        // input rows its taps read, so rows shared by two bands are computed twice, alike
        let bandRows = 64, bands = (oh + bandRows - 1) / bandRows
        let pairs = PairedTaps(cols)
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = ReadPointer(src.baseAddress!)
                let d = SendablePointer(dst.baseAddress!)
                Parallel.for(n * c * bands, costPerItem: (h * ow + oh * ow) * 4 / bands) { items in
                    let tmp = UnsafeMutablePointer<Float>.allocate(capacity: h * ow)
                    defer { tmp.deallocate() }
                    for item in items {
                        let p = item / bands, o0 = (item % bands) * bandRows, o1 = min(oh, o0 + bandRows)
                        let ip = s.p + p * h * w, op = d.p + p * oh * ow
                        var (lo, hi) = (h, -1)
                        for t in rows.starts[o0]..<rows.starts[o1] { lo = min(lo, rows.indices[t]); hi = max(hi, rows.indices[t]) }
                        // along W
                        for y in lo..<max(lo, hi + 1) {
                            let row = ip + y * w, trow = tmp + y * ow
                            var vectorised = 0..<0
                            if let pairs { vectorised = pairs.filter(row, into: trow) }
                            for o in 0..<ow where !vectorised.contains(o) {
                                var acc: Float = 0
                                for t in cols.starts[o]..<cols.starts[o + 1] { acc += cols.weights[t] * row[cols.indices[t]] }
                                trow[o] = acc
                            }
                        }
                        // along H, vectorised over the output row
                        for o in o0..<o1 {
                            let orow = op + o * ow
                            orow.initialize(repeating: 0, count: ow)
                            for t in rows.starts[o]..<rows.starts[o + 1] {
                                let wt = rows.weights[t], trow = tmp + rows.indices[t] * ow
                                for j in 0..<ow { orow[j] += wt * trow[j] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Bicubic resize of the last two axes to `height` x `width` (align_corners false).
    public static func bicubic(_ x: Tensor, height: Int, width: Int, antialias: Bool = false) -> Tensor {
        let h = x.shape[2], w = x.shape[3]
        return antialias
            ? apply(x, rows: .bicubicAntialias(in: h, out: height), cols: .bicubicAntialias(in: w, out: width))
            : apply(x, rows: .bicubic(in: h, out: height), cols: .bicubic(in: w, out: width))
    }
}

/// Taps along an axis that repeat every two outputs one input further on (upsampling by 2, the
/// ToRGB skip image): over outputs `range`, output range.lowerBound + 2i + p reads inputs
/// first[p] + i + j with weights[p][j]. `filter` computes those outputs eight pairs at a time,
/// each lane the scalar loop's sum (from zero, taps in order), so the same bytes; the scalar
/// loop over gathered taps took most of the 1024² skip upsample's 4 ms.
struct PairedTaps {
    let range: Range<Int>
    let first: [Int]
    let weights: [[Float]]

    /// The longest run of outputs with consecutive taps repeating every two outputs, if it
    /// holds at least 16 pairs.
    init?(_ t: AxisTaps) {
        func taps(_ o: Int) -> Range<Int> { t.starts[o]..<t.starts[o + 1] }
        func consecutive(_ o: Int) -> Bool {
            let r = taps(o)
            return !r.isEmpty && r.allSatisfy { t.indices[$0] == t.indices[r.lowerBound] + ($0 - r.lowerBound) }
        }
        func repeats(_ o: Int) -> Bool {
            let (r, q) = (taps(o), taps(o - 2))
            return r.count == q.count && t.indices[r.lowerBound] == t.indices[q.lowerBound] + 1
                && zip(r, q).allSatisfy { t.weights[$0.0] == t.weights[$0.1] }
        }
        var best = 0..<0, start = 0
        for o in 0...t.outCount {
            let extends = o < t.outCount && consecutive(o) && (o - start < 2 || repeats(o))
            if !extends {
                if o - start > best.count { best = start..<o }
                start = o + 1
                if o < t.outCount && consecutive(o) { start = o }
            }
        }
        let pairs = best.count / 2
        guard pairs >= 16 else { return nil }
        range = best.lowerBound..<(best.lowerBound + 2 * pairs)
        first = (0..<2).map { t.indices[t.starts[best.lowerBound + $0]] }
        weights = (0..<2).map { p in taps(best.lowerBound + p).map { t.weights[$0] } }
    }

    /// out[o] for the outputs of `range` in whole runs of eight pairs; returns those outputs.
    func filter(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) -> Range<Int> {
        let pairs = range.count / 2 / 8 * 8, o0 = range.lowerBound
        let (f0, f1, w0, w1) = (first[0], first[1], weights[0], weights[1])
        for i in stride(from: 0, to: pairs, by: 8) {
            var a = SIMD8<Float>(repeating: 0), b = SIMD8<Float>(repeating: 0)
            for j in 0..<w0.count { a += w0[j] * UnsafeRawPointer(row + f0 + i + j).loadUnaligned(as: SIMD8<Float>.self) }
            for j in 0..<w1.count { b += w1[j] * UnsafeRawPointer(row + f1 + i + j).loadUnaligned(as: SIMD8<Float>.self) }
            let zipped = SIMD16<Float>(a[0], b[0], a[1], b[1], a[2], b[2], a[3], b[3], a[4], b[4], a[5], b[5], a[6], b[6], a[7], b[7])
            UnsafeMutableRawPointer(out + o0 + 2 * i).storeBytes(of: zipped, as: SIMD16<Float>.self)
        }
        return o0..<(o0 + 2 * pairs)
    }
}

extension Resample {
    /// The adjoint of `apply`: each output gradient flows back to the inputs its taps read,
    /// weighted the same (dx = T^T dy per axis).
    public static func applyTranspose(_ dy: Tensor, rows: AxisTaps, cols: AxisTaps) -> Tensor {
        let (n, c, oh, ow) = (dy.shape[0], dy.shape[1], dy.shape[2], dy.shape[3])
        let h = rows.inCount, w = cols.inCount
        var dx = Tensor(zeros: [n, c, h, w])
        dy.withUnsafeBufferPointer { gp in
            dx.withUnsafeMutableBufferPointer { xp in
                let g = ReadPointer(gp.baseAddress!), x = SendablePointer(xp.baseAddress!)
                Parallel.for(n * c, costPerItem: (h * ow + oh * ow) * 4) { planes in
                    let tmp = UnsafeMutablePointer<Float>.allocate(capacity: h * ow)
                    defer { tmp.deallocate() }
                    for p in planes {
                        let gplane = g.p + p * oh * ow, xplane = x.p + p * h * w
                        tmp.initialize(repeating: 0, count: h * ow)
                        for o in 0..<oh {
                            for t in rows.starts[o]..<rows.starts[o + 1] {
                                let wt = rows.weights[t], trow = tmp + rows.indices[t] * ow, grow = gplane + o * ow
                                for j in 0..<ow { trow[j] += wt * grow[j] }
                            }
                        }
                        for y in 0..<h {
                            let trow = tmp + y * ow, xrow = xplane + y * w
                            for o in 0..<ow {
                                let v = trow[o]
                                for t in cols.starts[o]..<cols.starts[o + 1] { xrow[cols.indices[t]] += cols.weights[t] * v }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    public static func apply(_ x: Var, rows: AxisTaps, cols: AxisTaps) -> Var {
        taped(apply(x.value, rows: rows, cols: cols), x) { dy in x.accumulate(applyTranspose(dy, rows: rows, cols: cols)) }
    }
}
