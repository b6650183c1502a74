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
        let patches = Tensor(shape: [n * p, kdim]) { r in
            x.withUnsafeBufferPointer { xp in
                for b in 0..<n { for oy in 0..<oh { for ox in 0..<ow {
                    let row = ((b * oh + oy) * ow + ox) * kdim
                    for c in 0..<cin {
                        let plane = (b * cin + c) * h * w
                        for ky in 0..<kh {
                            let iy = oy * s + ky - pad
                            for kx in 0..<kw {
                                let ix = ox * s + kx - pad
                                r[row + (c * kh + ky) * kw + kx] = iy >= 0 && iy < h && ix >= 0 && ix < w ? xp[plane + iy * w + ix] : 0
                            }
                        }
                    }
                } } }
            }
        }
        let y = Linear.forward(patches, packed: packed, bias: nil).scalars   // [N*P, Cout]
        return Tensor(shape: [n, cout, oh, ow]) { o in
            for b in 0..<n { for q in 0..<p { for c in 0..<cout { o[(b * cout + c) * p + q] = y[(b * p + q) * cout + c] } } }
        }
    }
}
