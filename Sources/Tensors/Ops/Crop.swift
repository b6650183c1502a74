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

extension Crop {
    /// Gradient of `forward`: dy placed at [top, left] of a zero tensor of the input's shape.
    public static func backward(_ dy: Tensor, inputShape: [Int], top: Int, left: Int) -> Tensor {
        let (h, w) = (inputShape[2], inputShape[3]), (height, width) = (dy.shape[2], dy.shape[3])
        var dx = Tensor(zeros: inputShape)
        if dy.count == 0 { return dx }
        dy.withUnsafeBufferPointer { gp in
            dx.withUnsafeMutableBufferPointer { dp in
                for p in 0..<(inputShape[0] * inputShape[1]) {
                    for r in 0..<height {
                        (dp.baseAddress! + (p * h + top + r) * w + left)
                            .update(from: gp.baseAddress! + (p * height + r) * width, count: width)
                    }
                }
            }
        }
        return dx
    }

    public static func forward(_ x: Var, top: Int, left: Int, height: Int, width: Int) -> Var {
        taped(forward(x.value, top: top, left: left, height: height, width: width), x) { dy in
            x.accumulate(backward(dy, inputShape: x.shape, top: top, left: left))
        }
    }
}
