import FixtureSupport
import Foundation
import Media
import Pipeline
import XCTest

/// Whole runs on the reduced fixture models: the outputs are readable by standard tools and
/// hold every sample, edit and score.
final class EndToEndTests: XCTestCase {
    func testTarShardsAreWebDatasetReadableWithEverySampleAndScore() throws {
        let tmp = try TemporaryDirectory()
        let fx = PipelineFixture(tmp)            // 10 samples, 4 per shard: 3 shards
        let out = fx.folder("out")
        let result = try fx.run(try fx.write(), output: out)
        XCTAssertEqual(result.shardsWritten, 3)
        XCTAssertTrue(result.complete)

        var keys: [String] = []
        for s in 0..<3 {
            let tar = out + "/shards/\(OutputLayout.shardName(s)).tar"
            let (status, listing) = try shell("/usr/bin/tar", ["tf", tar])
            XCTAssertEqual(status, 0, listing)
            let names = listing.split(separator: "\n").map(String.init)
            let members = try TarReader.members([UInt8](try Data(contentsOf: URL(fileURLWithPath: tar))))
            XCTAssertEqual(members.map(\.name), names)
            for (name, data) in members {
                let parts = name.split(separator: ".", maxSplits: 1).map(String.init)
                XCTAssertEqual(parts[0].count, 9, "key of \(name)")
                if name.hasSuffix(".png") {
                    let img = try PNG.decode(Array(data), name: name)
                    XCTAssertEqual(img.width, 64); XCTAssertEqual(img.height, 64)
                }
                if name.hasSuffix(".json") { keys.append(parts[0]) }
            }
            XCTAssertEqual(names.count, 4 * (s < 2 ? 4 : 2), "src + 2 edits + json per sample")
            XCTAssertTrue(names.contains { $0.hasSuffix(".cfclip.png") } && names.contains { $0.hasSuffix(".styleclip.png") })
            XCTAssertTrue(FileManager.default.fileExists(atPath: out + "/shards/\(OutputLayout.shardName(s)).done.json"))
        }
        XCTAssertEqual(keys, (0..<10).map(sampleKey))
        try assertMetricsComplete(out, samples: 10)

        let marker = try DoneMarker.read(path: out + "/shards/shard-000001.done.json")
        XCTAssertEqual(marker.rows, 4..<8)
        XCTAssertEqual(marker.files["shards/shard-000001.tar"]?.sha256, try FileChecksum.sha256(path: out + "/shards/shard-000001.tar"))
        let summary = try json(out + "/summary.json")
        let edits = summary["edits"] as! [String: [String: [String: Any]]]
        XCTAssertEqual(edits["cfclip"]?["identity"]?["count"] as? Int, 10)
        XCTAssertNotNil((summary["timings"] as? [String: Any])?["slowest_stage"] as? String)
        let report = try String(contentsOfFile: out + "/report.html", encoding: .utf8)
        XCTAssertTrue(report.contains("<svg") && report.contains("data:image/jpeg;base64,") && report.contains("Slowest stage"))
        XCTAssertFalse(try FileManager.default.subpathsOfDirectory(atPath: out).contains { $0.hasSuffix(".tmp") })
    }

    func testFolderOutputWithJPEGImages() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 5; fx.format = "folder"; fx.imageFormat = "jpeg"
        let out = fx.folder("out")
        try fx.run(try fx.write(), output: out)
        let shard0 = try FileManager.default.contentsOfDirectory(atPath: out + "/shards/shard-000000").sorted()
        XCTAssertEqual(shard0.count, 16)
        XCTAssertTrue(shard0.contains("000000003.cfclip.jpg"))
        let img = try JPEG.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: out + "/shards/shard-000000/000000000.src.jpg"))))
        XCTAssertEqual(img.width, 64)
        try assertMetricsComplete(out, samples: 5)
        XCTAssertEqual(try DoneMarker.read(path: out + "/shards/shard-000001.done.json").files.count, 4 + 1, "4 files of 1 sample + metrics")
    }

    /// `output.image_size` writes area-averaged images (a 64x64 render as 32x32: each pixel the
    /// mean of its 2x2 block, rounded once) and leaves the scores those of the full renders;
    /// a size above the render's is an error naming the key. Catches resizing before scoring,
    /// a filter other than the area mean, and an upscale passing silently.
    func testImageSizeScalesWrittenImagesDownOnly() throws {
        let tmp = try TemporaryDirectory()
        var fx = PipelineFixture(tmp)
        fx.samples = 3; fx.format = "folder"
        let full = fx.folder("full"), small = fx.folder("small")
        try fx.run(try fx.write(name: "full.yaml"), output: full)
        fx.outputExtra = "  image_size: 32"
        try fx.run(try fx.write(name: "small.yaml"), output: small)
        for name in ["000000001.src.png", "000000002.cfclip.png"] {
            let big = try PNG.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: full + "/shards/shard-000000/" + name))))
            let img = try PNG.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: small + "/shards/shard-000000/" + name))))
            XCTAssertEqual([img.width, img.height], [32, 32])
            var worst = 0
            for y in 0..<32 { for x in 0..<32 { for c in 0..<3 {
                var sum = 0
                for dy in 0..<2 { for dx in 0..<2 { sum += Int(big.pixels[((2 * y + dy) * 64 + 2 * x + dx) * 3 + c]) } }
                worst = max(worst, abs(Int(img.pixels[(y * 32 + x) * 3 + c]) * 4 - sum))
            } } }
            // the mean of four 8-bit values each rounded from the float render: within 1 level
            XCTAssertLessThanOrEqual(worst, 4 * 1 + 2, name)
        }
        func metrics(_ out: String) throws -> String {
            try String(contentsOfFile: out + "/metrics/shard-000000.jsonl", encoding: .utf8)
        }
        XCTAssertEqual(try metrics(small), try metrics(full), "scores come from the full renders")
        fx.outputExtra = "  image_size: 128"
        XCTAssertThrowsError(try fx.run(try fx.write(name: "up.yaml"), output: fx.folder("up"))) {
            XCTAssertTrue("\($0)".contains("output.image_size"), "\($0)")
        }
    }

    func testDemoBundleRunsThroughTheDemoPipeline() throws {
        let tmp = try TemporaryDirectory()
        // the committed demo pipeline, pointed at a fresh bundle in a scratch copy of the layout
        let root = tmp.url.path
        try FileManager.default.createDirectory(atPath: root + "/pipelines", withIntermediateDirectories: true)
        let demo = Fixtures.packageRoot.appendingPathComponent("pipelines/demo.yaml").path
        try FileManager.default.copyItem(atPath: demo, toPath: root + "/pipelines/demo.yaml")
        try DemoAssets.write(to: root + "/data/demo", latents: 6)
        let r = try PipelineRunner.run(pipeline: root + "/pipelines/demo.yaml", options: RunOptions(progress: false))
        XCTAssertEqual(r.outputFolder, root + "/out/demo")
        XCTAssertTrue(r.complete)
        try assertMetricsComplete(root + "/out/demo", samples: 6, edits: ["green_lipstick", "tiger_stripes"])
    }
}

/// Every (sample, edit) has one metrics line with every score, finite.
func assertMetricsComplete(_ out: String, samples: Int, edits: [String] = ["styleclip", "cfclip"],
                           file: StaticString = #filePath, line: UInt = #line) throws {
    var seen: Set<String> = []
    let metrics = try FileManager.default.contentsOfDirectory(atPath: out + "/metrics").filter { $0.hasSuffix(".jsonl") }
    for name in metrics {
        for row in try String(contentsOfFile: out + "/metrics/" + name, encoding: .utf8).split(separator: "\n") {
            let j = try JSONSerialization.jsonObject(with: Data(row.utf8)) as! [String: Any]
            for m in ["clip_similarity", "directional_clip", "identity", "latent_l2"] {
                XCTAssertTrue((j[m] as? Double)?.isFinite == true, "\(m) in \(row)", file: file, line: line)
            }
            XCTAssertFalse(row.contains("time") || row.contains("seconds"), "no timings in metrics", file: file, line: line)
            seen.insert("\(j["key"]!)/\(j["edit"]!)")
        }
    }
    XCTAssertEqual(seen, Set((0..<samples).flatMap { i in edits.map { "\(sampleKey(i))/\($0)" } }), file: file, line: line)
}
