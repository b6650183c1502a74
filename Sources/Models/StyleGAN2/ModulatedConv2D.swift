import Tensors

/// StyleGAN2's modulated convolution (`conv.weight` [1, out, in, k, k], `conv.modulation`).
///
/// The reference builds a per-sample weight `scale * W * s_b[i]`, demodulates it by
/// `rsqrt(sum(weight²) + 1e-8)` per output channel and runs a grouped convolution. Here the
/// same maths is split so BLAS sees large GEMMs: the style scales the input channels (or, when
/// that is cheaper, the weight), one GEMM runs with the shared weight, and the demodulation
/// factor `d[b, o]` is applied by the caller's epilogue together with noise, bias and activation.
public struct ModulatedConv2D: Sendable {
    public let weight: Tensor            // [out, in, k, k]
    public let modulation: EqualLinear   // style_dim -> in (bias initialised to 1)
    public let upsample: Bool
    public let blur: Upfirdn2D?          // after the stride-2 transposed conv
    let weightSquares: Tensor            // [out, in]: sum over the kernel window of W²
    let shiftedWeight: Tensor?           // ShiftedConv.pack(weight) for a same-size conv other than 3x3
    let winogradWeight: WinogradWeight?  // Winograd.pack(weight) for the 3x3 same-size conv

    /// Off only in `cfclip-bench generator --compare-direct`: the direct convolution Winograd
    /// replaced (its packed weight made on each call), timed in the same run.
    nonisolated(unsafe) public static var winograd = true

    public var inChannels: Int { weight.shape[1] }
    public var outChannels: Int { weight.shape[0] }
    public var kernelSize: Int { weight.shape[2] }
    public var scale: Float { 1 / Float(inChannels * kernelSize * kernelSize).squareRoot() }
    /// Floats the column buffers may use (ShiftedConv's bands use at most 8 MB of it, so the band
    /// stays in the caches).
    public var columnBudget = 1 << 23

    public init(weight: Tensor, modulation: EqualLinear, upsample: Bool, blurKernel: Tensor?) {
        let (o, i, k) = (weight.shape[0], weight.shape[1], weight.shape[2])
        self.weight = weight; self.modulation = modulation
        self.upsample = upsample
        blur = upsample ? blurKernel.map { kernel in
            // p = (len(blur) - factor) - (k - 1); pad = ((p + 1) / 2 + factor - 1, p / 2 + 1)
            let p = (kernel.shape[0] - 2) - (k - 1)
            return Upfirdn2D(kernel: kernel, pad: ((p + 1) / 2 + 1, p / 2 + 1))
        } : nil
        let w = weight.scalars
        weightSquares = Tensor(shape: [o, i]) { sq in
            for a in 0..<(o * i) { var s: Float = 0; for t in 0..<(k * k) { s += w[a * k * k + t] * w[a * k * k + t] }; sq[a] = s }
        }
        winogradWeight = !upsample && k == 3 ? WinogradWeight(weight) : nil
        shiftedWeight = !upsample && k % 2 == 1 && k != 3 ? ShiftedConv.pack(weight) : nil
    }

    /// `prefix` is e.g. `convs.3.conv`.
    public init(_ r: WeightReader, _ prefix: String, in cin: Int, out cout: Int, kernel k: Int, styleDim: Int,
                upsample: Bool, blurKernel: Tensor?) {
        let w = r.tensor("\(prefix).weight", [1, cout, cin, k, k]).reshaped([cout, cin, k, k])
        let m = EqualLinear(r, "\(prefix).modulation", in: styleDim, out: cin)
        self.init(weight: w, modulation: m, upsample: upsample, blurKernel: blurKernel)
    }

    /// Per-sample styles s [B, in] from the W rows [B, style_dim].
    public func styles(_ w: Tensor) -> Tensor { modulation(w) }

    /// Demodulation factors d [B, out] = rsqrt(scale² Σ_i s[b,i]² Σ_k W[o,i,k]² + 1e-8).
    public func demodulation(_ s: Tensor) -> Tensor {
        var s2 = s
        s2.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= p[i] } }
        var d = s2.matmul(weightSquares, transposeOther: true)
        let sc2 = scale * scale
        d.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] = 1 / (p[i] * sc2 + 1e-8).squareRoot() } }
        return d
    }

    /// The convolution of the modulated input, before demodulation: [B, out, H', W']; with a
    /// styled layer's `tail` (demodulation included), after it: the Winograd blocks and the
    /// upsamplers' blur apply it to each row as they write it, other paths in one pass after.
    public func convolve(_ x: Tensor, styles s: Tensor, tail: StyledTail? = nil) -> Tensor {
        upsample ? convolveTransposed(x, styles: s, tail: tail) : convolveSame(x, styles: s, tail: tail)
    }

    /// k x k, stride 1, padding k/2: 3x3 by Winograd F(2x2, 3x3); other sizes by im2col, which
    /// scales each input channel by its style as it copies.
    func convolveSame(_ x: Tensor, styles s: Tensor, tail: StyledTail?) -> Tensor {
        if Self.winograd, let weights = winogradWeight, min(x.shape[2], x.shape[3]) >= Winograd.minimumSide {
            let (u, tiled) = weights.packed(tiled: Winograd.runsBlocks(cin: inChannels, cout: outChannels, h: x.shape[2], w: x.shape[3]))
            return Winograd.forward(x, packed: u, tiled: tiled, styles: s, scale: scale, tail: tail)
        }
        var y = convolveSameDirect(x, styles: s)
        tail?.applyPlanes(&y)
        return y
    }

    /// Whether `convolveIntoRGB` takes input x [B, in, H, W].
    func convolvesIntoRGB(_ shape: [Int]) -> Bool {
        Self.winograd && !upsample && winogradWeight != nil
            && Winograd.fusesRGB(cin: inChannels, cout: outChannels, h: shape[2], w: shape[3])
    }

    /// This 3x3 layer with its styled `tail`, summed straight into a ToRGB product per sample
    /// (`Winograd.forwardIntoRGB`); only where `convolvesIntoRGB`.
    func convolveIntoRGB(_ x: Tensor, styles s: Tensor, tail: StyledTail, rgb: (Int, (RGBProduct) -> Void) -> Void) {
        let (u, tiled) = winogradWeight!.packed(tiled: true)
        Winograd.forwardIntoRGB(x, packed: u, tiled: tiled, styles: s, scale: scale, tail: tail, rgb: rgb)
    }

    func convolveSameDirect(_ x: Tensor, styles s: Tensor) -> Tensor {
        let (b, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = kernelSize, pad = k / 2, kdim = cin * k * k, p = h * w, cout = outChannels
        // applies first: the 3x3 layers keep no shifted weight, and packing one on every call of a
        // small layer it does not serve was wasted work
        if ShiftedConv.applies(kernel: (k, k), stride: 1, padding: pad, pixels: p),
           let packed = shiftedWeight ?? (k == 3 && !upsample ? ShiftedConv.pack(weight) : nil) {
            return ShiftedConv.forward(x, packed: packed, styles: s, scale: scale, budget: min(columnBudget, 1 << 21))
        }
        var out = Tensor(uninitialized: [b, cout, h, w])
        let sv = s.scalars
        // one sample per GEMM (an image must not depend on its batch: see BLAS.pieces)
        let wholeBatch = b == 1 && kdim * p <= columnBudget
        let tileRows = wholeBatch ? h : max(1, min(h, columnBudget / max(kdim * w, 1)))
        let colCount = wholeBatch ? kdim * b * p : kdim * tileRows * w
        let col = UnsafeMutablePointer<Float>.allocate(capacity: colCount)
        defer { col.deallocate() }
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                out.withUnsafeMutableBufferPointer { op in
                    if wholeBatch {
                        let tmp = UnsafeMutablePointer<Float>.allocate(capacity: cout * b * p)
                        defer { tmp.deallocate() }
                        for bi in 0..<b {
                            ModulatedIm2Col.run(xp.baseAddress! + bi * cin * p, styles: Array(sv[(bi * cin)..<((bi + 1) * cin)]),
                                                cin: cin, h: h, w: w, k: k, pad: pad, y0: 0, rows: h,
                                                col: col + bi * p, ld: b * p)
                        }
                        BLAS.sgemm(m: cout, n: b * p, k: kdim, alpha: scale, a: wp.baseAddress!, lda: kdim,
                                   b: col, ldb: b * p, c: tmp, ldc: b * p)
                        // [out, B, P] -> [B, out, P]
                        for bi in 0..<b { for o in 0..<cout {
                            (op.baseAddress! + (bi * cout + o) * p).update(from: tmp + o * b * p + bi * p, count: p)
                        } }
                    } else {
                        for bi in 0..<b {
                            let styles = Array(sv[(bi * cin)..<((bi + 1) * cin)])
                            var y0 = 0
                            while y0 < h {
                                let rows = min(tileRows, h - y0)
                                ModulatedIm2Col.run(xp.baseAddress! + bi * cin * p, styles: styles, cin: cin, h: h, w: w,
                                                    k: k, pad: pad, y0: y0, rows: rows, col: col, ld: rows * w)
                                BLAS.sgemm(m: cout, n: rows * w, k: kdim, alpha: scale, a: wp.baseAddress!, lda: kdim,
                                           b: col, ldb: rows * w, c: op.baseAddress! + bi * cout * p + y0 * w, ldc: p)
                                y0 += rows
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Stride-2 transposed convolution to 2H+1, then the blur to 2H: by output phase
    /// (`PolyphaseUpsample`) at few channel pairs, by Winograd F(2, 2) on the phases
    /// (`WinogradUpsample`) from 32² inputs, else GEMM + col2im (4²-16²).
    func convolveTransposed(_ x: Tensor, styles s: Tensor, tail: StyledTail?) -> Tensor {
        let (cin, h, w) = (x.shape[1], x.shape[2], x.shape[3])
        let k = kernelSize, cout = outChannels
        if k == 3, PolyphaseUpsample.applies(cin: cin, cout: cout) {
            let packed = PolyphaseUpsample.pack(weight)
            if let blur, blur.upX == 1, blur.upY == 1, blur.downX == 1, blur.downY == 1, let (kr, kc) = blur.separableFactors {
                return PolyphaseUpsample.forwardBlurred(x, packed: packed, cout: cout, styles: s, scale: scale, rows: kr, cols: kc,
                                                        padY: (blur.padY0, blur.padY1), padX: (blur.padX0, blur.padX1), tail: tail)
            }
            return blurred(PolyphaseUpsample.forward(x, packed: packed, cout: cout, styles: s, scale: scale), tail: tail)
        }
        if k == 3, Self.winograd, min(h, w) >= WinogradUpsample.minimumSide {
            // packed per call: kept per layer it would add 27 MB to a 1024² generator
            return blurred(WinogradUpsample.forward(x, packed: WinogradUpsample.pack(weight), styles: s, scale: scale), tail: tail)
        }
        return blurred(convolveTransposedColumns(x, styles: s), tail: tail)
    }

    /// The blur after the transposed convolution, then the tail (fused into the FIR's rows).
    func blurred(_ full: Tensor, tail: StyledTail?) -> Tensor {
        if let blur { return blur(full, tail: tail) }
        var y = full
        tail?.applyPlanes(&y)
        return y
    }

    /// GEMM + col2im (the 4²-16² upsamplers), before the blur.
    func convolveTransposedColumns(_ x: Tensor, styles s: Tensor) -> Tensor {
        let (b, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = kernelSize, cout = outChannels, p = h * w, rowsK = cout * k * k
        let (oh, ow) = (2 * h + k - 2, 2 * w + k - 2)
        var full = Tensor(zeros: [b, cout, oh, ow])
        let sv = s.scalars
        let tileRows = max(1, min(h, columnBudget / max(rowsK * w, 1)))
        let cols = UnsafeMutablePointer<Float>.allocate(capacity: rowsK * tileRows * w)
        let wmod = UnsafeMutablePointer<Float>.allocate(capacity: rowsK * cin)
        defer { cols.deallocate(); wmod.deallocate() }
        let kk = k * k
        x.withUnsafeBufferPointer { xp in
            weight.withUnsafeBufferPointer { wp in
                full.withUnsafeMutableBufferPointer { fp in
                    for bi in 0..<b {
                        // per-sample weight [out*k*k, in], W[o, i, t] * s[b, i] at row o*k*k + t, made
                        // from the weight itself (a transposed copy kept per layer cost 34 MB at 1024²)
                        // split across the cores: at 512 channels one thread took 2-3 ms per layer
                        let st = Array(sv[(bi * cin)..<((bi + 1) * cin)]), ws = ReadPointer(wp.baseAddress!), ms = SendablePointer(wmod)
                        Parallel.for(cout, costPerItem: 2 * cin * kk) { range in
                            for o in range {
                                let src = ws.p + o * cin * kk, dst = ms.p + o * kk * cin
                                for i in 0..<cin { let si = st[i]; for t in 0..<kk { dst[t * cin + i] = src[i * kk + t] * si } }
                            }
                        }
                        var y0 = 0
                        while y0 < h {
                            let rows = min(tileRows, h - y0)
                            BLAS.sgemm(m: rowsK, n: rows * w, k: cin, alpha: scale, a: wmod, lda: cin,
                                       b: xp.baseAddress! + bi * cin * p + y0 * w, ldb: p, c: cols, ldc: rows * w)
                            Col2Im.strided2(cols, cout: cout, k: k, inW: w, y0: y0, rows: rows,
                                            out: fp.baseAddress! + bi * cout * oh * ow, oh: oh, ow: ow)
                            y0 += rows
                        }
                    }
                }
            }
        }
        return full
    }
}

/// im2col that multiplies each input channel by its style while copying.
enum ModulatedIm2Col {
    /// col[(ci*k + ky)*k + kx, r*w + x] = s[ci] * x[ci, y0 + r + ky - pad, x + kx - pad] (0 outside),
    /// written with leading dimension `ld`.
    static func run(_ x: UnsafePointer<Float>, styles: [Float], cin: Int, h: Int, w: Int, k: Int, pad: Int,
                    y0: Int, rows: Int, col: UnsafeMutablePointer<Float>, ld: Int) {
        let xs = ReadPointer(x), cs = SendablePointer(col)
        Parallel.for(cin * k * k, costPerItem: rows * w) { range in
            for kr in range {
                let ci = kr / (k * k), ky = (kr / k) % k, kx = kr % k
                let sc = styles[ci], src = xs.p + ci * h * w, dst = cs.p + kr * ld
                let lo = max(0, pad - kx), hi = min(w, w + pad - kx)
                for r in 0..<rows {
                    let iy = y0 + r + ky - pad, drow = dst + r * w
                    if iy < 0 || iy >= h || hi <= lo { drow.initialize(repeating: 0, count: w); continue }
                    let srow = src + iy * w + kx - pad
                    for xo in 0..<lo { drow[xo] = 0 }
                    for xo in lo..<hi { drow[xo] = srow[xo] * sc }
                    for xo in hi..<w { drow[xo] = 0 }
                }
            }
        }
    }
}

/// Scatter-add of transposed-convolution columns: out[o, 2y + ky, 2x + kx] += cols[(o*k + ky)*k + kx, r*w + x].
enum Col2Im {
    static func strided2(_ cols: UnsafeMutablePointer<Float>, cout: Int, k: Int, inW w: Int, y0: Int, rows: Int,
                         out: UnsafeMutablePointer<Float>, oh: Int, ow: Int) {
        let cs = SendablePointer(cols), os = SendablePointer(out)
        let n = rows * w
        Parallel.for(cout, costPerItem: k * k * n) { range in
            for o in range {
                let plane = os.p + o * oh * ow
                for ky in 0..<k { for kx in 0..<k {
                    let src = cs.p + ((o * k + ky) * k + kx) * n
                    for r in 0..<rows {
                        let orow = plane + (2 * (y0 + r) + ky) * ow + kx, srow = src + r * w
                        for x in 0..<w { orow[2 * x] += srow[x] }
                    }
                } }
            }
        }
    }
}

// MARK: backward

extension ModulatedConv2D {
    /// Gradient of the demodulation factors back to the styles:
    /// d = (scale² Σ_i s_i² Wsq[o,i] + 1e-8)^-1/2  =>  ds_i = -scale² s_i Σ_o dd_o d_o³ Wsq[o,i].
    func demodulationBackward(_ dd: Tensor, styles s: Tensor, demod d: Tensor) -> Tensor {
        var ds = demodulationSlope(dd, demod: d).matmul(weightSquares)      // [B, in]
        let k = -scale * scale
        ds.withUnsafeMutableBufferPointer { p in s.withUnsafeBufferPointer { sp in for i in 0..<p.count { p[i] *= k * sp[i] } } }
        return ds
    }

    /// u[b, o] = dd[b, o] d[b, o]³, the demodulation's common factor.
    func demodulationSlope(_ dd: Tensor, demod d: Tensor) -> Tensor {
        var u = dd
        u.withUnsafeMutableBufferPointer { p in d.withUnsafeBufferPointer { dp in for i in 0..<p.count { p[i] *= dp[i] * dp[i] * dp[i] } } }
        return u
    }

    /// Gradients of `convolve` (before demodulation) for the input, the styles and, when asked,
    /// the weight. With x̃ = x ⊙ s the conv input, G = d raw / d x̃ is a transposed convolution
    /// of `draw`; then dx = G ⊙ s and ds_i = Σ_p G_i,p x_i,p. The weight sees Σ_b of the
    /// per-sample correlations of `draw` with x̃ (scaled by `scale`).
    func convolveBackward(_ draw: Tensor, x: Tensor, styles s: Tensor, needWeight: Bool = false) -> (dx: Tensor, ds: Tensor, dW: Tensor?) {
        // the transposed conv's output gradient before the blur, shared by dx and dW
        let k = kernelSize
        let dfull = upsample ? blur.map { $0.adjoint(draw, inputHeight: 2 * x.shape[2] + k - 2, inputWidth: 2 * x.shape[3] + k - 2) } ?? draw : draw
        // one binding only: a second reference would make the in-place update below copy it
        var dx = upsample ? inputGradientTransposed(dfull) : inputGradientSame(draw)
        let (b, cin) = (x.shape[0], x.shape[1]), p = x.count / max(b * cin, 1)
        var ds = [Float](repeating: 0, count: b * cin)
        let sv = s.scalars
        x.withUnsafeBufferPointer { xp in
            dx.withUnsafeMutableBufferPointer { gp in
                let g = SendablePointer(gp.baseAddress!), xs = ReadPointer(xp.baseAddress!)
                ds.withUnsafeMutableBufferPointer { dsp in
                    let d = SendablePointer(dsp.baseAddress!)
                    Parallel.for(b * cin, costPerItem: 2 * p) { range in
                        for bc in range {
                            let row = g.p + bc * p, xr = xs.p + bc * p
                            var acc: Float = 0
                            for i in 0..<p { acc += row[i] * xr[i]; row[i] *= sv[bc] }
                            d.p[bc] = acc
                        }
                    }
                }
            }
        }
        let dW = needWeight ? (upsample ? weightGradientTransposed(dfull, x: x, styles: s) : weightGradientSame(draw, x: x, styles: s)) : nil
        return (dx, Tensor(shape: [b, cin], values: ds), dW)
    }

    /// d raw / d x̃ for the k x k, padding k/2 conv: the convolution of `draw` with the weight's
    /// in/out axes swapped and its kernel flipped (a forward conv with K = out*k*k, so the GEMM
    /// stays efficient and nothing is scattered).
    func inputGradientSame(_ draw: Tensor) -> Tensor {
        if kernelSize == 3, min(draw.shape[2], draw.shape[3]) >= Winograd.minimumSide {
            return Winograd.forward(draw, packed: Winograd.pack(swappedWeight(flipped: true)), scale: scale)
        }
        return Conv2D(stride: 1, padding: kernelSize / 2, columnBudget: columnBudget)
            .forward(draw, weight: swappedWeight(flipped: true), scale: scale)
    }

    /// d raw / d x̃ for the stride-2 transposed conv, from the gradient before the blur: a
    /// stride-2 k x k convolution with the in/out axes swapped (the transposed conv's adjoint).
    func inputGradientTransposed(_ dfull: Tensor) -> Tensor {
        Conv2D(stride: 2, padding: 0, columnBudget: columnBudget).forward(dfull, weight: swappedWeight(flipped: false), scale: scale)
    }

    /// dW[o, i, t] = scale Σ_b s_b[i] Σ_p draw_b[o, p] col(x_b)[(i, t), p] (same-size conv).
    func weightGradientSame(_ draw: Tensor, x: Tensor, styles s: Tensor) -> Tensor {
        let conv = Conv2D(stride: 1, padding: kernelSize / 2, columnBudget: columnBudget)
        let (cout, cin, kk) = (outChannels, inChannels, kernelSize * kernelSize)
        return Self.sumOverSamples(x.shape[0], shape: weight.shape) { b, acc in
            let g = conv.weightGradient(draw, x: x, sample: b, kernel: (kernelSize, kernelSize), scale: scale).scalars
            let sb = s.scalars[(b * cin)..<((b + 1) * cin)].map { $0 }
            for o in 0..<cout { for i in 0..<cin { for t in 0..<kk { acc[(o * cin + i) * kk + t] += sb[i] * g[(o * cin + i) * kk + t] } } }
        }
    }

    /// The transposed conv writes out[o, 2y + ky, 2x + kx] += W[o, i, ky, kx] x̃[i, y, x], so
    /// dW[o, i, t] = scale Σ_b s_b[i] Σ_p x_b[i, p] col₂(dfull_b)[(o, t), p]: the weight gradient
    /// of a stride-2 conv of dfull whose "output" is x, with the two channel axes swapped.
    func weightGradientTransposed(_ dfull: Tensor, x: Tensor, styles s: Tensor) -> Tensor {
        let conv = Conv2D(stride: 2, padding: 0, columnBudget: columnBudget)
        let (cout, cin, kk) = (outChannels, inChannels, kernelSize * kernelSize)
        return Self.sumOverSamples(x.shape[0], shape: weight.shape) { b, acc in
            let g = conv.weightGradient(x, x: dfull, sample: b, kernel: (kernelSize, kernelSize), scale: scale).scalars  // [in, out, k, k]
            let sb = s.scalars[(b * cin)..<((b + 1) * cin)].map { $0 }
            for o in 0..<cout { for i in 0..<cin { for t in 0..<kk { acc[(o * cin + i) * kk + t] += sb[i] * g[(i * cout + o) * kk + t] } } }
        }
    }

    /// The demodulation's share of dW: d[b, o] depends on W through Σ_i s_i² Σ_t W[o, i, t]², so
    /// dW[o, i, t] = -scale² W[o, i, t] Σ_b u[b, o] s[b, i]² with u = dd d³.
    func demodulationWeightGradient(_ dd: Tensor, styles s: Tensor, demod d: Tensor) -> Tensor {
        let u = demodulationSlope(dd, demod: d)                                 // [B, out]
        var s2 = s
        s2.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= p[i] } }
        let q = u.transposed().matmul(s2).scalars                           // [out, in]
        let kk = kernelSize * kernelSize, c = -scale * scale, wv = weight.scalars
        return Tensor(shape: weight.shape) { o in for j in 0..<o.count { o[j] = c * wv[j] * q[j / kk] } }
    }

    /// Σ over samples, in sample order, of what `add(b, acc)` adds (a gradient never depends on
    /// how many threads or samples ran beside it).
    static func sumOverSamples(_ n: Int, shape: [Int], _ add: (Int, inout [Float]) -> Void) -> Tensor {
        var acc = [Float](repeating: 0, count: shape.reduce(1, *))
        for b in 0..<n { add(b, &acc) }
        return Tensor(shape: shape, values: acc)
    }

    /// W [out, in, k, k] as [in, out, k, k], optionally rotated 180° in space.
    func swappedWeight(flipped: Bool) -> Tensor { Conv2D.swapAxes(weight, flipped: flipped) }
}
