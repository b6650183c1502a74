import Tensors

extension RGBImage {
    /// One image of an [N, 3, H, W] tensor in [-1, 1], as torchvision's
    /// `save_image(normalize=True, range=(-1, 1))` writes it: clamp, (x+1)/2, uint8(v*255 + 0.5);
    /// a NaN value becomes 0.
    public init(tensor x: Tensor, index: Int = 0) {
        precondition(x.rank == 4 && x.shape[1] == 3, "RGBImage(tensor:) needs [N, 3, H, W], got \(x.shape)")
        let (h, w) = (x.shape[2], x.shape[3]), plane = h * w
        var px = [UInt8](repeating: 0, count: plane * 3)
        x.withUnsafeBufferPointer { p in
            let base = p.baseAddress! + index * 3 * plane
            for c in 0..<3 {
                for i in 0..<plane {
                    let v = (min(max(base[c * plane + i], -1), 1) + 1) / 2
                    // NaN (a diverged render) is written as 0, as torch's uint8 cast does, never a crash
                    px[i * 3 + c] = v.isNaN ? 0 : UInt8(min(max(v * 255 + 0.5, 0), 255))
                }
            }
        }
        self.init(width: w, height: h, pixels: px)
    }

    /// Images placed left to right (rows of equal height), with `gap` pixels of `fill` between.
    public static func row(_ images: [RGBImage], gap: Int = 0, fill: UInt8 = 255) -> RGBImage {
        grid([images], gap: gap, fill: fill)
    }

    /// A grid of images: `rows[r][c]`; every cell takes the largest width/height.
    public static func grid(_ rows: [[RGBImage]], gap: Int = 0, fill: UInt8 = 255) -> RGBImage {
        let cw = rows.flatMap { $0 }.map(\.width).max() ?? 0, ch = rows.flatMap { $0 }.map(\.height).max() ?? 0
        let cols = rows.map(\.count).max() ?? 0
        let w = max(cols * cw + (cols - 1) * gap, 0), h = max(rows.count * ch + (rows.count - 1) * gap, 0)
        var px = [UInt8](repeating: fill, count: w * h * 3)
        for (r, row) in rows.enumerated() {
            for (c, img) in row.enumerated() {
                let x0 = c * (cw + gap), y0 = r * (ch + gap)
                for y in 0..<img.height {
                    let src = y * img.width * 3, dst = ((y0 + y) * w + x0) * 3
                    px.replaceSubrange(dst..<(dst + img.width * 3), with: img.pixels[src..<(src + img.width * 3)])
                }
            }
        }
        return RGBImage(width: w, height: h, pixels: px)
    }
}
