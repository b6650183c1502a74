import Foundation
import Pipeline
import XCTest

/// Pipeline files: defaults, strictness, and errors that name the key path.
final class ConfigTests: XCTestCase {
    let minimal = """
    models:
      generator: g.pt
    source:
      sampled: {seed: 5, count: 3}
    edits:
      - {name: lipstick, text: green lipstick, mapper: m.pt}
    output:
      dir: out
    """

    func parse(_ yaml: String) throws -> PipelineConfig {
        try PipelineConfig.parse(yaml, file: "p.yaml", baseDirectory: "/base")
    }

    func error(_ yaml: String) -> String {
        do { _ = try parse(yaml); return "no error" } catch { return "\(error)" }
    }

    func testDefaultsAndPathsRelativeToTheFile() throws {
        let c = try parse(minimal)
        XCTAssertEqual(c.models.generator, "/base/g.pt")
        XCTAssertEqual(c.edits[0].mapper, "/base/m.pt")
        XCTAssertEqual(c.edits[0].alpha, 1)
        XCTAssertEqual(c.output.dir, "/base/out")
        XCTAssertEqual(c.output.format, .tar)
        XCTAssertEqual(c.output.samplesPerShard, 100)
        XCTAssertEqual(c.runtime.batchSize, 4)
        XCTAssertEqual(c.scores.metrics, [.latentL2], "scores default to what the configured models allow")
        guard case let .sampled(s) = c.source else { return XCTFail("sampled source expected") }
        XCTAssertEqual([s.seed, UInt32(s.count)], [5, 3])
        XCTAssertEqual(s.truncation, 0.7)
        XCTAssertEqual(s.center, .latentAvg)
    }

    func testUnknownKeysAreErrorsWithTheirPath() {
        XCTAssertTrue(error(minimal + "\n  formt: tar").contains("p.yaml: output.formt: unknown key (expected one of: dir, format"))
        let e = error(minimal.replacingOccurrences(of: "mapper: m.pt}", with: "mapper: m.pt}\n  - {name: b, text: t, mapper: m.pt, strenght: 2}"))
        XCTAssertTrue(e.contains("edits[1].strenght: unknown key"), e)
        XCTAssertTrue(error(minimal + "\nextra: 1").contains("p.yaml: extra: unknown key"))
    }

    func testWrongTypesNameThePathAndWhatWasExpected() {
        let e = error(minimal.replacingOccurrences(of: "mapper: m.pt}", with: "mapper: m.pt, alpha: lots}"))
        XCTAssertTrue(e.contains("edits[0].alpha: expected a number or a list of numbers, found 'lots'"), e)
        let e2 = error(minimal.replacingOccurrences(of: "count: 3", with: "count: [1]"))
        XCTAssertTrue(e2.contains("source.sampled.count: expected a single value, found a list"), e2)
        let e3 = error(minimal + "\n  format: zip")
        XCTAssertTrue(e3.contains("output.format: expected tar or folder, found 'zip'"), e3)
        let e4 = error(minimal.replacingOccurrences(of: "edits:\n  - {name: lipstick, text: green lipstick, mapper: m.pt}", with: "edits: 3"))
        XCTAssertTrue(e4.contains("edits: expected a list"), e4)
    }

    func testMissingKeysAndCrossChecks() {
        XCTAssertTrue(error(minimal.replacingOccurrences(of: "output:\n  dir: out", with: "")).contains("output: missing (required)"))
        XCTAssertTrue(error(minimal.replacingOccurrences(of: "name: lipstick", with: "name: lip.stick")).contains("edits[0].name: must be letters"))
        XCTAssertTrue(error(minimal.replacingOccurrences(of: "sampled: {seed: 5, count: 3}", with: "hdf5: {path: a.h5}\n  sampled: {seed: 1, count: 1}"))
            .contains("source: give exactly one of"))
        XCTAssertTrue(error(minimal + "\nscores: {metrics: [identiy]}").contains("scores.metrics[0]: unknown metric 'identiy'"))
        XCTAssertTrue(error(minimal + "\nscores: {metrics: [clip_similarity]}").contains("CLIP scores need models.clip"))
        XCTAssertTrue(error(minimal + "\nruntime: {batch_size: 0}").contains("runtime.batch_size: must be a positive integer, found 0"))
        XCTAssertTrue(error("models: [").contains("not valid YAML"))
    }
}
