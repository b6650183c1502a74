/// upfirdn2d as in rosinality's StyleGAN2: zero-insertion upsampling by `up`, zero padding
/// (`pad0` before, `pad1` after; negative crops), TRUE convolution with `kernel` (flipped), then
/// keeping every `down`-th sample. Applied to every plane of an [N, C, H, W] tensor.
public struct Upfirdn2D: Sendable {
    public var kernel: Tensor           // [kh, kw]
    public var upX = 1, upY = 1, downX = 1, downY = 1
    public var padX0 = 0, padX1 = 0, padY0 = 0, padY1 = 0

    public init(kernel: Tensor, up: Int = 1, down: Int = 1, pad: (Int, Int) = (0, 0)) {
        self.kernel = kernel
        upX = up; upY = up; downX = down; downY = down
        padX0 = pad.0; padX1 = pad.1; padY0 = pad.0; padY1 = pad.1
    }

    public init(kernel: Tensor, upX: Int, upY: Int, downX: Int, downY: Int,
                padX0: Int, padX1: Int, padY0: Int, padY1: Int) {
        self.kernel = kernel
        self.upX = upX; self.upY = upY; self.downX = downX; self.downY = downY
        self.padX0 = padX0; self.padX1 = padX1; self.padY0 = padY0; self.padY1 = padY1
    }

    public func outputSize(height h: Int, width w: Int) -> (Int, Int) {
        let kh = kernel.shape[0], kw = kernel.shape[1]
        return ((h * upY + padY0 + padY1 - kh) / downY + 1, (w * upX + padX0 + padX1 - kw) / downX + 1)
    }

    /// For each output position along one axis, the (kernel tap, input index) pairs that are
    /// non-zero after upsampling: polyphase decomposition, so zeros are never multiplied.
    static func taps(outCount: Int, inCount: Int, k: Int, up: Int, down: Int, pad0: Int) -> [[(tap: Int, index: Int)]] {
        (0..<outCount).map { o in
            var list: [(Int, Int)] = []
            for t in 0..<k {
                let u = o * down + t - pad0          // index into the upsampled signal
                if u < 0 || u % up != 0 { continue }
                let i = u / up
                if i >= inCount { continue }
                list.append((k - 1 - t, i))          // true convolution: flipped kernel
            }
            return list
        }
    }

    /// Factors `kernel = outer(a, b)` when the kernel is rank one (all StyleGAN2 FIR kernels are),
    /// so the op runs as two 1-D passes.
    public var separableFactors: (rows: [Float], cols: [Float])? {
        let kh = kernel.shape[0], kw = kernel.shape[1], k = kernel.scalars
        guard let (pr, pc) = (0..<kh).flatMap({ r in (0..<kw).map { (r, $0) } }).max(by: { abs(k[$0.0 * kw + $0.1]) < abs(k[$1.0 * kw + $1.1]) }),
              k[pr * kw + pc] != 0 else { return nil }
        let pivot = k[pr * kw + pc]
        let rows = (0..<kh).map { k[$0 * kw + pc] / pivot }, cols = (0..<kw).map { k[pr * kw + $0] }
        for r in 0..<kh { for c in 0..<kw where abs(rows[r] * cols[c] - k[r * kw + c]) > 1e-6 * abs(pivot) { return nil } }
        return (rows, cols)
    }

    public func callAsFunction(_ x: Tensor) -> Tensor { callAsFunction(x, tail: nil) }

    /// Then a styled layer's `tail`, fused into the output rows of the separable FIR.
    public func callAsFunction(_ x: Tensor, tail: StyledTail?) -> Tensor {
        precondition(x.rank == 4, "upfirdn2d expects [N, C, H, W], got \(x.shape)")
        if let (kr, kc) = separableFactors, upX == 1 && upY == 1 && downX == 1 && downY == 1 {
            return FIR.apply(x, rows: kr, cols: kc, padY: (padY0, padY1), padX: (padX0, padX1), tail: tail)
        }
        var y = resampled(x)
        tail?.applyPlanes(&y)
        return y
    }

    func resampled(_ x: Tensor) -> Tensor {
        if let (kr, kc) = separableFactors {
            return Resample.apply(x, rows: .upfirdn(in: x.shape[2], kernel: kr, up: upY, down: downY, pad0: padY0, pad1: padY1),
                                  cols: .upfirdn(in: x.shape[3], kernel: kc, up: upX, down: downX, pad0: padX0, pad1: padX1))
        }
        return direct(x)
    }

    /// The 2-D definition, for kernels that are not rank one.
    public func direct(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "upfirdn2d expects [N, C, H, W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = outputSize(height: h, width: w)
        let kh = kernel.shape[0], kw = kernel.shape[1]
        let rows = Self.taps(outCount: oh, inCount: h, k: kh, up: upY, down: downY, pad0: padY0)
        let cols = Self.taps(outCount: ow, inCount: w, k: kw, up: upX, down: downX, pad0: padX0)
        let kv = kernel.scalars
        var out = Tensor(uninitialized: [n, c, max(oh, 0), max(ow, 0)])
        if out.count == 0 { return out }
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = ReadPointer(src.baseAddress!)
                let d = SendablePointer(dst.baseAddress!)
                Parallel.for(n * c, costPerItem: oh * ow * 4) { planes in
                    for p in planes {
                        let ip = s.p + p * h * w, op = d.p + p * oh * ow
                        for oy in 0..<oh {
                            for ox in 0..<ow {
                                var acc: Float = 0
                                for (ty, iy) in rows[oy] {
                                    let krow = ty * kw, irow = ip + iy * w
                                    for (tx, ix) in cols[ox] { acc += irow[ix] * kv[krow + tx] }
                                }
                                op[oy * ow + ox] = acc
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// The StyleGAN2 FIR kernel `outer(k, k) / sum(outer)`, times `gain` (up² for upsampling).
    public static func makeKernel(_ k: [Float], gain: Float = 1) -> Tensor {
        let n = k.count
        var v = [Float](repeating: 0, count: n * n)
        var sum: Float = 0
        for i in 0..<n { for j in 0..<n { v[i * n + j] = k[i] * k[j]; sum += k[i] * k[j] } }
        return Tensor(shape: [n, n], values: v.map { $0 / sum * gain })
    }
}

extension Upfirdn2D {
    /// The adjoint (d input from d output). For a pure FIR (up = down = 1) it is the FIR with
    /// the kernel reversed and the complementary padding (k - 1 - pad), which runs on the fast
    /// separable path; other factors transpose the tap tables.
    public func adjoint(_ dy: Tensor, inputHeight h: Int, inputWidth w: Int) -> Tensor {
        let kh = kernel.shape[0], kw = kernel.shape[1]
        if upX == 1, upY == 1, downX == 1, downY == 1, let (kr, kc) = separableFactors {
            return FIR.apply(dy, rows: kr.reversed(), cols: kc.reversed(),
                             padY: (kh - 1 - padY0, kh - 1 - padY1), padX: (kw - 1 - padX0, kw - 1 - padX1))
        }
        let (kr, kc) = separableFactors ?? (kernel.scalars, [1])
        return Resample.applyTranspose(dy, rows: .upfirdn(in: h, kernel: kr, up: upY, down: downY, pad0: padY0, pad1: padY1),
                                       cols: .upfirdn(in: w, kernel: kc, up: upX, down: downX, pad0: padX0, pad1: padX1))
    }
}
