import FixtureSupport
import Foundation
import Pipeline
import XCTest

/// Bad input: one clear line naming the file / key, expected and found, a non-zero exit,
/// and no output folder created.
final class BadInputTests: XCTestCase {
    /// Runs the CLI and checks the failure shape; returns the error line.
    func failure(_ pipeline: String, output: String, file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let r = try CLI.run(["run", pipeline, "--output", output, "--quiet"], executable: "cfclip-batch")
        XCTAssertNotEqual(r.status, 0, r.output, file: file, line: line)
        let lines = r.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "one line: \(r.output)", file: file, line: line)
        XCTAssertTrue(r.output.hasPrefix("error: "), r.output, file: file, line: line)
        return r.output
    }

    func assertNothingWritten(_ output: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertFalse(FileManager.default.fileExists(atPath: output), "\(output) was created", file: file, line: line)
    }

    func testMissingFiles() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let out = fx.folder("out")
        var text = try String(contentsOfFile: try fx.write(), encoding: .utf8)
        text = text.replacingOccurrences(of: try PipelineFixture.model("arcface"), with: "/nonexistent/model_ir_se50.pth")
        let p = tmp.url.appendingPathComponent("missing.yaml").path
        try text.write(toFile: p, atomically: true, encoding: .utf8)
        let e = try failure(p, output: out)
        XCTAssertTrue(e.contains("/nonexistent/model_ir_se50.pth") && e.contains("no such file"), e)
        assertNothingWritten(out)
        let e2 = try failure(tmp.url.appendingPathComponent("nope.yaml").path, output: out)
        XCTAssertTrue(e2.contains("nope.yaml: no such pipeline file"), e2)
    }

    func testLatentsOfTheWrongRankOrWidth() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let out = fx.folder("out")
        let wide = try fx.latents(width: 16, name: "wide.h5")
        let e = try failure(try fx.write(name: "a.yaml", latents: wide), output: out)
        XCTAssertTrue(e.contains("wide.h5") && e.contains("width 16") && e.contains("style_dim is 32"), e)
        let flat = tmp.url.appendingPathComponent("flat.h5").path
        try Media.HDF5File.write(path: flat, datasets: [("latents", [320], PipelineFixture.latentValues(320))])
        let e2 = try failure(try fx.write(name: "b.yaml", latents: flat), output: out)
        XCTAssertTrue(e2.contains("flat.h5") && e2.contains("[N, L, D]") && e2.contains("found shape [320]"), e2)
        assertNothingWritten(out)
    }

    func testNaNLatentIsNamedByIndex() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let out = fx.folder("out")
        let bad = try fx.latents(name: "nan.h5", nanAt: 7)
        let e = try failure(try fx.write(latents: bad), output: out)
        XCTAssertTrue(e.contains("nan.h5") && e.contains("latent 7 "), e)
        assertNothingWritten(out)
    }

    func testYAMLUnknownKeyAndWrongTypeAreNamedByPath() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let out = fx.folder("out")
        let good = try String(contentsOfFile: try fx.write(), encoding: .utf8)
        let typo = tmp.url.appendingPathComponent("typo.yaml").path
        try good.replacingOccurrences(of: "    text: green lipstick\n    mapper: \(try PipelineFixture.model("cfclip_mapper"))",
                                      with: "    text: green lipstick\n    mapper: \(try PipelineFixture.model("cfclip_mapper"))\n    strenght: 2")
            .write(toFile: typo, atomically: true, encoding: .utf8)
        let e = try failure(typo, output: out)
        XCTAssertTrue(e.contains("typo.yaml: edits[1].strenght: unknown key"), e)
        let wrong = tmp.url.appendingPathComponent("wrong.yaml").path
        try good.replacingOccurrences(of: "alpha: 1.5", with: "alpha: strong").write(toFile: wrong, atomically: true, encoding: .utf8)
        let e2 = try failure(wrong, output: out)
        XCTAssertTrue(e2.contains("edits[0].alpha: expected a number or a list of numbers, found 'strong'"), e2)
        assertNothingWritten(out)
    }

    func testMapperWiderOrNarrowerThanTheGenerator() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        let narrow = tmp.url.appendingPathComponent("narrow.safetensors").path
        try Checkpoints.Safetensors.write(DemoAssets.cfclipMapperTensors(dim: 16, nLatent: 10, seed: 1), to: narrow)
        fx.extraEdit = "  - name: narrow\n    text: x\n    mapper: \(narrow)"
        let out = fx.folder("out")
        let e = try failure(try fx.write(), output: out)
        XCTAssertTrue(e.contains("edits[2].mapper") && e.contains("narrow.safetensors") && e.contains("latent width is 16")
                      && e.contains("style_dim is 32"), e)
        assertNothingWritten(out)
    }

    func testOutputFolderNotWritable() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)
        let blocker = tmp.url.appendingPathComponent("a-file").path
        try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
        let e = try failure(try fx.write(), output: blocker + "/out")
        XCTAssertTrue(e.contains("output folder \(blocker)/out") && e.contains("cannot create"), e)
        let e2 = try failure(try fx.write(), output: "/proc/cfclip-out")
        XCTAssertTrue(e2.contains("output folder /proc/cfclip-out"), e2)
    }
}

import Checkpoints
import Media
