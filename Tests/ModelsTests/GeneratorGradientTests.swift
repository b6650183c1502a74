import Checkpoints
import FixtureSupport
import Models
import Tensors
import XCTest

/// The generator's one synthesis definition differentiated with respect to its own tensors
/// (what StyleGAN-NADA trains) and its W+ input, end to end on the reduced fixture generator:
/// every named tensor is bound and gets a gradient of its shape, and the tape's gradient along
/// a random direction equals the central difference of the loss between two generators rebuilt
/// with the tensor moved along that direction. The network is so kinked (leaky ReLUs on random
/// weights) that float32 differences are good to about 0.5 here (measured over steps 1e-4 to
/// 1e-1), so this checks the wiring (a tensor unbound, mis-keyed, summed twice or over the
/// wrong batch); StyledLayerGradientTests checks each layer's gradients element by element.
final class GeneratorGradientTests: XCTestCase {
    let prefix = "g_ema."

    func testParameterGradientsMatchFiniteDifferences() throws {
        let dict = try StateDict.load(try Fixtures.file("stylegan2", "checkpoint.pt"))
        let g = try Generator.load(from: dict, prefix: prefix, source: "fixture")
        let c = g.config
        let w = GradCheck.seeded([2, c.nLatent, c.styleDim], seed: 5)
        let image = try g.synthesize(w)
        let r = GradCheck.seeded(image.shape, seed: 6)

        let tape = Tape()
        let params = Parameters(g.namedParameters, tape: tape)
        let wVar = tape.parameter(w)
        let out = try g.synthesize(wVar, params: params)
        XCTAssertEqual(out.value, image, "the taped forward computes the inference values")
        tape.backward(GradCheck.weighted(out, r))

        // every trainable tensor of the synthesis network is named and gets a gradient
        XCTAssertEqual(params.names.count, 1 + 5 + 4 + g.convs.count * 5 + g.toRGBs.count * 4)
        var checked = 0
        for (k, (name, value)) in g.namedParameters.enumerated() {
            guard let grad = params[name]?.grad else { XCTFail("\(name): no gradient"); continue }
            XCTAssertEqual(grad.shape, value.shape, name)
            let dir = unitRMS(GradCheck.seeded(value.shape, seed: 100 + UInt64(k)))
            let analytic = dot(grad, dir)
            let eps: Float = 1e-4   // small enough that few leaky-ReLU kinks are crossed
            let numeric = (try loss(dict, moving: name, along: dir, by: eps, w: w, r: r)
                - loss(dict, moving: name, along: dir, by: -eps, w: w, r: r)) / (2 * Double(eps))
            XCTAssertNotEqual(analytic, 0, name)
            XCTAssertLessThan(abs(numeric - analytic), 0.1 * abs(analytic) + 0.5, "\(name): numeric \(numeric), analytic \(analytic)")
            checked += 1
        }
        XCTAssertEqual(checked, params.names.count)

        // and the W+ input, through the same tape
        let dir = GradCheck.seeded(w.shape, seed: 7)
        let eps: Float = 1e-4
        let plus = try lossOf(g, w: w + dir.scaled(by: eps), r: r), minus = try lossOf(g, w: w - dir.scaled(by: eps), r: r)
        let numeric = (plus - minus) / (2 * Double(eps)), analytic = dot(wVar.grad!, dir)
        XCTAssertLessThan(abs(numeric - analytic), 0.1 * abs(analytic) + 0.5, "w+: numeric \(numeric), analytic \(analytic)")
    }

    /// Without a tape nothing is recorded and no parameter is touched.
    func testInferenceRecordsNothing() throws {
        let dict = try StateDict.load(try Fixtures.file("stylegan2", "checkpoint.pt"))
        let g = try Generator.load(from: dict, prefix: prefix, source: "fixture")
        let out = try g.synthesize(Var(GradCheck.seeded([1, g.config.nLatent, g.config.styleDim], seed: 8)))
        XCTAssertNil(out.tape)
    }

    // MARK: helpers

    func loss(_ dict: StateDict, moving name: String, along dir: Tensor, by eps: Float, w: Tensor, r: Tensor) throws -> Double {
        var moved = dict
        let key = prefix + name
        let stored = try XCTUnwrap(dict.stored(key), key)
        moved.insert(key, StoredTensor(dtype: stored.dtype, values: stored.values + dir.reshaped(stored.values.shape).scaled(by: eps)))
        return try lossOf(try Generator.load(from: moved, prefix: prefix, source: "moved"), w: w, r: r)
    }

    func lossOf(_ g: Generator, w: Tensor, r: Tensor) throws -> Double { dot(try g.synthesize(w), r) }

    /// The direction scaled to an RMS of 1, so every tensor (a one-value noise strength too)
    /// moves by about eps per value.
    func unitRMS(_ t: Tensor) -> Tensor {
        let rms = (t.scalars.reduce(Float(0)) { $0 + $1 * $1 } / Float(max(t.count, 1))).squareRoot()
        return t.scaled(by: 1 / max(rms, 1e-6))
    }

    func dot(_ a: Tensor, _ b: Tensor) -> Double {
        zip(a.scalars, b.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }
}
