/// Separable FIR filtering without resampling (upfirdn2d with up = down = 1), written as
/// shifted multiply-adds over whole rows so the inner loops are unit-stride and vectorise.
/// StyleGAN2's blur after every upsampling conv runs here (4 taps per axis, pad (1, 1)).
enum FIR {
    /// x [N, C, H, W] -> [N, C, H + padY0 + padY1 - kh + 1, W + padX0 + padX1 - kw + 1];
    /// `rows`/`cols` are the 1-D kernels (true convolution: applied flipped).
    static func apply(_ x: Tensor, rows kr: [Float], cols kc: [Float], padY: (Int, Int), padX: (Int, Int)) -> Tensor {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let oh = h + padY.0 + padY.1 - kr.count + 1, ow = w + padX.0 + padX.1 - kc.count + 1
        var out = Tensor(uninitialized: [n, c, max(oh, 0), max(ow, 0)])
        if out.count == 0 { return out }
        let fr = Array(kr.reversed()), fc = Array(kc.reversed())
        x.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                let s = SendablePointer(UnsafeMutablePointer(mutating: src.baseAddress!)), d = SendablePointer(dst.baseAddress!)
                Parallel.for(n * c, costPerItem: (h * ow * fc.count + oh * ow * fr.count) * 2) { planes in
                    let tmp = UnsafeMutablePointer<Float>.allocate(capacity: h * ow)
                    defer { tmp.deallocate() }
                    for p in planes {
                        let ip = s.p + p * h * w, op = d.p + p * oh * ow
                        // along W: tmp[y, o] = sum_t fc[t] * x[y, o + t - padX0]
                        for y in 0..<h {
                            let row = ip + y * w, trow = tmp + y * ow
                            trow.initialize(repeating: 0, count: ow)
                            for t in 0..<fc.count {
                                let shift = t - padX.0, k = fc[t]
                                let lo = max(0, -shift), hi = min(ow, w - shift)
                                if hi <= lo { continue }
                                let srow = row + shift
                                for o in lo..<hi { trow[o] += k * srow[o] }
                            }
                        }
                        // along H: out[o, :] = sum_t fr[t] * tmp[o + t - padY0, :]
                        for o in 0..<oh {
                            let orow = op + o * ow
                            orow.initialize(repeating: 0, count: ow)
                            for t in 0..<fr.count {
                                let iy = o + t - padY.0
                                if iy < 0 || iy >= h { continue }
                                let k = fr[t], trow = tmp + iy * ow
                                for j in 0..<ow { orow[j] += k * trow[j] }
                            }
                        }
                    }
                }
            }
        }
        return out
    }
}
