import Tensors

/// The three input conventions of VGG perceptual features, all from generator images in
/// [-1, 1] RGB.
public enum VGGPreprocess {
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406]
    public static let imagenetStd: [Float] = [0.229, 0.224, 0.225]
    /// Caffe means / 255 in B, G, R order (CF-CLIP `vgg_preprocess`).
    public static let caffeBGRMean: [Float] = [0.40760392, 0.45795686, 0.48501961]

    /// torchvision weights: `((x + 1) / 2 - mean[c]) / std[c]`, RGB.
    public static func imagenet(_ x: Tensor, mean: [Float] = imagenetMean, std: [Float] = imagenetStd) -> Tensor {
        map(x, channelFrom: { $0 }) { v, c in ((v + 1) / 2 - mean[c]) / std[c] }
    }

    /// CF-CLIP `vgg_preprocess(x, vgg_normal_correct=True)`: `t = (x + 1) / 2`, RGB -> BGR,
    /// `(t - mean_bgr) * 255` (no std division).
    public static func caffe(_ x: Tensor, bgrMean: [Float] = caffeBGRMean, scale: Float = 255) -> Tensor {
        map(x, channelFrom: { 2 - $0 }) { v, c in ((v + 1) / 2 - bgrMean[c]) * scale }
    }

    /// Keras/Caffe means in B, G, R order, on the 0-255 scale (idinvert's `_MEAN_STATS`).
    public static let kerasBGRMean: [Float] = [103.939, 116.779, 123.68]

    /// idinvert / TediGAN `VGG16.forward`: `(x - (-1)) * 255 / 2`, RGB -> BGR, minus the BGR
    /// means, in that order of float operations.
    public static func keras(_ x: Tensor, bgrMean: [Float] = kerasBGRMean) -> Tensor {
        map(x, channelFrom: { 2 - $0 }) { v, c in (v + 1) * 255 / 2 - bgrMean[c] }
    }

    /// out[n, c] = f(x[n, channelFrom(c)], c) over [N, 3, H, W].
    static func map(_ x: Tensor, channelFrom: (Int) -> Int, _ f: (Float, Int) -> Float) -> Tensor {
        precondition(x.rank == 4 && x.shape[1] == 3, "VGG preprocessing expects RGB [N, 3, H, W], got \(x.shape)")
        let plane = x.shape[2] * x.shape[3]
        var y = Tensor(uninitialized: x.shape)
        x.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { yp in
                for n in 0..<x.shape[0] {
                    for c in 0..<3 {
                        let src = xp.baseAddress! + (n * 3 + channelFrom(c)) * plane, dst = yp.baseAddress! + (n * 3 + c) * plane
                        for i in 0..<plane { dst[i] = f(src[i], c) }
                    }
                }
            }
        }
        return y
    }
}

extension VGGPreprocess {
    /// Differentiable `imagenet`: d/dx = 1 / (2 std[c]).
    public static func imagenet(_ x: Var, mean: [Float] = imagenetMean, std: [Float] = imagenetStd) -> Var {
        taped(imagenet(x.value, mean: mean, std: std), x) { dy in
            x.accumulate(mapBackward(dy, channelFrom: { $0 }, slope: std.map { 1 / (2 * $0) }))
        }
    }

    /// Differentiable `caffe`: d/dx = scale / 2, with the BGR reordering undone.
    public static func caffe(_ x: Var, bgrMean: [Float] = caffeBGRMean, scale: Float = 255) -> Var {
        taped(caffe(x.value, bgrMean: bgrMean, scale: scale), x) { dy in
            x.accumulate(mapBackward(dy, channelFrom: { 2 - $0 }, slope: [Float](repeating: scale / 2, count: 3)))
        }
    }

    /// Differentiable `keras`: d/dx = 255 / 2, with the BGR reordering undone.
    public static func keras(_ x: Var, bgrMean: [Float] = kerasBGRMean) -> Var {
        taped(keras(x.value, bgrMean: bgrMean), x) { dy in
            x.accumulate(mapBackward(dy, channelFrom: { 2 - $0 }, slope: [Float](repeating: 127.5, count: 3)))
        }
    }

    /// Gradient of an affine `map`: dx[n, channelFrom(c)] += dy[n, c] * slope[c].
    static func mapBackward(_ dy: Tensor, channelFrom: (Int) -> Int, slope: [Float]) -> Tensor {
        let plane = dy.shape[2] * dy.shape[3]
        var dx = Tensor(zeros: dy.shape)
        dy.withUnsafeBufferPointer { gp in
            dx.withUnsafeMutableBufferPointer { dp in
                for n in 0..<dy.shape[0] {
                    for c in 0..<3 {
                        let src = gp.baseAddress! + (n * 3 + c) * plane, dst = dp.baseAddress! + (n * 3 + channelFrom(c)) * plane
                        for i in 0..<plane { dst[i] += src[i] * slope[c] }
                    }
                }
            }
        }
        return dx
    }
}
