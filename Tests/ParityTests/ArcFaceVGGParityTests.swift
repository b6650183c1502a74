import Editing
import FixtureSupport
import Foundation
import Parity
import XCTest

/// `cfclip parity` on the IR-SE / IDLoss and VGG19 folders: every output from every checkpoint
/// file (.pt, .safetensors, and CF-CLIP's key layout for VGG) computed and within tolerance.
extension ParityRunnerTests {
    func testArcFace() throws { try assertFolderPasses("arcface") }
    func testVGG19() throws { try assertFolderPasses("vgg19") }

    /// Every checkpoint file of the folder is judged, not only the first.
    func testVGG19JudgesEveryCheckpointFile() throws {
        let report = try ParityRunner.run(try Fixtures.folder("vgg19").path)
        XCTAssertEqual(Set(report.results.map(\.source)), ["checkpoint.pt", "checkpoint.safetensors", "checkpoint_cfclip.pt"])
    }
}
