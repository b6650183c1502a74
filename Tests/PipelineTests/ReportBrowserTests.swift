import FixtureSupport
import Foundation
@testable import Pipeline
import XCTest

/// The comparison report of a multi-edit run on the reduced fixtures (two edits of one text,
/// a third of another, a regression check against an earlier run) opened in headless Chromium:
/// no console error, every section there, every image loads, the sample table sorts
/// (scripts/report-check.py). The screenshot stays in $CFCLIP_REPORT_SHOT when that is set.
final class ReportBrowserTests: XCTestCase {
    func testReportRendersInChromium() throws {
        try Browser.require()
        let tmp = try TemporaryDirectory()
        var f = PipelineFixture(tmp)
        f.samples = 6
        f.extraEdit = """
          - name: elf
            text: elf ears
            mapper: \(try PipelineFixture.model("mapper"))
            alpha: 0.5
        """
        let golden = f.folder("golden")
        try f.run(try f.write(name: "golden.yaml"), output: golden)
        f.alpha = "1.6"   // the StyleCLIP edit drifts from the golden run
        f.regression = "regression:\n  golden: \(golden)"
        let out = f.folder("out")
        let result = try f.run(try f.write(), output: out)
        XCTAssertEqual(result.regression?.passed, false)
        let page = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        XCTAssertTrue(page.contains("id=\"regression\"") && page.contains("difference ×4"))
        XCTAssertLessThan(page.utf8.count, 2_000_000)
        let shot = ProcessInfo.processInfo.environment["CFCLIP_REPORT_SHOT"] ?? tmp.url.path + "/report.png"
        let r = try Browser.script("report-check.py", [out + "/report.html", shot], seconds: 180)
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: shot))
    }
}
