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
        for tool in ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/bin/python3"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw XCTSkip("\(tool) is missing (scripts/setup.sh installs chromium, chromium-driver and python3-selenium)")
        }
        guard try CLI.runTool("/usr/bin/python3", ["-c", "import selenium"]).status == 0 else {
            throw XCTSkip("python3 cannot import selenium (scripts/setup.sh installs python3-selenium)")
        }
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
        let script = Fixtures.packageRoot.appendingPathComponent("scripts/report-check.py").path
        let r = try CLI.runTool("/usr/bin/timeout", ["180", "/usr/bin/python3", script, out + "/report.html", shot])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: shot))
    }
}
