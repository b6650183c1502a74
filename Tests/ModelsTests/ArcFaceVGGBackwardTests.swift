import Editing
import Checkpoints
import FixtureSupport
import Foundation
import Models
import Tensors
import XCTest

/// The identity loss (IR-SE + IDLoss preprocessing) and CF-CLIP's perceptual loss (VGG19
/// relu5_2 L1) differentiated with respect to the input image, on the reduced fixture
/// checkpoints: the taped value equals the inference value exactly, and the tape's gradient
/// matches central differences on a subset of pixels and along random directions.
final class ArcFaceVGGBackwardTests: XCTestCase {
    func idLoss() throws -> IDLoss {
        let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: try Fixtures.file("arcface", "config.json")))) as! [String: Any]
        let stages = (cfg["stages"] as! [[String: Any]]).map { (units: $0["num_units"] as! Int, stride: $0["first_stride"] as! Int) }
        let path = try Fixtures.file("arcface", "checkpoint.pt")
        return IDLoss(facenet: try Backbone.load(from: StateDict.load(path), source: path, stages: stages,
                                                 inputSize: cfg["input_size"] as? Int ?? 112))
    }

    func perceptualLoss() throws -> PerceptualLoss {
        let path = try Fixtures.file("vgg19", "checkpoint_cfclip.pt")
        return PerceptualLoss(vgg: try VGG.load(from: StateDict.load(path), source: path))
    }

    // MARK: values

    func testIDLossTapedValueEqualsInference() throws {
        let loss = try idLoss()
        // generator-size images (pooled to 256 first) and 256x256 ones (cropped directly)
        for size in [64, 256] {
            let yHat = image([2, 3, size, size], 1), y = image([2, 3, size, size], 2)
            let tape = Tape()
            XCTAssertEqual(try loss.loss(tape.parameter(yHat), y).value[flat: 0], try loss(yHat, y), "size \(size)")
            XCTAssertEqual(try loss.preprocess(Var(yHat)).value, try loss.preprocess(yHat))
        }
        let faces = image([2, 3, 112, 112], 3)
        XCTAssertEqual(try loss.facenet.embeddingRaw(Var(faces)).value, try loss.facenet.embeddingRaw(faces))
        XCTAssertEqual(try loss.facenet.embedding(Var(faces)).value, try loss.facenet.embedding(faces))
        XCTAssertNil(try loss.loss(Var(image([1, 3, 64, 64], 4)), image([1, 3, 64, 64], 5)).tape, "no tape, nothing recorded")
        XCTAssertThrowsError(try loss.loss(Var(image([1, 3, 64, 64], 4)), image([2, 3, 64, 64], 5)))
    }

    func testPerceptualTapedValueEqualsInference() throws {
        let perc = try perceptualLoss()
        let x = image([2, 3, 32, 32], 6), y = image([2, 3, 32, 32], 7)
        let tape = Tape()
        XCTAssertEqual(try perc.featureMatching(tape.parameter(x), y).value[flat: 0], try perc.featureMatching(x, y))
        let names = PerceptualLoss.layers
        let a = try perc.vgg.features(Var(VGGPreprocess.caffe(x)), names), b = try perc.vgg.features(VGGPreprocess.caffe(x), names)
        for n in names { XCTAssertEqual(a[n]?.value, b[n], n) }
        XCTAssertEqual(VGGPreprocess.caffe(Var(x)).value, VGGPreprocess.caffe(x))
        XCTAssertEqual(VGGPreprocess.imagenet(Var(x)).value, VGGPreprocess.imagenet(x))
    }

    // MARK: gradients

    func testIDLossGradientMatchesFiniteDifferences() throws {
        let loss = try idLoss()
        let yHat = image([2, 3, 16, 16], 8), y = image([2, 3, 16, 16], 9)
        try checkGradient(yHat, eps: 1e-3, tol: 3e-2, pixels: 10) { try loss.loss($0, y) }
    }

    func testIDLossGradientOnAlignedImages() throws {
        // 256 high: no first pool, only the crop window gets a gradient
        let loss = try idLoss()
        let yHat = image([1, 3, 256, 256], 10), y = image([1, 3, 256, 256], 11)
        let g = try checkGradient(yHat, eps: 1e-3, directionEps: 3e-4, tol: 3e-2, pixels: 6) { try loss.loss($0, y) }
        let v = g.scalars
        XCTAssertEqual(v[(0 * 256 + 34) * 256 + 100], 0, "row 34 is outside [35:223]")
        XCTAssertEqual(v[(1 * 256 + 100) * 256 + 220], 0, "column 220 is outside [32:220]")
        XCTAssertNotEqual(v[(2 * 256 + 35) * 256 + 32], 0)
    }

    /// mean |r52(x) - r52(y)| has a kink wherever r52(x) = r52(y), and the reduced VGG puts some
    /// pairs within a finite-difference step of each other, so the check is split at the L1:
    /// the loss's gradient equals that of its linearisation sum_i r_i r52(x)_i with
    /// r = sign(r52(x) - r52(y)) / N (what L1's backward seeds), and the linearisation, smooth but
    /// for the network's own ReLU and max-pool kinks, is checked against central differences.
    func testPerceptualGradientMatchesFiniteDifferences() throws {
        let perc = try perceptualLoss()
        let x = image([2, 3, 32, 32], 12), y = image([2, 3, 32, 32], 13)
        let tape = Tape(), p = tape.parameter(x)
        tape.backward(try perc.featureMatching(p, y))
        let r52 = { (t: Var) throws -> Var in try perc.vgg.features(VGGPreprocess.caffe(t), ["relu5_2"])["relu5_2"]! }
        let a = try r52(Var(x)).value.scalars, b = try r52(Var(y)).value.scalars
        let n = Float(a.count)
        let r = Tensor(shape: try r52(Var(x)).shape, values: zip(a, b).map { $0 > $1 ? 1 / n : ($0 < $1 ? -1 / n : 0) })
        let linear = try checkGradient(x, eps: 1e-4, directionEps: 3e-5, tol: 3e-2, pixels: 16) { v in Self.dot(try r52(v), r) }
        let fm = try XCTUnwrap(p.grad).scalars, lin = linear.scalars
        let worst = zip(fm, lin).map { abs($0 - $1) }.max()!, top = lin.map(abs).max()!
        XCTAssertLessThanOrEqual(worst, 1e-6 * top, "featureMatching's gradient is the linearisation's")
    }

    func testImagenetPreprocessGradient() {
        GradCheck.check([image([2, 3, 4, 5], 14)]) { v in VGGPreprocess.imagenet(v[0]) }
        GradCheck.check([image([2, 3, 4, 5], 15)]) { v in VGGPreprocess.caffe(v[0]) }
        GradCheck.check([image([2, 3, 4, 5], 16)]) { v in VGGPreprocess.keras(v[0]) }
    }
}

private extension ArcFaceVGGBackwardTests {
    /// sum_i x_i r_i (a scalar, accumulated in double), differentiable in x.
    static func dot(_ x: Var, _ r: Tensor) -> Var {
        let v = zip(x.value.scalars, r.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        return taped(Tensor(shape: [], values: [Float(v)]), x) { g in x.accumulate(Tensor(shape: x.shape, values: r.scalars.map { $0 * g[flat: 0] })) }
    }

    func image(_ shape: [Int], _ seed: UInt64) -> Tensor { GradCheck.seeded(shape, seed: seed) }

    /// Tape gradient of the scalar `f(x)` against central differences: `pixels` single elements
    /// (half of them where the gradient is largest, half spread at random) and three random
    /// directions d ((f(x + e d) - f(x - e d)) / 2e = <grad, d>, e = `directionEps` or `eps`;
    /// a step along all elements crosses more kinks, so it is often smaller), which cover every
    /// element at once. Errors are relative to the largest gradient entry (elements) or to
    /// max(|<grad, d>|, |grad| |d| / sqrt(N)) (directions). Returns the gradient.
    @discardableResult
    func checkGradient(_ x: Tensor, eps: Float, directionEps: Float? = nil, tol: Float, pixels: Int, file: StaticString = #filePath, line: UInt = #line,
                       _ f: (Var) throws -> Var) throws -> Tensor {
        let tape = Tape(), p = tape.parameter(x)
        let y = try f(p)
        XCTAssertEqual(y.shape, [], file: file, line: line)
        tape.backward(y)
        let g = try XCTUnwrap(p.grad, file: file, line: line)
        let gv = g.scalars
        func value(_ t: Tensor) throws -> Double { Double(try f(Var(t)).value[flat: 0]) }
        let scale = Double(max(gv.map(abs).max() ?? 0, 1e-6))
        let largest = gv.indices.sorted { abs(gv[$0]) > abs(gv[$1]) }.prefix(pixels / 2)
        var rng = GradCheck.seeded([pixels], seed: 77).scalars.map { Int((($0 + 1) / 2) * Float(x.count - 1)) }
        rng = Array(Set(rng).subtracting(largest))
        var worst = 0.0
        for j in Array(largest) + rng {
            var plus = x, minus = x
            plus[flat: j] += eps; minus[flat: j] -= eps
            let numeric = (try value(plus) - value(minus)) / (2 * Double(eps))
            worst = max(worst, abs(numeric - Double(gv[j])) / scale)
        }
        XCTAssertLessThan(worst, Double(tol), "elements: max |numeric - tape| / max|grad| = \(worst)", file: file, line: line)
        // a random direction's <grad, d> is about |grad| |d| / sqrt(N): errors are measured
        // against that (or against <grad, d> itself when larger)
        let norm = gv.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot() / Double(x.count).squareRoot()
        for seed in [101, 102, 103] as [UInt64] {
            let d = GradCheck.seeded(x.shape, seed: seed).scalars
            let dn = d.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            let e = directionEps ?? eps
            let plus = Tensor(shape: x.shape, values: zip(x.scalars, d).map { $0 + e * $1 })
            let minus = Tensor(shape: x.shape, values: zip(x.scalars, d).map { $0 - e * $1 })
            let numeric = (try value(plus) - value(minus)) / (2 * Double(e))
            let analytic = zip(gv, d).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
            XCTAssertLessThan(abs(numeric - analytic) / max(abs(analytic), norm * dn), Double(tol),
                              "direction \(seed): numeric \(numeric), tape \(analytic)", file: file, line: line)
        }
        return g
    }
}
