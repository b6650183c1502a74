import Checkpoints
import FixtureSupport
import Foundation
import Media
import Models
import Pipeline
import Tensors
import XCTest

/// One pipeline run with every method on the reduced fixtures: CF-CLIP and StyleCLIP mappers
/// (the fixture's two edits), both latent-optimisation presets, and an edit rendered by its
/// own generator; on a selection of rows.
final class MethodsPipelineTests: XCTestCase {
    /// The fixture generator with every synthesis weight scaled by 1 + 0.1 N(0, 1): a stand-in
    /// for an adapted (StyleGAN-NADA) generator, written as safetensors under `g_ema.`.
    static func adaptedGenerator(_ tmp: TemporaryDirectory) throws -> String {
        let dict = try StateDict.load(try PipelineFixture.model("stylegan2"))
        var out: [String: Tensor] = [:]
        for name in dict.names {
            var t = try dict.tensor(name)
            if name.hasPrefix("g_ema.") && !name.hasPrefix("g_ema.style.") && name.hasSuffix(".weight") {
                let n = SeededNoise.gaussian(count: t.count, seed: UInt64(name.utf8.count) &* 7919)
                t = Tensor(shape: t.shape, values: zip(t.scalars, n).map { $0 * (1 + 0.1 * $1) })
            }
            out[name] = t
        }
        let path = tmp.url.appendingPathComponent("adapted.safetensors").path
        try Safetensors.write(out, to: path)
        return path
    }

    func fixture(_ tmp: TemporaryDirectory, selection: String, batchSize: Int = 2) throws -> PipelineFixture {
        var f = PipelineFixture(tmp)
        f.batchSize = batchSize
        f.samplesPerShard = 3
        f.extraModels = "  vgg: \(try Fixtures.file("methods", "vgg16_tedigan.pt"))"
        f.sourceExtra = selection
        f.extraEdit = """
          - name: styleclip_opt
            text: green lipstick
            method: optimize
            optimize: {preset: styleclip, steps: 3, weights: {identity: 0.005}}
          - name: tedigan
            text: green lipstick
            method: optimize
            optimize: {preset: tedigan, steps: 3, start: mean, start_seed: 4}
          - name: nada
            text: green lipstick
            method: none
            generator: \(try Self.adaptedGenerator(tmp))
        """
        return f
    }

    /// Every PNG of a tar-sharded run, by member name.
    func images(_ root: String) throws -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: root + "/shards") where name.hasSuffix(".tar") {
            for (n, d) in try TarReader.members([UInt8](try Data(contentsOf: URL(fileURLWithPath: root + "/shards/" + name)))) where n.hasSuffix(".png") {
                out[n] = Array(d)
            }
        }
        return out
    }

    func rows(_ root: String) throws -> [[String: Any]] {
        let dir = root + "/metrics"
        return try FileManager.default.contentsOfDirectory(atPath: dir).sorted().flatMap { name in
            try String(contentsOfFile: dir + "/" + name, encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
    }

    /// Catches: an optimisation or own-generator edit that renders the source unchanged (wrong
    /// latent or wrong generator), rows without their method, preset, steps, loss curve or
    /// model hashes, a selection that renumbers samples, output bytes that depend on the batch
    /// size or differ between identical runs.
    func testMixedMethodsOnSelectedRows() throws {
        let tmp = try TemporaryDirectory()
        let f = try fixture(tmp, selection: "  rows: [1, \"4-5\", 8]")
        let yaml = try f.write()
        let a = f.folder("a"), b = f.folder("b")
        try f.run(yaml, output: a)

        let rows = try rows(a)
        XCTAssertEqual(Set(rows.map { $0["key"] as! String }), ["000000001", "000000004", "000000005", "000000008"], "a selection keeps the sample indices")
        XCTAssertEqual(rows.count, 4 * 5)
        let byEdit = Dictionary(grouping: rows) { $0["edit"] as! String }
        XCTAssertEqual(Set(byEdit.keys), ["styleclip", "cfclip", "styleclip_opt", "tedigan", "nada"])
        let want: [String: (String, String?, Int?, [String])] = [
            "styleclip": ("styleclip-mapper", nil, nil, ["generator", "mapper"]),
            "cfclip": ("cfclip-mapper", nil, nil, ["clip", "generator", "mapper"]),
            "styleclip_opt": ("optimize", "styleclip", 3, ["arcface", "clip", "generator"]),
            "tedigan": ("optimize", "tedigan", 3, ["clip", "generator", "vgg"]),
            "nada": ("none", nil, nil, ["generator"]),
        ]
        for (edit, list) in byEdit {
            let (method, preset, steps, models) = want[edit]!
            for r in list {
                XCTAssertEqual(r["method"] as? String, method, edit)
                XCTAssertEqual(r["preset"] as? String, preset, edit)
                XCTAssertEqual(r["steps"] as? Int, steps, edit)
                XCTAssertEqual(r["text"] as? String, "green lipstick")
                XCTAssertEqual(r["start_seed"] as? Int, edit == "tedigan" ? 4 : nil, "the seed of start: mean")
                let m = r["models"] as! [String: String]
                XCTAssertEqual(m.keys.sorted(), models, edit)
                XCTAssertTrue(m.values.allSatisfy { $0.count == 12 && $0.allSatisfy(\.isHexDigit) }, "\(m)")
                let losses = r["losses"] as? [Double]
                XCTAssertEqual(losses?.count, steps, edit)
                XCTAssertTrue(losses?.allSatisfy(\.isFinite) ?? true)
            }
        }
        XCTAssertNotEqual((byEdit["nada"]![0]["models"] as! [String: String])["generator"],
                          (byEdit["styleclip"]![0]["models"] as! [String: String])["generator"], "the own generator's hash")
        XCTAssertEqual(byEdit["nada"]!.map { $0["latent_l2"] as! Double }, [0, 0, 0, 0], "method none keeps the latent")

        // every method's image differs from the source
        let shard = a + "/shards"
        for name in try FileManager.default.contentsOfDirectory(atPath: shard) where name.hasSuffix(".tar") {
            let members = try TarReader.members([UInt8](try Data(contentsOf: URL(fileURLWithPath: shard + "/" + name))))
            var tar: [String: [UInt8]] = [:]
            for (n, d) in members { tar[n] = Array(d) }
            for key in Set(tar.keys.map { String($0.prefix(9)) }) {
                let src = try PNG.decode(tar["\(key).src.png"]!, name: "src").pixels
                for edit in want.keys {
                    let img = try PNG.decode(tar["\(key).\(edit).png"]!, name: edit).pixels
                    XCTAssertNotEqual(img, src, "\(key).\(edit) equals its source")
                }
            }
        }

        // identical bytes for another batch size, and sample 4 as in a run over rows 0-5
        let g = try fixture(tmp, selection: "  rows: [1, \"4-5\", 8]", batchSize: 3)
        try g.run(try g.write(name: "b.yaml"), output: b)
        XCTAssertEqual(try outputBytes(a), try outputBytes(b))
        let h = try fixture(tmp, selection: "  limit: 6")
        let c = f.folder("c")
        try h.run(try h.write(name: "c.yaml"), output: c)
        let lines = { (root: String) in try self.rows(root).filter { $0["key"] as? String == "000000004" }.map { NSDictionary(dictionary: $0) } }
        XCTAssertEqual(try lines(a), try lines(c), "sample 4's rows depend on which other samples run")
    }

    /// The fixture CLIP with every weight scaled by 1 + 0.05 N(0, 1): another model to judge with.
    static func otherCLIP(_ tmp: TemporaryDirectory) throws -> String {
        let dict = try StateDict.load(try PipelineFixture.model("clip"))
        var out: [String: Tensor] = [:]
        for name in dict.names {
            var t = try dict.tensor(name)
            if name.hasSuffix("weight") || name.hasSuffix("proj") {
                let n = SeededNoise.gaussian(count: t.count, seed: UInt64(name.utf8.count) &+ 11)
                t = Tensor(shape: t.shape, values: zip(t.scalars, n).map { $0 * (1 + 0.05 * $1) })
            }
            out[name] = t
        }
        let path = tmp.url.appendingPathComponent("judge.safetensors").path
        try Safetensors.write(out, to: path)
        return path
    }

    /// Catches: CLIP scores of an optimisation (or a CF-CLIP mapper, whose text embedding the
    /// guiding CLIP makes) not flagged when the guiding model scores them; `scores.clip`
    /// ignored, or changing the images; the flag kept when the judge is another model.
    func testIndependentJudgeAndTheGuideFlag() throws {
        let tmp = try TemporaryDirectory()
        var f = PipelineFixture(tmp)
        f.samples = 3
        f.extraEdit = """
          - name: tedigan
            text: green lipstick
            method: optimize
            optimize: {preset: tedigan, steps: 2, weights: {perceptual: 0}}
        """
        let guided = f.folder("guided"), judged = f.folder("judged")
        try f.run(try f.write(), output: guided)
        f.scoresExtra = """
          clip:
            checkpoint: \(try Self.otherCLIP(tmp))
            vocabulary: \(try Fixtures.clipVocabulary())
            vision_heads: 2
            text_heads: 2
        """
        try f.run(try f.write(name: "judged.yaml"), output: judged)

        let a = try rows(guided), b = try rows(judged)
        let flag = { (rows: [[String: Any]], edit: String) in Set(rows.filter { $0["edit"] as? String == edit }.map { $0["clip_judge_guided"] as! Bool }) }
        XCTAssertEqual(flag(a, "tedigan"), [true])
        XCTAssertEqual(flag(a, "cfclip"), [true], "CF-CLIP's text embedding comes from the guiding CLIP")
        XCTAssertEqual(flag(a, "styleclip"), [false])
        for e in ["tedigan", "cfclip", "styleclip"] { XCTAssertEqual(flag(b, e), [false], e) }
        let judge = Set(b.map { $0["clip_judge"] as! String }), guide = Set(a.map { $0["clip_judge"] as! String })
        XCTAssertEqual(judge.count, 1); XCTAssertEqual(guide.count, 1); XCTAssertNotEqual(judge, guide)
        XCTAssertEqual(guide.first, (a.first { $0["edit"] as? String == "tedigan" }!["models"] as! [String: String])["clip"])
        // the judge changes the CLIP scores, not the images or the other scores
        let pair = zip(a.sorted { "\($0["key"]!)\($0["edit"]!)" < "\($1["key"]!)\($1["edit"]!)" },
                       b.sorted { "\($0["key"]!)\($0["edit"]!)" < "\($1["key"]!)\($1["edit"]!)" })
        for (x, y) in pair {
            XCTAssertNotEqual(x["clip_similarity"] as! Double, y["clip_similarity"] as! Double)
            XCTAssertEqual(x["identity"] as! Double, y["identity"] as! Double)
        }
        XCTAssertEqual(try images(guided), try images(judged), "the judge changed an image")
        let report = try String(contentsOfFile: guided + "/report.html", encoding: .utf8)
        XCTAssertTrue(report.contains("scored by the CLIP model that guided the edit"), "the report explains the flag")
        XCTAssertEqual(report.components(separatedBy: "class=\"guide\" title=").count - 1, 2 * 2, "two CLIP scores of two guided edits")
        XCTAssertFalse(try String(contentsOfFile: judged + "/report.html", encoding: .utf8).contains("class=\"guide\" title="))
    }
}
