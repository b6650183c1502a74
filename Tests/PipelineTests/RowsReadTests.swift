import FixtureSupport
import Foundation
import Checkpoints
@testable import Pipeline
import XCTest

/// Metrics rows as the people who analyse them read them: with pandas and duckdb, exactly as
/// README.md shows (scripts/read-metrics.py), in `.tools/venv` (scripts/setup.sh makes it).
final class RowsReadTests: XCTestCase {
    static let python = Fixtures.packageRoot.appendingPathComponent(".tools/venv/bin/python").path

    /// Catches: keys read as integers (pandas guesses `000000004` is 4), a column whose type
    /// changes between methods so duckdb's typed read fails, rows missing their method or steps.
    func testPandasAndDuckDBReadTheRowsWithTheirTypes() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python),
              try CLI.runTool(Self.python, ["-c", "import pandas, duckdb"]).status == 0 else {
            throw XCTSkip("\(Self.python) with pandas and duckdb is missing (scripts/setup.sh makes .tools/venv)")
        }
        let tmp = try TemporaryDirectory()
        var f = PipelineFixture(tmp)
        f.samples = 6
        f.extraEdit = """
          - name: tedigan
            text: green lipstick
            method: optimize
            optimize: {preset: tedigan, steps: 2, start: source, weights: {perceptual: 0}}
        """
        let out = f.folder("out")
        try f.run(try f.write(), output: out)

        // the files themselves, read here
        var clip: [String: [Double]] = [:]
        var keys = Set<String>()
        for name in try FileManager.default.contentsOfDirectory(atPath: out + "/metrics") {
            for line in try String(contentsOfFile: out + "/metrics/" + name, encoding: .utf8).split(separator: "\n") {
                let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                clip[row["edit"] as! String, default: []].append(row["clip_similarity"] as! Double)
                keys.insert(row["key"] as! String)
            }
        }
        let script = Fixtures.packageRoot.appendingPathComponent("scripts/read-metrics.py").path
        let r = try CLI.runTool("/usr/bin/timeout", ["120", Self.python, script, out])
        XCTAssertEqual(r.status, 0, r.output)
        let got = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as! [String: Any]
        let pandas = got["pandas"] as! [String: Any]
        XCTAssertEqual(pandas["rows"] as? Int, 6 * 3)
        XCTAssertEqual(pandas["keys"] as? [String], keys.sorted())
        XCTAssertEqual(pandas["key_dtype"] as? String, "object")
        XCTAssertEqual((pandas["steps"] as! [String: Any])["tedigan"] as? Int, 2)
        XCTAssertTrue((pandas["steps"] as! [String: Any])["cfclip"] is NSNull)
        for (edit, mean) in pandas["clip"] as! [String: Double] {
            let want = clip[edit]!.reduce(0, +) / Double(clip[edit]!.count)
            XCTAssertEqual(mean, want, accuracy: 1e-9, edit)
        }
        let duck = got["duckdb"] as! [[String: Any]]
        XCTAssertEqual(duck.map { $0["edit"] as! String }, ["cfclip", "styleclip", "tedigan"])
        XCTAssertEqual(duck.map { $0["method"] as! String }, ["cfclip-mapper", "styleclip-mapper", "optimize"])
        for d in duck {
            let e = d["edit"] as! String
            XCTAssertEqual(d["n"] as? Int, 6)
            XCTAssertEqual(d["first_key"] as? String, "000000000")
            XCTAssertEqual(d["clip"] as! Double, clip[e]!.reduce(0, +) / 6, accuracy: 1e-9)
        }
    }

    /// Catches the old behaviour: a NaN score written as the string "NaN" (a text column in
    /// every reader). Now it is null, with the reason in `<metric>_error`.
    func testNonFiniteScoreIsNullWithItsReason() {
        for (v, why) in [(Float.nan, "NaN"), (.infinity, "+infinity"), (-.infinity, "-infinity")] {
            let fields = EncodeStage.score("identity", v)
            let text = JSONValue.object(fields).serialized(sortedKeys: true)
            XCTAssertEqual(text, "{\"identity\": null, \"identity_error\": \"not a finite number (\(why))\"}")
        }
        XCTAssertEqual(JSONValue.object(EncodeStage.score("identity", 0.5)).serialized(), "{\"identity\": 0.5}")
    }
}
