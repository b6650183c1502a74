import Checkpoints
import FixtureSupport
@testable import Models
import Tensors
import XCTest

/// Every gradient of the styled layers, element by element against central differences, on
/// layers small enough that float32 differences are exact to a few digits: a styled conv at
/// the same size and upsampling (transposed conv + blur), and ToRGB with and without the
/// upsampled skip. Each input (image, W row, and every tensor of the layer, bound as a
/// parameter) is perturbed in turn; the layer is rebuilt from the perturbed values.
final class StyledLayerGradientTests: XCTestCase {
    let (cin, cout, styleDim, batch, size) = (3, 4, 5, 2, 4)

    func testStyledConvGradients() {
        for upsample in [false, true] {
            let names = ["c.conv.weight", "c.conv.modulation.weight", "c.conv.modulation.bias", "c.noise.weight", "c.activate.bias"]
            let outSize = upsample ? 2 * size : size
            let noise = GradCheck.seeded([1, 1, outSize, outSize], seed: 40)
            let inputs = [GradCheck.seeded([batch, cin, size, size], seed: 41), GradCheck.seeded([batch, styleDim], seed: 42),
                          GradCheck.seeded([cout, cin, 3, 3], seed: 43), GradCheck.seeded([cin, styleDim], seed: 44),
                          GradCheck.seeded([cin], seed: 45, scale: 0.3) + Tensor(repeating: 1, shape: [cin]),
                          Tensor(shape: [1], values: [0.7]), GradCheck.seeded([cout], seed: 46, scale: 0.2)]
            GradCheck.check(inputs, eps: 1e-2, tol: 2e-2, kinked: true) { v in
                let layer = StyledConv(reader(zip(names, v.dropFirst(2).map(\.value)), upsample: upsample), "c", in: cin, out: cout,
                                       styleDim: styleDim, upsample: upsample, blurKernel: upsample ? Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4) : nil)
                return layer(v[0], v[1], noise: NoisePlane(noise, batch: batch), params: Parameters(binding: Array(zip(names, v.dropFirst(2)))))
            }
        }
    }

    func testToRGBGradients() {
        for withSkip in [false, true] {
            let names = ["t.conv.weight", "t.conv.modulation.weight", "t.conv.modulation.bias", "t.bias"]
            var inputs = [GradCheck.seeded([batch, cin, size, size], seed: 51), GradCheck.seeded([batch, styleDim], seed: 52),
                          GradCheck.seeded([3, cin, 1, 1], seed: 53), GradCheck.seeded([cin, styleDim], seed: 54),
                          GradCheck.seeded([cin], seed: 55, scale: 0.3) + Tensor(repeating: 1, shape: [cin]),
                          GradCheck.seeded([3], seed: 56, scale: 0.2)]
            if withSkip { inputs.append(GradCheck.seeded([batch, 3, size / 2, size / 2], seed: 57)) }
            GradCheck.check(inputs, eps: 1e-2, tol: 2e-2) { v in
                let layer = ToRGB(reader(zip(names, v[2..<6].map(\.value)), upsample: false), "t", in: cin, styleDim: styleDim,
                                  upsampleKernel: withSkip ? Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4) : nil)
                return layer(v[0], v[1], skip: withSkip ? v[6] : nil, params: Parameters(binding: Array(zip(names, v[2..<6]))))
            }
        }
    }

    /// A state dict in the checkpoint's shapes (the conv weight [1, out, in, k, k], the ToRGB
    /// bias [1, 3, 1, 1]) holding `tensors`.
    func reader<S: Sequence>(_ tensors: S, upsample: Bool) -> WeightReader where S.Element == (String, Tensor) {
        var dict = StateDict(source: "layer")
        for (name, t) in tensors {
            let shape = name.hasSuffix("conv.weight") ? [1] + t.shape : (name == "t.bias" ? [1, 3, 1, 1] : t.shape)
            dict.insert(name, StoredTensor(t.reshaped(shape)))
        }
        return WeightReader(dict, prefix: "", source: "layer")
    }
}
