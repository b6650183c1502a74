import Tensors

/// `BatchNorm2d` / `BatchNorm1d` in eval mode, read from `<key>.{weight,bias,running_mean,
/// running_var}` (`num_batches_tracked` is a training counter and is ignored by the loader).
/// The four vectors are folded once into PyTorch's per-channel scale and shift.
public struct BatchNormLayer: Sendable {
    public let scale: Tensor    // weight / sqrt(running_var + eps)  [C]
    public let shift: Tensor    // bias - running_mean * scale       [C]

    public init(_ r: WeightReader, _ key: String, channels c: Int, eps: Float = 1e-5) {
        (scale, shift) = BatchNorm.coefficients(
            weight: r.tensor("\(key).weight", [c]), bias: r.tensor("\(key).bias", [c]),
            runningMean: r.tensor("\(key).running_mean", [c]), runningVar: r.tensor("\(key).running_var", [c]), eps: eps)
    }

    /// Differentiable with respect to x (the statistics and affine are frozen); with no tape,
    /// in place when x is the caller's last reference.
    func callAsFunction(_ x: consuming Var) -> Var { BatchNorm.forward(x, scale: scale, shift: shift) }
}
