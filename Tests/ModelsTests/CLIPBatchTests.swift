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
}
