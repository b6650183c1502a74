/// `MaxPool2d(kernel, stride)` without padding (floor mode) over [N, C, H, W]. With kernel 1
/// it is plain subsampling `x[:, :, ::s, ::s]` (IR-SE's identity shortcut).
public enum MaxPool2D {
    public static func outputSize(_ n: Int, kernel: Int, stride: Int) -> Int { (n - kernel) / stride + 1 }

    public static func forward(_ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, planes: Int, height h: Int,
                               width w: Int, kernel k: Int, stride s: Int) {
        let oh = outputSize(h, kernel: k, stride: s), ow = outputSize(w, kernel: k, stride: s)
        if oh <= 0 || ow <= 0 { return }
        let xs = ReadPointer(x), ys = SendablePointer(y)
        Parallel.for(planes, costPerItem: oh * ow * k * k) { range in
            for p in range {
                let src = xs.p + p * h * w, dst = ys.p + p * oh * ow
                for oy in 0..<oh {
                    for ox in 0..<ow {
                        var m = -Float.infinity
                        for ky in 0..<k {
                            let row = src + (oy * s + ky) * w + ox * s
                            for kx in 0..<k { let v = row[kx]; if v > m || v.isNaN { m = v } }
                        }
                        dst[oy * ow + ox] = m
                    }
                }
            }
        }
    }

    public static func forward(_ x: Tensor, kernel: Int, stride: Int? = nil) -> Tensor {
        precondition(x.rank == 4, "max_pool2d expects [N, C, H, W], got \(x.shape)")
        let s = stride ?? kernel
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        var y = Tensor(uninitialized: [n, c, max(outputSize(h, kernel: kernel, stride: s), 0),
                                       max(outputSize(w, kernel: kernel, stride: s), 0)])
        if y.count == 0 { return y }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, yp.baseAddress!, planes: n * c, height: h, width: w, kernel: kernel, stride: s)
            }
        }
        return y
    }
}

extension Pool {
    /// `AdaptiveAvgPool2d(1)` flattened: [N, C, H, W] -> [N, C], the mean of each plane.
    public static func globalAverage(_ x: Tensor) -> Tensor {
        precondition(x.rank == 4, "global average pool expects [N, C, H, W], got \(x.shape)")
        let planes = x.shape[0] * x.shape[1], inner = x.shape[2] * x.shape[3]
        var y = Tensor(uninitialized: [x.shape[0], x.shape[1]])
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for p in 0..<planes {
                    let src = xp.baseAddress! + p * inner
                    var acc: Float = 0
                    for i in 0..<inner { acc += src[i] }
                    yp[p] = acc / Float(inner)
                }
            }
        }
        return y
    }
}

extension MaxPool2D {
    /// Routes each output gradient to the input its window picked, chosen by the forward rule
    /// (the first maximum in scan order, a NaN wins), so windows that overlap add up.
    public static func backward(_ dy: Tensor, input x: Tensor, kernel k: Int, stride s: Int) -> Tensor {
        let (planes, h, w) = (x.shape[0] * x.shape[1], x.shape[2], x.shape[3])
        let (oh, ow) = (dy.shape[2], dy.shape[3])
        var dx = Tensor(zeros: x.shape)
        if dy.count == 0 { return dx }
        x.withUnsafeBufferPointer { xp in
            dy.withUnsafeBufferPointer { gp in
                dx.withUnsafeMutableBufferPointer { dp in
                    let xs = ReadPointer(xp.baseAddress!)
                    let gs = ReadPointer(gp.baseAddress!), ds = SendablePointer(dp.baseAddress!)
                    Parallel.for(planes, costPerItem: oh * ow * k * k) { range in
                        for p in range {
                            let src = xs.p + p * h * w, dst = ds.p + p * h * w, g = gs.p + p * oh * ow
                            for oy in 0..<oh {
                                for ox in 0..<ow {
                                    var m = -Float.infinity, at = (oy * s) * w + ox * s
                                    for ky in 0..<k {
                                        let i0 = (oy * s + ky) * w + ox * s
                                        for kx in 0..<k { let v = src[i0 + kx]; if v > m || v.isNaN { m = v; at = i0 + kx } }
                                    }
                                    dst[at] += g[oy * ow + ox]
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }

    public static func forward(_ x: Var, kernel: Int, stride: Int? = nil) -> Var {
        let s = stride ?? kernel
        return taped(forward(x.value, kernel: kernel, stride: s), x) { dy in
            x.accumulate(backward(dy, input: x.value, kernel: kernel, stride: s))
        }
    }
}

extension Pool {
    /// Gradient of `globalAverage`: dy[n, c] / (H*W) spread over the plane.
    public static func globalAverageBackward(_ dy: Tensor, inputShape: [Int]) -> Tensor {
        let planes = inputShape[0] * inputShape[1], inner = inputShape[2] * inputShape[3]
        var dx = Tensor(uninitialized: inputShape)
        dy.withUnsafeBufferPointer { g in
            dx.withUnsafeMutableBufferPointer { d in
                for p in 0..<planes { (d.baseAddress! + p * inner).initialize(repeating: g[p] / Float(inner), count: inner) }
            }
        }
        return dx
    }

    public static func globalAverage(_ x: Var) -> Var {
        taped(globalAverage(x.value), x) { dy in x.accumulate(globalAverageBackward(dy, inputShape: x.shape)) }
    }

    /// Differentiable `adaptiveAverage` (its backward is the resampler's adjoint).
    public static func adaptiveAverage(_ x: Var, height: Int, width: Int) -> Var {
        Resample.apply(x, rows: .adaptiveAverage(in: x.shape[2], out: height),
                       cols: .adaptiveAverage(in: x.shape[3], out: width))
    }
}
