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

extension ConfigTests {
    func with(_ edits: String, models: String = "", source: String = "") -> String {
        minimal.replacingOccurrences(of: "  - {name: lipstick, text: green lipstick, mapper: m.pt}", with: edits)
            .replacingOccurrences(of: "  generator: g.pt", with: "  generator: g.pt\n" + models)
            .replacingOccurrences(of: "  sampled: {seed: 5, count: 3}", with: "  sampled: {seed: 5, count: 3}\n" + source)
    }

    /// Methods, presets, sweeps and rows as written; catches a preset default that drifts from
    /// the reference script, an alpha list that does not expand, rows that are not sorted.
    func testMethodsPresetsSweepsAndRows() throws {
        let clip = "  clip: {checkpoint: c.pt, vocabulary: v.gz}\n  vgg: vgg16.pth"
        let c = try parse(with("""
          - {name: s, text: t, method: styleclip-mapper, mapper: s.pt, alpha: [0.5, 1.0, 2]}
          - {name: o, text: t, method: optimize, optimize: {preset: styleclip}}
          - {name: td, text: t, method: optimize, generator: n.pt, optimize: {preset: tedigan, steps: 50, start: mean, weights: {clip: 2, perceptual: 0}}}
          - {name: nada, text: t, method: none, generator: n.pt}
        """, models: clip, source: "  rows: [7, \"2-4\", 0]"))
        XCTAssertEqual(c.edits.map(\.name), ["s@0.5", "s@1.0", "s@2.0", "o", "td", "nada"])
        XCTAssertEqual(c.edits.map(\.alpha), [0.5, 1, 2, 1, 1, 1])
        XCTAssertEqual(c.rows, .listed([0, 2, 3, 4, 7]))
        let o = try XCTUnwrap(c.edits[3].optimization), td = try XCTUnwrap(c.edits[4].optimization)
        XCTAssertEqual([o.steps, td.steps], [300, 50])
        XCTAssertEqual([o.weights.clip, o.weights.latentL2Sum, o.weights.identity, o.weights.latentMSE], [1, 0.008, 0, 0], "run_optimization.py's defaults")
        XCTAssertEqual([td.weights.clip, td.weights.pixelMSE, td.weights.latentMSE, td.weights.perceptual], [2, 1, 2, 0], "demo.py's, overridden")
        XCTAssertEqual([o.start, td.start], [.source, .mean])
        XCTAssertEqual(c.edits[4].generator, "/base/n.pt")
        XCTAssertEqual(try parse(with("  - {name: a, text: t, mapper: m.pt}", source: "  limit: 2")).rows, .first(2))
    }

    /// Impossible combinations are errors naming the key path.
    func testImpossibleMethodCombinationsNameTheirKey() {
        let clip = "  clip: {checkpoint: c.pt, vocabulary: v.gz}"
        let cases: [(String, String, String)] = [
            ("  - {name: a, text: t, method: optimize, mapper: m.pt, optimize: {preset: tedigan}}", clip, "edits[0].mapper: method optimize uses no mapper"),
            ("  - {name: a, text: t, method: none}", "", "edits[0].generator: missing: method none renders the source latent"),
            ("  - {name: a, text: t, method: optimize}", clip, "edits[0].optimize: missing: method optimize needs"),
            ("  - {name: a, text: t, mapper: m.pt, optimize: {preset: styleclip}}", clip, "edits[0].optimize: only method optimize takes"),
            ("  - {name: a, text: t, method: optimize, alpha: [1, 2], optimize: {preset: styleclip}}", clip, "edits[0].alpha: only mapper edits have a strength"),
            ("  - {name: a, text: t, method: optimize, optimize: {preset: fast}}", clip, "edits[0].optimize.preset: expected styleclip or tedigan, found 'fast'"),
            ("  - {name: a, text: t, method: optimize, optimize: {preset: tedigan}}", clip, "edits[0].optimize.weights.perceptual: the perceptual term needs models.vgg"),
            ("  - {name: a, text: t, method: optimize, optimize: {preset: styleclip}}", "", "edits[0].optimize.weights.clip: the CLIP term needs models.clip"),
            ("  - {name: a, text: t, method: optimize, optimize: {preset: styleclip, weights: {clip: -1}}}", clip, "edits[0].optimize.weights.clip: must be 0 or more"),
            ("  - {name: a, text: t, method: optimize, optimize: {preset: styleclip, step: 3}}", clip, "edits[0].optimize.step: unknown key"),
            ("  - {name: a, text: t, method: styleclip-mapper}", "", "edits[0].mapper: missing: method styleclip-mapper needs a mapper checkpoint"),
            ("  - {name: a@1, text: t, mapper: m.pt}", "", "edits[0].name: must be letters, digits"),
        ]
        for (edits, models, want) in cases {
            let e = error(with(edits, models: models))
            XCTAssertTrue(e.contains(want), "\(edits)\n\(e)")
        }
        XCTAssertTrue(error(with("  - {name: a, text: t, mapper: m.pt}", source: "  rows: [1, 1]")).contains("source.rows: sample 1 is listed twice"))
        XCTAssertTrue(error(with("  - {name: a, text: t, mapper: m.pt}", source: "  rows: [\"5-2\"]")).contains("source.rows[0]: expected a sample index or a range"))
        XCTAssertTrue(error(with("  - {name: a, text: t, mapper: m.pt}", source: "  rows: [1]\n  limit: 3")).contains("source.limit: give 'rows' or 'limit', not both"))
    }
}
