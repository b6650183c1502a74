import Checkpoints
import FixtureSupport
import Models
import Tensors
import XCTest

/// The score stage sends a batch's sources and edits through CLIP's image tower in one call;
/// its scores may only do that if an image's features are the same bytes in any batch.
final class CLIPBatchTests: XCTestCase {
    func testImageFeaturesDoNotDependOnTheBatch() throws {
        let path = try Fixtures.file("clip", "checkpoint.pt")
        let model = try CLIPModel.load(from: StateDict.load(path), source: path, visionHeads: 2, textHeads: 2)
        let images = Tensor(shape: [3, 3, 224, 224]) { p in
            for i in 0..<p.count { p[i] = Float((i * 7919) % 2001) / 1000 - 1 }
        }
        let all = model.encodeImage(images)
        for i in 0..<3 {
            XCTAssertEqual(model.encodeImage(images.slice(i..<(i + 1))), all.slice(i..<(i + 1)), "image \(i) alone")
        }
        XCTAssertEqual(model.encodeImage(images.slice(1..<3)), all.slice(1..<3), "images 1-2 without 0")
    }

    /// Inference runs each block with its elementwise steps fused into the products
    /// (`ResidualAttentionBlock.infer`); training through the tower records them one by one.
    /// Both must give the same bytes: a fused step left out, applied twice or in another order
    /// would show here.
    func testTapedTowerGivesTheInferenceBytes() throws {
        let path = try Fixtures.file("clip", "checkpoint.pt")
        let model = try CLIPModel.load(from: StateDict.load(path), source: path, visionHeads: 2, textHeads: 2)
        let images = Tensor(shape: [2, 3, 224, 224]) { p in
            for i in 0..<p.count { p[i] = Float((i * 7919) % 2001) / 1000 - 1 }
        }
        let tape = Tape()
        XCTAssertEqual(model.visual(tape.parameter(images)).value, model.visual(images))
    }

    /// Without a hook the last block runs the class token alone (`CLIPTransformer.firstToken`);
    /// with one, every token, so the hook can show them. The features must be the same bytes,
    /// in a batch and alone, and the images' gradients the same to rounding: a residual, layer
    /// norm or bias left out of the one-row path, or the wrong token taken, would show here.
    func testLastBlockOnTheClassTokenGivesTheWholeBlocksFeatures() throws {
        let path = try Fixtures.file("clip", "checkpoint.pt")
        let model = try CLIPModel.load(from: StateDict.load(path), source: path, visionHeads: 2, textHeads: 2)
        var seen: [String] = []
        for n in [1, 3] {
            let images = Tensor(shape: [n, 3, 224, 224]) { p in
                for i in 0..<p.count { p[i] = Float((i * 7919 + n) % 2001) / 1000 - 1 }
            }
            seen = []
            let whole = model.visual(images) { name, _ in seen.append(name) }
            XCTAssertEqual(model.visual(images), whole, "batch \(n)")
            XCTAssertTrue(seen.contains("transformer.resblocks.\(model.visual.transformer.resblocks.count - 1)"), "hooked path ran every block")

            func gradient(hooked: Bool) -> Tensor {
                let tape = Tape(), p = tape.parameter(images)
                let f = hooked ? model.visual(p) { _, _ in } : model.visual(p)
                let weights = Tensor(shape: f.shape) { w in for i in 0..<w.count { w[i] = Float(i % 7) - 3 } }
                tape.backward(f, seed: weights)
                return p.grad!
            }
            let (a, b) = (gradient(hooked: false).scalars, gradient(hooked: true).scalars)
            let top = b.map(abs).max()!
            XCTAssertGreaterThan(top, 0)
            XCTAssertLessThanOrEqual(zip(a, b).map { abs($0 - $1) }.max()!, 1e-5 * top, "batch \(n): gradient to the images")
        }
    }
}
