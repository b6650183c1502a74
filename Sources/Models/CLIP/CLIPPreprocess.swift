import Tensors

/// Turning images into CLIP input.
public enum CLIPPreprocess {
    public static let mean: [Float] = [0.48145466, 0.4578275, 0.40821073]
    public static let std: [Float] = [0.26862954, 0.26130258, 0.27577711]

    /// Generator output in [-1, 1] -> CLIP input, as CF-CLIP's losses compute it: (x+1)/2,
    /// bicubic (A = -0.75, align_corners false, no antialias, no clamp) to `resolution`, then
    /// the CLIP mean/std. The taps sum to one, so the shift commutes with the resize and runs
    /// after it, at the small size.
    public static func fromGenerator(_ x: Tensor, resolution: Int = 224) -> Tensor {
        fromGenerator(Var(x), resolution: resolution).value
    }

    /// `fromGenerator` on `Var`s (differentiable with respect to the images).
    public static func fromGenerator(_ x: Var, resolution: Int = 224) -> Var {
        let (h, w) = (x.shape[2], x.shape[3])
        let r = Resample.apply(x, rows: .bicubic(in: h, out: resolution), cols: .bicubic(in: w, out: resolution))
        let plane = resolution * resolution, planes = r.value.count / max(plane, 1)
        var y = r.value
        y.withUnsafeMutableBufferPointer { p in
            for i in 0..<planes {
                let c = i % 3, m = mean[c], s = 1 / std[c]
                let row = p.baseAddress! + i * plane
                for j in 0..<plane { row[j] = ((row[j] + 1) / 2 - m) * s }
            }
        }
        return taped(y, r) { g in
            var dx = g
            dx.withUnsafeMutableBufferPointer { p in
                for i in 0..<planes { let k = 0.5 / std[i % 3]; for j in (i * plane)..<((i + 1) * plane) { p[j] *= k } }
            }
            r.accumulate(dx)
        }
    }

    /// StyleCLIP's global CLIP loss input: nearest upsampling x7 then AvgPool2d(size / 32), on the
    /// raw generator output (no shift, no mean/std: StyleCLIP issue #38).
    /// The reference pools with `size // 32` for a 224 CLIP; for another input resolution the
    /// kernel is `size * 7 / resolution`, which is the same number at 224.
    public static func styleCLIP(_ x: Tensor, resolution: Int = 224) -> Tensor { styleCLIP(Var(x), resolution: resolution).value }

    /// `styleCLIP` on `Var`s (differentiable with respect to the images).
    public static func styleCLIP(_ x: Var, resolution: Int = 224) -> Var {
        Pool.nearestUpsampleThenAverage(x, factor: 7, kernel: max(1, x.shape[2] * 7 / resolution))
    }

    /// 8-bit RGB [N, H, W, 3] -> `(x/255 - mean) / std` as [N, 3, H, W] (images already at the
    /// model resolution, as the reference's PIL preprocessing leaves them).
    public static func fromRGB8(_ pixels: [UInt8], count n: Int, height h: Int, width w: Int) -> Tensor {
        precondition(pixels.count == n * h * w * 3)
        return Tensor(shape: [n, 3, h, w]) { out in
            for b in 0..<n { for c in 0..<3 {
                let m = mean[c], s = std[c]
                for y in 0..<h { for x in 0..<w {
                    out[((b * 3 + c) * h + y) * w + x] = (Float(pixels[((b * h + y) * w + x) * 3 + c]) / 255 - m) / s
                } }
            } }
        }
    }
}
