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

    /// Catches a manifest whose edit name is a path: the report would read (and the study copy)
    /// `KEY.../../x.png` from outside the folder. An alpha-list name is fine.
    func testAnEditNameThatIsAPathIsRefused() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 2
        fx.format = "folder"
        let out = fx.folder("out")
        try fx.run(try fx.write(), output: out)
        let manifest = out + "/manifest.json"
        let text = try String(contentsOfFile: manifest, encoding: .utf8)
        try text.replacingOccurrences(of: "\"name\": \"cfclip\"", with: "\"name\": \"cfclip@1.5\"").write(toFile: manifest, atomically: true, encoding: .utf8)
        XCTAssertNoThrow(try Manifest.read(OutputLayout(root: out)))
        try text.replacingOccurrences(of: "\"name\": \"cfclip\"", with: "\"name\": \"../../escape\"").write(toFile: manifest, atomically: true, encoding: .utf8)
        let bad = Hostile.assertCleanFailure(try Hostile.run("cfclip-batch", ["report", out]), "report of a manifest naming a path")
        XCTAssertTrue(bad.contains("manifest.json") && bad.contains("../../escape") && bad.contains("not a valid edit name"), bad)
    }
}
