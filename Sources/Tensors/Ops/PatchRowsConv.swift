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

/// Patch rows for a convolution whose stride is its kernel and which pads nothing (ViT's patch
/// embedding, CLIP's `conv1`): each output pixel's patch is its own block of the image, so a
/// row is C · p runs of p contiguous floats, in the weight's own (c, ky, kx) order, and
/// `PackedMatrix(weight.reshaped([Cout, C * p * p]))` multiplies them. The product is then
/// channel-last, the tokens' layout. Per image im2col + sgemm repacked CLIP's 9 MB weight for
/// every image and summed in the order of the OpenBLAS kernel the CPU got.
extension Conv2D {
    /// x [N, C, H, W] -> [N · (H/p) · (W/p), C · p · p]; pixels past a whole patch are dropped,
    /// as the convolution drops them.
    public static func disjointPatchRows(_ x: Tensor, patch p: Int) -> Tensor {
        precondition(x.rank == 4 && p > 0, "patch rows: input \(x.shape), patch \(p)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (gh, gw) = (h / p, w / p), kdim = c * p * p
        var rows = Tensor(uninitialized: [n * gh * gw, kdim])
        if rows.count == 0 { return rows }
        x.withUnsafeBufferPointer { xp in rows.withUnsafeMutableBufferPointer { rp in
            let src = ReadPointer(xp.baseAddress!), dst = SendablePointer(rp.baseAddress!)
            Parallel.for(n * gh, costPerItem: 2 * gw * kdim) { range in
                for item in range {
                    let (b, gy) = (item / gh, item % gh)
                    for gx in 0..<gw {
                        let row = dst.p + (item * gw + gx) * kdim
                        for ci in 0..<c { for ky in 0..<p {
                            (row + (ci * p + ky) * p).update(from: src.p + ((b * c + ci) * h + gy * p + ky) * w + gx * p, count: p)
                        } }
                    }
                }
            }
        } }
        return rows
    }

    /// The adjoint of `disjointPatchRows`: each row's runs added back where they were read
    /// (patches do not overlap, so each pixel gets one run's value; pixels no patch read, 0).
    public static func disjointPatchRowsAdjoint(_ rows: Tensor, patch p: Int, imageShape s: [Int]) -> Tensor {
        let (n, c, h, w) = (s[0], s[1], s[2], s[3])
        let (gh, gw) = (h / p, w / p), kdim = c * p * p
        precondition(rows.shape == [n * gh * gw, kdim], "patch rows: gradient \(rows.shape) for an image \(s), patch \(p)")
        var x = Tensor(zeros: s)
        rows.withUnsafeBufferPointer { rp in x.withUnsafeMutableBufferPointer { xp in
            for b in 0..<n { for gy in 0..<gh { for gx in 0..<gw {
                let row = rp.baseAddress! + ((b * gh + gy) * gw + gx) * kdim
                for ci in 0..<c { for ky in 0..<p {
                    (xp.baseAddress! + ((b * c + ci) * h + gy * p + ky) * w + gx * p).update(from: row + (ci * p + ky) * p, count: p)
                } }
            } } }
        } }
        return x
    }
}
