/// Convolution as one product of patch rows, for IR-SE50's strided layers and its 7x7 stage:
/// each output pixel of each image becomes a row of its patch, and one PackedMatrix product with
/// the weight gives them all. im2col + sgemm ran those layers at a third to a half of the GEMM
/// rate (a 49-column product that repacked 9 MB of weight per image; 64-row products at the
/// strided ones); here the weight is read once per batch, and a pixel's bytes do not depend on
/// the batch (PackedMatrix).
///
/// The patch columns are (ky, kx, c): from the input channels-last and zero-padded, a patch row
/// is kh runs of kw * Cin contiguous floats, copied whole.
extension Conv2D {
    /// The weight [Cout, Cin, kh, kw] in the patch rows' column order: PackedMatrix
    /// [Cout, kh * kw * Cin] with column (ky * kw + kx) * Cin + c.
    public static func patchRowWeight(_ weight: Tensor) -> PackedMatrix {
        precondition(weight.rank == 4, "conv2d: weight \(weight.shape) is not [out, in, kh, kw]")
        let (co, ci, kh, kw) = (weight.shape[0], weight.shape[1], weight.shape[2], weight.shape[3])
        let v = weight.scalars
        return PackedMatrix(Tensor(shape: [co, kh * kw * ci]) { p in
            for o in 0..<co { for c in 0..<ci { for ky in 0..<kh { for kx in 0..<kw {
                p[o * kh * kw * ci + (ky * kw + kx) * ci + c] = v[((o * ci + c) * kh + ky) * kw + kx]
            } } } }
        })
    }

    /// x [N, Cin, H, W] -> [N, Cout, H', W'] with `packed` = `patchRowWeight(weight)`; padding 1.
    public func forward(_ x: Tensor, packed: PackedMatrix, kernel: (Int, Int)) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (kh, kw) = kernel, kdim = kh * kw * cin
        precondition(packed.inFeatures == kdim, "conv2d: packed weight [\(packed.outFeatures), \(packed.inFeatures)] for \(cin)x\(kh)x\(kw) patches")
        precondition(padding == 1, "conv2d: patch rows take padding 1, got \(padding)")
        let (oh, ow) = outputSize(height: h, width: w, kernel: kernel)
        let (p, cout, s) = (oh * ow, packed.outFeatures, stride)
        // the input channels-last with the image at (1, 1): rows reach (o - 1) * s + k - 1 < h + 1
        let (ph, pw) = (max(h + 2, (oh - 1) * s + kh), max(w + 2, (ow - 1) * s + kw))
        var padded = Tensor(uninitialized: [n, ph, pw, cin])
        var patches = Tensor(uninitialized: [n * p, kdim])
        x.withUnsafeBufferPointer { xp in padded.withUnsafeMutableBufferPointer { pp in patches.withUnsafeMutableBufferPointer { rp in
            WinogradRows.channelsLast(xp.baseAddress!, n: n, c: cin, h: h, w: w, ph: ph, pw: pw, into: pp.baseAddress!)
            let src = ReadPointer(pp.baseAddress!), rs = SendablePointer(rp.baseAddress!)
            Parallel.for(n * oh, costPerItem: 2 * ow * kdim) { range in
                for item in range {
                    let (b, oy) = (item / oh, item % oh)
                    for ox in 0..<ow {
                        let row = rs.p + ((b * oh + oy) * ow + ox) * kdim
                        for ky in 0..<kh {
                            (row + ky * kw * cin).update(from: src.p + ((b * ph + oy * s + ky) * pw + ox * s) * cin, count: kw * cin)
                        }
                    }
                }
            }
        } } }
        let y = Linear.forward(patches, packed: packed, bias: nil)   // [N*P, Cout]
        var out = Tensor(uninitialized: [n, cout, oh, ow])
        y.withUnsafeBufferPointer { yp in out.withUnsafeMutableBufferPointer { op in
            WinogradRows.channelsFirst(yp.baseAddress!, n: n, c: cout, plane: p, into: op.baseAddress!)
        } }
        return out
    }
}
