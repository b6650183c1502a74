import FixtureSupport
import Tensors
import XCTest

/// Backward of the ops the frozen IR-SE and VGG19 networks are built from (BatchNorm, PReLU,
/// ReLU, Sigmoid, max pooling, the SE gate, crop, L1, l2 normalisation, the conv input
/// gradient with stride and padding), against central finite differences.
final class NormPoolBackwardTests: XCTestCase {
    func testBatchNormEvalAffine() {
        let (scale, shift) = (s([3], 1, 1), s([3], 2, 1))
        GradCheck.check([s([2, 3, 4, 5], 3, 1)]) { v in BatchNorm.forward(v[0], scale: scale, shift: shift) }
        GradCheck.check([s([4, 3], 4, 1)]) { v in BatchNorm.forward(v[0], scale: scale, shift: shift) }
        let x = s([2, 3, 4, 5], 5, 1)
        XCTAssertEqual(BatchNorm.forward(Var(x), scale: scale, shift: shift).value, BatchNorm.forward(x, scale: scale, shift: shift))
    }

    func testPointwiseActivations() {
        // inputs kept away from the kink at 0 by more than eps
        let x = awayFromZero(s([2, 3, 4, 4], 6, 1))
        let slope = s([3], 7, 0.5)
        GradCheck.check([x], eps: 1e-3) { v in PReLU.forward(v[0], slope: slope) }
        GradCheck.check([x], eps: 1e-3) { v in ReLU.forward(v[0]) }
        GradCheck.check([s([3, 7], 8, 3)]) { v in Sigmoid.forward(v[0]) }
        var y = x
        PReLU.forwardInPlace(&y, slope: slope)
        XCTAssertEqual(PReLU.forward(Var(x), slope: slope).value, y)
    }

    func testMaxPoolRoutesToTheArgmax() {
        GradCheck.check([s([2, 2, 6, 6], 9, 1)], eps: 1e-3) { v in MaxPool2D.forward(v[0], kernel: 2, stride: 2) }
        // overlapping windows (3, stride 2) add up; floor mode drops the last odd row and column
        GradCheck.check([s([1, 2, 8, 7], 10, 1)], eps: 1e-3) { v in MaxPool2D.forward(v[0], kernel: 3, stride: 2) }
        // kernel 1 is IR-SE's subsampling shortcut x[:, :, ::2, ::2]
        GradCheck.check([s([1, 3, 5, 6], 11, 1)]) { v in MaxPool2D.forward(v[0], kernel: 1, stride: 2) }
        let x = Tensor(shape: [1, 1, 2, 2], values: [1, 3, 3, 2])
        let tape = Tape(), p = tape.parameter(x)
        tape.backward(MaxPool2D.forward(p, kernel: 2))
        XCTAssertEqual(p.grad?.scalars, [0, 1, 0, 0], "a tie goes to the first maximum, as PyTorch")
    }

    func testSqueezeExcitationPieces() {
        GradCheck.check([s([2, 3, 4, 5], 12, 1)]) { v in Pool.globalAverage(v[0]) }
        GradCheck.check([s([2, 3, 4, 5], 13, 1), s([2, 3], 14, 1)]) { v in Elementwise.scalePlanes(v[0], by: v[1]) }
        // the gate computed from x itself: gradient through both paths
        let w = s([3, 3], 15, 1)
        GradCheck.check([s([2, 3, 3, 4], 16, 1)]) { v in
            Elementwise.scalePlanes(v[0], by: Sigmoid.forward(Linear.forward(Pool.globalAverage(v[0]), weight: Var(w), bias: nil)))
        }
    }

    func testCropAndAdaptivePool() {
        GradCheck.check([s([2, 2, 7, 8], 17, 1)]) { v in Crop.forward(v[0], top: 2, left: 1, height: 4, width: 5) }
        GradCheck.check([s([1, 2, 11, 9], 18, 1)]) { v in Pool.adaptiveAverage(v[0], height: 7, width: 13) }
        let x = s([2, 2, 7, 8], 19, 1)
        XCTAssertEqual(Crop.forward(Var(x), top: 2, left: 1, height: 4, width: 5).value, Crop.forward(x, top: 2, left: 1, height: 4, width: 5))
    }

    func testMeanAbsoluteError() {
        let a = s([2, 3, 4], 20, 1)
        // a target at least 0.1 away from every a[i], so no step crosses the kink
        let b = Tensor(shape: a.shape, values: zip(a.scalars, s([2, 3, 4], 21, 1).scalars).map { $0 + ($1 >= 0 ? 0.1 + $1 : -0.1 + $1) })
        GradCheck.check([a]) { v in MeanError.absolute(v[0], b) }
        XCTAssertEqual(MeanError.absolute(Var(a), b).value[flat: 0], MeanError.absolute(a, b))
        let tape = Tape(), p = tape.parameter(a)
        tape.backward(MeanError.absolute(p, a))
        XCTAssertEqual(p.grad?.scalars, [Float](repeating: 0, count: a.count), "sign(0) = 0")
    }

    /// One kernel for both floors: the taped value is the inference one bit for bit; a zero row
    /// stays zero under F.normalize's floor and is NaN under ArcFace's (as the references).
    func testL2NormalizeKeepsTheInferenceValue() {
        let x = s([3, 8], 22, 2)
        for floor: Float in [0, L2Normalize.torchFloor] {
            XCTAssertEqual(Diff.l2Normalize(Var(x), floor: floor).value, L2Normalize.forward(x, floor: floor))
            GradCheck.check([x]) { v in Diff.l2Normalize(v[0], floor: floor) }
        }
        let zero = Tensor(zeros: [1, 4])
        XCTAssertEqual(L2Normalize.forward(zero, floor: L2Normalize.torchFloor).scalars, [0, 0, 0, 0])
        XCTAssertTrue(L2Normalize.forward(zero, floor: 0).scalars.allSatisfy { $0.isNaN })
    }

    /// `Conv2D.inputGradient` (col2im) with stride, padding and non-square kernels.
    func testConvInputGradientStridedPadded() {
        for (stride, padding, kh, kw) in [(1, 1, 3, 3), (2, 1, 3, 3), (2, 0, 3, 3), (2, 0, 1, 1), (3, 2, 3, 2), (1, 0, 2, 3)] {
            let conv = Conv2D(stride: stride, padding: padding)
            let w = s([4, 3, kh, kw], UInt64(23 + stride * 10 + padding), 0.5)
            GradCheck.check([s([2, 3, 7, 6], 30, 1)]) { v in
                taped(conv.forward(v[0].value, weight: w), v[0]) { dy in v[0].accumulate(conv.inputGradient(dy, weight: w, inputShape: v[0].shape)) }
            }
        }
    }

    func testFrozenWeightsRecordOnlyTheInput() {
        let tape = Tape(), x = tape.parameter(s([1, 2, 4, 4], 31, 1))
        let w = Var(s([2], 32, 1))
        let y = Elementwise.scalePlanes(x, by: Var(s([1, 2], 33, 1)))
        let loss = MeanError.absolute(BatchNorm.forward(y, scale: w.value, shift: w.value), Tensor(zeros: [1, 2, 4, 4]))
        tape.backward(loss)
        XCTAssertNotNil(x.grad)
        XCTAssertNil(w.grad)
        XCTAssertNil(MeanError.absolute(Var(s([2, 2], 34, 1)), Tensor(zeros: [2, 2])).tape, "constants record nothing")
    }
}

private extension NormPoolBackwardTests {
    func s(_ shape: [Int], _ seed: UInt64, _ scale: Float) -> Tensor { GradCheck.seeded(shape, seed: seed, scale: scale) }

    func awayFromZero(_ t: Tensor) -> Tensor { Tensor(shape: t.shape, values: t.scalars.map { $0 >= 0 ? $0 + 0.05 : $0 - 0.05 }) }
}
