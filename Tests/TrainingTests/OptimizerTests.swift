import Tensors
import Training
import XCTest

final class OptimizerTests: XCTestCase {
    /// Seven Ranger steps (the SGD-momentum warm-up, the rectified steps, one Lookahead sync at
    /// step 6, gradient centralisation of the matrix only) against the reference update rule
    /// computed independently in float64.
    func testRangerMatchesReferenceRule() {
        var params: [(String, Tensor)] = [("w", Tensor(shape: [2, 2], values: [0.5, -1, 2, 0.25])), ("b", Tensor(shape: [2], values: [0.1, -0.2]))]
        var opt = Ranger(lr: 0.5)
        for k in 0..<7 {
            let s = Float(k + 1).squareRoot() * (k % 2 == 0 ? 1 : -1)
            let gw = Tensor(shape: [2, 2], values: [0.3, -0.1, 0.2, 0.4].map { $0 * s })
            let gb = Tensor(shape: [2], values: [0.05, -0.02].map { $0 * Float(k + 1) })
            opt.update(&params, grads: [("w", gw), ("b", gb)])
        }
        let wantW: [Float] = [0.4315045391484511, -0.931504539148451, 2.0350486111372943, 0.2149513888627057]
        let wantB: [Float] = [-0.049080288094968234, -0.1275395767813848]
        for (a, b) in zip(params[0].1.scalars, wantW) { XCTAssertEqual(a, b, accuracy: 2e-5) }
        for (a, b) in zip(params[1].1.scalars, wantB) { XCTAssertEqual(a, b, accuracy: 2e-5) }
        XCTAssertEqual(opt.step, 7)
    }

    func testAdamDescendsAQuadraticAndRestoresState() throws {
        var p: [(String, Tensor)] = [("x", Tensor(shape: [3], values: [3, -2, 1]))]
        var opt = Adam(lr: 0.1)
        for _ in 0..<200 { opt.update(&p, grads: [("x", p[0].1)]) }   // d/dx x²/2 = x
        XCTAssertLessThan(p[0].1.scalars.map(abs).max()!, 0.05)
        var copy = Adam(lr: 0.1)
        try copy.restore(opt.state, step: opt.step)
        var p1 = p, p2 = p
        opt.update(&p1, grads: [("x", p1[0].1)]); copy.update(&p2, grads: [("x", p2[0].1)])
        XCTAssertEqual(p1[0].1, p2[0].1)
    }
}

extension OptimizerTests {
    /// `get_lr` of StyleCLIP's and TediGAN's scripts, values printed by Python's own formula
    /// (math.cos, floats): 0 at step 0, the linear ramp-up over 5%, flat, the cosine ramp-down
    /// over the last 25%. A ramp computed in Float, or over (i + 1) / steps, misses these.
    func testOptimisationLearningRateIsTheReferenceRamp() {
        let s = OptimizationSettings(preset: .styleclip)
        XCTAssertEqual(s.steps, 300)
        let want: [(Int, Double)] = [(0, 0), (1, 0.006666666666666667), (7, 0.04666666666666667), (15, 0.1), (150, 0.1),
                                     (226, 0.09995614150494292), (250, 0.07499999999999997), (299, 4.385849505708084e-05)]
        for (i, lr) in want { XCTAssertEqual(s.learningRate(step: i), lr, accuracy: 1e-15, "step \(i)") }
        var six = OptimizationSettings(preset: .tedigan)
        XCTAssertEqual(six.steps, 200)
        six.steps = 6
        XCTAssertEqual([0, 1, 5].map { six.learningRate(step: $0) }, [0, 0.1, 0.07499999999999997].map { $0 }, "the fixtures' 6-step ramp")
    }
}
