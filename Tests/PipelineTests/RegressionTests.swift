import FixtureSupport
import Foundation
import Pipeline
import XCTest

/// Regression mode against a golden run.
final class RegressionTests: XCTestCase {
    func testSameRunPassesAndADriftedRunFailsWithAReport() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 4
        let h5 = try fx.latents()
        let golden = fx.folder("golden")
        try fx.run(try fx.write(latents: h5), output: golden)

        fx.regression = "regression:\n  golden: \(golden)\n  max_pixel_diff: 0\n  max_score_diff: 0"
        let same = try fx.run(try fx.write(name: "same.yaml", latents: h5), output: fx.folder("same"))
        XCTAssertEqual(same.regression?.passed, true)
        XCTAssertEqual(same.regression?.imagesCompared, 4 * 3)
        XCTAssertEqual(same.regression?.scoresCompared, 4 * 2 * 4)

        fx.alpha = "1.4"
        let path = try fx.write(name: "drift.yaml", latents: h5)
        let r = try CLI.run(["run", path, "--output", fx.folder("drift"), "--quiet"], executable: "cfclip-batch")
        XCTAssertEqual(r.status, 3, r.output)
        XCTAssertTrue(r.output.contains("regression: FAIL") && r.output.contains("drift: 000000000 styleclip"), r.output)
        XCTAssertFalse(r.output.contains("drift: 000000000 cfclip"), "the unchanged edit did not drift: \(r.output)")
        let report = try json(fx.folder("drift") + "/regression.json")
        XCTAssertEqual(report["passed"] as? Bool, false)
    }
}
