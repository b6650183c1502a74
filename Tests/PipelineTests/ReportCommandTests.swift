import FixtureSupport
import Foundation
import Pipeline
import XCTest

/// `cfclip-batch report FOLDER`: rebuilds summary.json and report.html from the finished shards.
final class ReportCommandTests: XCTestCase {
    /// Deleted (or stale) summary and page come back byte for byte from the shards alone; a
    /// folder that is not an output folder is one clean error.
    func testReportRebuildsSummaryAndPageFromTheShards() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let out = fx.folder("out")
        try fx.run(try fx.write(), output: out)
        let summary = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
        let page = try Data(contentsOf: URL(fileURLWithPath: out + "/report.html"))
        try FileManager.default.removeItem(atPath: out + "/summary.json")
        try "stale".write(toFile: out + "/report.html", atomically: true, encoding: .utf8)

        let r = try CLI.run(["report", out], executable: "cfclip-batch")
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json")), summary)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/report.html")), page)

        let bad = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["report", fx.folder("nothing")]), "report of no folder")
        XCTAssertTrue(bad.contains("nothing"), bad)
    }
}
