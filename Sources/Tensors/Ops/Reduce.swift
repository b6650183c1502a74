/// Pooling layers built on the separable resampler.
public enum Pool {
    /// `AdaptiveAvgPool2d((height, width))`.
    public static func adaptiveAverage(_ x: Tensor, height: Int, width: Int) -> Tensor {
        Resample.apply(x, rows: .adaptiveAverage(in: x.shape[2], out: height),
                       cols: .adaptiveAverage(in: x.shape[3], out: width))
    }

    /// `AvgPool2d(kernel)` (stride = kernel, no padding).
    public static func average(_ x: Tensor, kernel: Int) -> Tensor {
        Resample.apply(x, rows: .average(in: x.shape[2], kernel: kernel),
                       cols: .average(in: x.shape[3], kernel: kernel))
    }

    /// StyleCLIP's `AvgPool2d(kernel)(Upsample(scale_factor: factor, mode: nearest)(x))`.
    /// Separable, so the x`factor` image is never materialised (7168² at 1024²).
    public static func nearestUpsampleThenAverage(_ x: Tensor, factor: Int, kernel: Int) -> Tensor {
        nearestUpsampleThenAverage(Var(x), factor: factor, kernel: kernel).value
    }

    /// `nearestUpsampleThenAverage` on `Var`s (differentiable with respect to `x`).
    public static func nearestUpsampleThenAverage(_ x: Var, factor: Int, kernel: Int) -> Var {
        Resample.apply(x, rows: .nearestThenAverage(in: x.shape[2], factor: factor, kernel: kernel),
                       cols: .nearestThenAverage(in: x.shape[3], factor: factor, kernel: kernel))
    }
}
