/// Convolution for outputs of few pixels (IR-SE50's 7x7 stage, 512 channels): each output pixel
/// of each image becomes a row of its patch, and one PackedMatrix product with the weight
/// [Cout, Cin*kh*kw] gives them all. im2col + sgemm ran those layers at under half the GEMM rate
/// (a 49-column product that repacked 9 MB of weight per image); here the weight is read once
/// per batch, and a pixel's bytes do not depend on the batch (PackedMatrix).
extension Conv2D {
    /// x [N, Cin, H, W] -> [N, Cout, H', W'] with `packed` = PackedMatrix(weight as [Cout, Cin*kh*kw]).
    public func forward(_ x: Tensor, packed: PackedMatrix, kernel: (Int, Int)) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = kernel, kdim = cin * kh * kw
        precondition(packed.inFeatures == kdim, "conv2d: packed weight [\(packed.outFeatures), \(packed.inFeatures)] for \(cin)x\(kh)x\(kw) patches")
        let (oh, ow) = outputSize(height: h, width: w, kernel: kernel)
        let (p, cout, s, pad) = (oh * ow, packed.outFeatures, stride, padding)
        // patches [N*P, Cin*kh*kw]: row (b, oy, ox), column (c, ky, kx), 0 outside the image
        var patches = Tensor(uninitialized: [n * p, kdim])
        x.withUnsafeBufferPointer { xp in patches.withUnsafeMutableBufferPointer { rp in
            let xs = ReadPointer(xp.baseAddress!), rs = SendablePointer(rp.baseAddress!)
            Parallel.for(n * oh, costPerItem: 2 * ow * kdim) { range in
                for item in range {
                    let (b, oy) = (item / oh, item % oh)
                    for ox in 0..<ow {
                        let row = rs.p + ((b * oh + oy) * ow + ox) * kdim
                        for c in 0..<cin {
                            let plane = xs.p + (b * cin + c) * h * w
                            for ky in 0..<kh {
                                let iy = oy * s + ky - pad, out = row + (c * kh + ky) * kw
                                for kx in 0..<kw {
                                    let ix = ox * s + kx - pad
                                    out[kx] = iy >= 0 && iy < h && ix >= 0 && ix < w ? plane[iy * w + ix] : 0
                                }
                            }
                        }
                    }
                }
            }
        } }
        let y = Linear.forward(patches, packed: packed, bias: nil)   // [N*P, Cout]
        var out = Tensor(uninitialized: [n, cout, oh, ow])
        y.withUnsafeBufferPointer { yp in out.withUnsafeMutableBufferPointer { op in
            let ys = ReadPointer(yp.baseAddress!), os = SendablePointer(op.baseAddress!)
            Parallel.for(n * cout, costPerItem: 2 * p) { range in
                for item in range {
                    let (b, c) = (item / cout, item % cout), dst = os.p + item * p, src = ys.p + b * p * cout + c
                    for q in 0..<p { dst[q] = src[q * cout] }
                }
            }
        } }
        return out
    }
}
