/// 2-D cross-correlation (PyTorch `conv2d`) as im2col + GEMM: out[Cout, pixels] =
/// W[Cout, Cin*kh*kw] x col[Cin*kh*kw, pixels]. The column buffer is built for a tile of output
/// rows at a time so it stays under `columnBudget` floats whatever the image size.
public struct Conv2D: Sendable {
    public var stride = 1
    public var padding = 0
    /// Floats in one im2col tile (16 Mi floats = 64 MB by default).
    public var columnBudget = 1 << 24

    public init(stride: Int = 1, padding: Int = 0, columnBudget: Int = 1 << 24) {
        self.stride = stride; self.padding = padding; self.columnBudget = columnBudget
    }

    public func outputSize(height h: Int, width w: Int, kernel k: (Int, Int)) -> (Int, Int) {
        ((h + 2 * padding - k.0) / stride + 1, (w + 2 * padding - k.1) / stride + 1)
    }

    /// x [N, Cin, H, W], weight [Cout, Cin, kh, kw] (times `scale`), bias [Cout].
    public func forward(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, scale: Float = 1) -> Tensor {
        precondition(x.rank == 4 && weight.rank == 4 && weight.shape[1] == x.shape[1],
                     "conv2d: input \(x.shape) with weight \(weight.shape)")
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let (oh, ow) = outputSize(height: h, width: w, kernel: (kh, kw))
        let k = cin * kh * kw, plane = oh * ow
        var out = Tensor(uninitialized: [n, cout, oh, ow])
        if out.count == 0 { return out }
        if ShiftedConv.applies(kernel: (kh, kw), stride: stride, padding: padding, pixels: plane) {
            out = ShiftedConv.forward(x, packed: ShiftedConv.pack(weight), scale: scale, budget: min(columnBudget, 1 << 21))
            if let bias { addChannelBias(&out, bias) }
            return out
        }
        let tiles = ColumnTiles(self, cin: cin, h: h, w: w, kh: kh, kw: kw)
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    for b in 0..<n {
                        let yout = op.baseAddress! + b * cout * plane
                        tiles.forEach(xp.baseAddress! + b * cin * h * w) { y0, rows, col in
                            BLAS.sgemm(m: cout, n: rows * ow, k: k, alpha: scale, a: wp.baseAddress!, lda: k,
                                       b: col, ldb: rows * ow, c: yout + y0 * ow, ldc: plane)
                        }
                    }
                }
            }
        }
        if let bias { addChannelBias(&out, bias) }
        return out
    }

    /// col[(ci*kh + ky)*kw + kx, r*ow + ox] = x[ci, (y0+r)*s + ky - p, ox*s + kx - p] (0 outside).
    func im2col(_ x: UnsafePointer<Float>, cin: Int, h: Int, w: Int, kh: Int, kw: Int, ow: Int,
                y0: Int, rows: Int, col: UnsafeMutablePointer<Float>) {
        let cols = rows * ow, s = stride, p = padding
        let xs = ReadPointer(x), cs = SendablePointer(col)
        Parallel.for(cin * kh * kw, costPerItem: cols) { range in
            for kr in range {
                let ci = kr / (kh * kw), ky = (kr / kw) % kh, kx = kr % kw
                let dst = cs.p + kr * cols
                let src = xs.p + ci * h * w
                for r in 0..<rows {
                    let iy = (y0 + r) * s + ky - p
                    let drow = dst + r * ow
                    if iy < 0 || iy >= h { drow.initialize(repeating: 0, count: ow); continue }
                    let srow = src + iy * w
                    if s == 1 {
                        // valid ox range where 0 <= ox + kx - p < w
                        let lo = max(0, p - kx), hi = min(ow, w + p - kx)
                        if lo > 0 { drow.initialize(repeating: 0, count: min(lo, ow)) }
                        if hi > lo { (drow + lo).update(from: srow + lo + kx - p, count: hi - lo) }
                        if hi < ow { (drow + max(hi, 0)).initialize(repeating: 0, count: ow - max(hi, 0)) }
                    } else {
                        for ox in 0..<ow {
                            let ix = ox * s + kx - p
                            drow[ox] = (ix >= 0 && ix < w) ? srow[ix] : 0
                        }
                    }
                }
            }
        }
    }
}

/// The im2col columns of one input sample, a tile of output rows at a time so the buffer stays
/// under the conv's `columnBudget`; a 1x1, stride-1, unpadded conv reads the input itself.
final class ColumnTiles {
    let conv: Conv2D
    let (cin, h, w, kh, kw, oh, ow, tileRows): (Int, Int, Int, Int, Int, Int, Int, Int)
    let col: UnsafeMutablePointer<Float>?

    init(_ conv: Conv2D, cin: Int, h: Int, w: Int, kh: Int, kw: Int) {
        self.conv = conv
        let (oh, ow) = conv.outputSize(height: h, width: w, kernel: (kh, kw)), k = cin * kh * kw
        let direct = kh == 1 && kw == 1 && conv.stride == 1 && conv.padding == 0
        let tileRows = direct ? oh : max(1, min(oh, conv.columnBudget / max(k * ow, 1)))
        (self.cin, self.h, self.w, self.kh, self.kw, self.oh, self.ow, self.tileRows) = (cin, h, w, kh, kw, oh, ow, tileRows)
        col = direct ? nil : UnsafeMutablePointer<Float>.allocate(capacity: k * tileRows * ow)
    }

    deinit { col?.deallocate() }

    /// body(first output row, rows, col[Cin*kh*kw, rows*ow]) for each tile of sample `x`.
    func forEach(_ x: UnsafePointer<Float>, _ body: (Int, Int, UnsafePointer<Float>) -> Void) {
        guard let col else { body(0, oh, x); return }
        var y0 = 0
        while y0 < oh {
            let rows = min(tileRows, oh - y0)
            conv.im2col(x, cin: cin, h: h, w: w, kh: kh, kw: kw, ow: ow, y0: y0, rows: rows, col: col)
            body(y0, rows, col)
            y0 += rows
        }
    }
}

/// Adds bias[c] to every element of channel c of an [N, C, ...] tensor.
public func addChannelBias(_ x: inout Tensor, _ bias: Tensor, scale: Float = 1) {
    let c = x.shape[1], inner = x.count / max(x.shape[0] * c, 1)
    precondition(bias.count == c, "bias \(bias.shape) for \(c) channels")
    let bv = bias.scalars, planes = x.shape[0] * c
    x.withUnsafeMutableBufferPointer { p in
        for i in 0..<planes {
            let b = bv[i % c] * scale, row = p.baseAddress! + i * inner
            for j in 0..<inner { row[j] += b }
        }
    }
}

extension Conv2D {
    /// W [out, in, kh, kw] as [in, out, kh, kw], optionally rotated 180° in space.
    public static func swapAxes(_ weight: Tensor, flipped: Bool) -> Tensor {
        let (o, i, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        return weight.withUnsafeBufferPointer { w in
            Tensor(shape: [i, o, kh, kw]) { t in
                for oo in 0..<o { for ii in 0..<i { for ky in 0..<kh { for kx in 0..<kw {
                    let (dy, dx) = flipped ? (kh - 1 - ky, kw - 1 - kx) : (ky, kx)
                    t[((ii * o + oo) * kh + dy) * kw + dx] = w[((oo * i + ii) * kh + ky) * kw + kx]
                } } } }
            }
        }
    }

    /// d out / d x. At stride 1 it is the convolution of dy with the weight's in/out axes swapped
    /// and its kernel flipped, padded k - 1 - p: a forward conv, tiled and scatter-free. Otherwise
    /// scale * W^T dy per sample (a GEMM into columns), then col2im, in parallel over channels.
    public func inputGradient(_ dy: Tensor, weight: Tensor, scale: Float = 1, inputShape: [Int]) -> Tensor {
        let (n, cin, h, w) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (cout, kh, kw) = (weight.shape[0], weight.shape[2], weight.shape[3])
        if stride == 1 && kh == kw && padding <= kh - 1 && dy.shape[2] + kh - 1 - 2 * padding == h
            && dy.shape[3] + kw - 1 - 2 * padding == w {
            return Conv2D(stride: 1, padding: kh - 1 - padding, columnBudget: columnBudget)
                .forward(dy, weight: Conv2D.swapAxes(weight, flipped: true), scale: scale)
        }
        let (oh, ow) = (dy.shape[2], dy.shape[3]), k = cin * kh * kw, plane = oh * ow
        var dx = Tensor(zeros: inputShape)
        let col = UnsafeMutablePointer<Float>.allocate(capacity: k * plane)
        defer { col.deallocate() }
        weight.withUnsafeBufferPointer { wp in
            dy.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { xp in
                    for b in 0..<n {
                        BLAS.sgemm(transA: true, m: k, n: plane, k: cout, alpha: scale, a: wp.baseAddress!, lda: k,
                                   b: gp.baseAddress! + b * cout * plane, ldb: plane, c: col, ldc: plane)
                        let xin = SendablePointer(xp.baseAddress! + b * cin * h * w), cols = SendablePointer(col)
                        let (s, p) = (stride, padding)
                        // channel ci gathers only its own kh*kw column rows: the chunks write disjoint planes
                        Parallel.for(cin, costPerItem: kh * kw * plane) { channels in
                            for ci in channels {
                                for kr in (ci * kh * kw)..<((ci + 1) * kh * kw) {
                                    let ky = (kr / kw) % kh, kx = kr % kw
                                    for y in 0..<oh {
                                        let iy = y * s + ky - p
                                        if iy < 0 || iy >= h { continue }
                                        for x in 0..<ow {
                                            let ix = x * s + kx - p
                                            if ix >= 0 && ix < w { xin.p[(ci * h + iy) * w + ix] += cols.p[kr * plane + y * ow + x] }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}

extension Conv2D {
    /// d out / d weight for one sample: scale * dy_b [Cout, oh*ow] x col(x_b)^T, as [Cout, Cin, kh, kw].
    /// Per sample, so a caller that sums over a batch fixes the order of the sum.
    public func weightGradient(_ dy: Tensor, x: Tensor, sample b: Int, kernel: (Int, Int), scale: Float = 1) -> Tensor {
        let (cin, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = kernel, cout = dy.shape[1]
        let (oh, ow) = outputSize(height: h, width: w, kernel: kernel)
        precondition(dy.shape[2] == oh && dy.shape[3] == ow, "conv2d weight gradient: dy \(dy.shape) for input \(x.shape)")
        let k = cin * kh * kw, plane = oh * ow
        var dW = Tensor(zeros: [cout, cin, kh, kw])
        if plane == 0 || k == 0 { return dW }
        let tiles = ColumnTiles(self, cin: cin, h: h, w: w, kh: kh, kw: kw)
        x.withUnsafeBufferPointer { xp in
            dy.withUnsafeBufferPointer { gp in
                dW.withUnsafeMutableBufferPointer { wp in
                    let g = gp.baseAddress! + b * cout * plane
                    tiles.forEach(xp.baseAddress! + b * cin * h * w) { y0, rows, col in
                        BLAS.sgemm(transB: true, m: cout, n: k, k: rows * ow, alpha: scale, a: g + y0 * ow, lda: plane,
                                   b: col, ldb: rows * ow, beta: y0 == 0 ? 0 : 1, c: wp.baseAddress!, ldc: k)
                    }
                }
            }
        }
        return dW
    }
}
