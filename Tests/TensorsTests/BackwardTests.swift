import FixtureSupport
import Tensors
import XCTest

/// Every differentiable op's backward against central finite differences.
final class BackwardTests: XCTestCase {


    func testLinear() {
        GradCheck.check([s([3, 5], 1, 1), s([4, 5], 2, 1), s([4], 3, 1)]) { v in
            Linear.forward(v[0], weight: v[1], bias: v[2], scale: 0.7, biasScale: 0.3)
        }
    }

    func testFusedLeakyReLU() {
        GradCheck.check([s([2, 3, 4], 4, 1), s([4], 5, 1)], eps: 1e-3) { v in FusedLeakyReLU.forward(v[0], bias: v[1], axis: 2) }
        GradCheck.check([s([2, 3, 2, 2], 6, 1), s([3], 7, 1)], eps: 1e-3) { v in FusedLeakyReLU.forward(v[0], bias: v[1], axis: 1) }
    }

    func testLayerNormQuickGELUAttention() {
        let w = s([6], 8, 1), b = s([6], 9, 1)
        GradCheck.check([s([2, 3, 6], 10, 1)], eps: 1e-2) { v in LayerNorm.forward(v[0], weight: w, bias: b) }
        GradCheck.check([s([2, 7], 11, 2)], eps: 1e-2) { v in QuickGELU.forward(v[0]) }
        for causal in [false, true] {
            GradCheck.check([s([2, 4, 12], 12, 1)], eps: 1e-2) { v in Attention.forward(qkv: v[0], heads: 2, causal: causal) }
        }
    }

    func testResampleAdjoint() {
        GradCheck.check([s([1, 2, 5, 6], 13, 1)]) { v in
            Resample.apply(v[0], rows: .bicubic(in: 5, out: 9), cols: .bicubic(in: 6, out: 4))
        }
    }

    func testRowOps() {
        GradCheck.check([s([3, 4], 14, 1)]) { v in Diff.l2Normalize(v[0]) }
        GradCheck.check([s([3, 4], 15, 1), s([5, 4], 16, 1)]) { v in Diff.matmulTransposed(v[0], v[1]) }
        GradCheck.check([s([3, 4], 17, 1)]) { v in Diff.repeatRows(Diff.meanRows(v[0]), 2) }
        GradCheck.check([s([3, 4], 18, 1), s([3, 4], 19, 1)]) { v in Diff.rowDot(v[0], v[1]) }
        GradCheck.check([s([3, 6], 20, 3)]) { v in Diff.crossEntropyFirstColumn(v[0]).mean }
        GradCheck.check([s([3, 4], 21, 1), s([3, 4], 22, 1)]) { v in Diff.meanSquaredError(Diff.sub(v[0], v[1]), Diff.affine(v[1], scale: 0.5)) }
        GradCheck.check([s([2, 3], 23, 1), s([1, 3], 24, 1)]) { v in Diff.concatenate([Diff.slice(v[0], 1..<2), v[1]]) }
    }

    func testPerspectiveWarp() {
        let c = Perspective.samplingCoefficients(startpoints: [(0, 0), (7, 0), (7, 6), (0, 6)],
                                                 endpoints: [(1, 1), (6, 0), (7, 5), (0, 6)])
        for fill: [Float]? in [nil, [0]] {
            GradCheck.check([s([1, 2, 7, 8], 25, 1)]) { v in Perspective.warp(v[0], coefficients: c, fill: fill) }
        }
    }

    func testConvInputGradient() {
        for (stride, pad) in [(1, 1), (1, 0), (1, 2), (2, 1), (3, 0)] {
            let w = s([4, 2, 3, 3], 26, 1), conv = Conv2D(stride: stride, padding: pad)
            GradCheck.check([s([2, 2, 7, 6], 27, 1)]) { v in
                taped(conv.forward(v[0].value, weight: w), v[0]) { dy in v[0].accumulate(conv.inputGradient(dy, weight: w, inputShape: v[0].shape)) }
            }
        }
    }

    /// The backward frees each intermediate's gradient once its step has run (that memory serves
    /// the next layer); leaves and `retainGrad` outputs keep theirs, and a second use still adds up.
    func testBackwardFreesIntermediateGradients() {
        let tape = Tape(), x = tape.parameter(s([2, 3], 1, 1))
        let h = Diff.affine(x, scale: 2), kept = Diff.affine(h, scale: 3).retainGrad()
        let loss = Diff.sum(Diff.add(kept, h))
        tape.backward(loss)
        XCTAssertNil(h.grad, "an intermediate's gradient is dropped after its step")
        XCTAssertEqual(kept.grad?.scalars, [Float](repeating: 1, count: 6))
        XCTAssertEqual(x.grad?.scalars, [Float](repeating: 8, count: 6), "d/dx (6x + 2x) through both uses of h")
        XCTAssertEqual(tape.recordedSteps, 0)
    }

    func testConstantsRecordNothing() {
        let x = Var(s([2, 3], 1, 1)), w = Var(s([4, 3], 2, 1))
        let y = Linear.forward(x, weight: w, bias: nil)
        XCTAssertNil(y.tape)
        XCTAssertFalse(y.needsGrad)
    }
}

private extension BackwardTests {
    func s(_ shape: [Int], _ seed: UInt64, _ scale: Float) -> Tensor { GradCheck.seeded(shape, seed: seed, scale: scale) }
}
