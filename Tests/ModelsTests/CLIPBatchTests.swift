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
}
