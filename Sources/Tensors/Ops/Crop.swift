/// `x[:, :, top:top+height, left:left+width]` of an [N, C, H, W] tensor, as a new contiguous
/// tensor (no strided views).
public enum Crop {
    public static func forward(_ x: Tensor, top: Int, left: Int, height: Int, width: Int) -> Tensor {
        precondition(x.rank == 4, "crop expects [N, C, H, W], got \(x.shape)")
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        precondition(top >= 0 && left >= 0 && top + height <= h && left + width <= w,
                     "crop [\(top):\(top + height), \(left):\(left + width)] outside \(h)x\(w)")
        var y = Tensor(uninitialized: [n, c, height, width])
        if y.count == 0 { return y }
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for p in 0..<(n * c) {
                    for r in 0..<height {
                        (yp.baseAddress! + (p * height + r) * width)
                            .update(from: xp.baseAddress! + (p * h + top + r) * w + left, count: width)
                    }
                }
            }
        }
        return y
    }
}
