import FixtureSupport
import Foundation
import Media
import Tensors
import XCTest

/// The executables as a user meets them: --version, --help, and the demo-assets -> train path
/// a newcomer follows on a fresh machine.
final class CommandLineTests: XCTestCase {
    static let executables = ["cfclip", "cfclip-batch", "cfclip-bench", "cfclip-hdf5-reader"]

    /// Every executable says its release, the commit it was built from and the BLAS it runs on.
    func testEveryExecutableReportsItsVersion() throws {
        for exe in Self.executables {
            let r = try CLI.run(["--version"], executable: exe)
            XCTAssertEqual(r.status, 0, "\(exe): \(r.output)")
            let lines = r.output.split(separator: "\n").map(String.init)
            XCTAssertEqual(lines.count, 3, "\(exe): \(r.output)")
            XCTAssertTrue(lines.first?.hasPrefix("\(exe) ") == true, r.output)
            XCTAssertNotNil(lines.dropFirst().first?.range(of: #"^commit ([0-9a-f]{12}(\+dirty)?|unknown), built \d{4}-\d\d-\d\dT\d\d:\d\dZ$"#,
                                                            options: .regularExpression), r.output)
            XCTAssertTrue(lines.last?.hasPrefix("BLAS OpenBLAS") == true, r.output)
        }
    }

    /// On a CPU with AVX2 the programs never run OpenBLAS's SSE3 kernels: 0.3.21 picks them for
    /// Intel CPUs newer than its table (Emerald Rapids), 4.6x slower there (`BLASCore`).
    func testTheMathsProgramsRunKernelsTheCPUAllows() throws {
        let flags = BLASCore.cpuFlags()
        guard flags.contains("avx2") && flags.contains("fma") else { throw XCTSkip("no AVX2 here: Prescott may be right") }
        guard ProcessInfo.processInfo.environment["OPENBLAS_CORETYPE"] == nil else {
            throw XCTSkip("OPENBLAS_CORETYPE is set: the programs obey it")
        }
        for exe in ["cfclip", "cfclip-batch", "cfclip-bench"] {
            let r = try CLI.run(["--version"], executable: exe)
            XCTAssertFalse(r.output.contains("(core Prescott)"), "\(exe): \(r.output)")
        }
    }

    /// The completion scripts the README documents are generated and know the subcommands.
    func testShellCompletionScripts() throws {
        for (exe, sub) in [("cfclip", "train"), ("cfclip-batch", "validate"), ("cfclip-bench", "generator")] {
            for shell in ["bash", "zsh", "fish"] {
                let r = try CLI.run(["--generate-completion-script", shell], executable: exe)
                XCTAssertEqual(r.status, 0, "\(exe) \(shell): \(r.output)")
                XCTAssertTrue(r.output.contains(sub), "\(exe) \(shell) completion lacks \(sub)")
            }
        }
    }

    /// A `\\` inside a Swift multi-line string is printed as is: `cfclip train --help` showed
    /// stray backslashes at its line ends. Every command and subcommand is checked.
    func testHelpTextsHaveNoStrayBackslashes() throws {
        for exe in ["cfclip", "cfclip-batch", "cfclip-bench"] {
            let root = try CLI.run(["--help"], executable: exe)
            XCTAssertEqual(root.status, 0, root.output)
            var subcommands: [String] = []
            var inList = false
            for line in root.output.split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix("SUBCOMMANDS:") { inList = true; continue }
                if inList {
                    guard line.hasPrefix("  ") else { break }
                    if let name = line.split(separator: " ").first, !line.hasPrefix("   ") { subcommands.append(String(name)) }
                }
            }
            XCTAssertFalse(subcommands.isEmpty, "\(exe): no subcommands listed")
            for help in [root] + (try subcommands.map { try CLI.run(["help", $0], executable: exe) }) {
                XCTAssertFalse(help.output.contains("\\\n") || help.output.contains("\\ "), "\(exe): \(help.output)")
            }
        }
    }

    /// What a newcomer runs: demo-assets, then the trainer on the demo models (the recipe of
    /// pipelines/demo_train.yaml), stopped and resumed, with a log that ends at the last step.
    func testDemoAssetsThenTrainThroughTheCLI() throws {
        let tmp = try TemporaryDirectory()
        let demo = tmp.url.appendingPathComponent("demo").path
        let made = try CLI.run(["demo-assets", "--output", demo, "--latents", "8"])
        XCTAssertEqual(made.status, 0, made.output)
        var text = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("pipelines/demo_train.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "../data/demo", with: demo)
            .replacingOccurrences(of: "../out/demo_train", with: tmp.url.appendingPathComponent("run").path)
            .replacingOccurrences(of: "max_steps: 20", with: "max_steps: 6")
            .replacingOccurrences(of: "save_interval: 10", with: "save_interval: 2")
        XCTAssertTrue(text.contains("max_steps: 6") && text.contains("save_interval: 2"), "demo_train.yaml changed its layout")
        let config = tmp.url.appendingPathComponent("train.yaml").path
        try text.write(toFile: config, atomically: true, encoding: .utf8)

        let first = try CLI.run(["train", config, "--steps", "3"])
        XCTAssertEqual(first.status, 0, first.output)
        let second = try CLI.run(["train", config])
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(second.output.contains("resuming at step 2"), second.output)
        let run = tmp.url.appendingPathComponent("run")
        let steps = try String(contentsOf: run.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int }
        XCTAssertEqual(steps, [1, 2, 3, 4, 5, 6], "the log of a resumed run repeats or skips steps")
        XCTAssertTrue(FileManager.default.fileExists(atPath: run.appendingPathComponent("checkpoints/mapper-000006.safetensors").path))
    }

    /// `cfclip inspect --json` is read by scripts: valid JSON with every tensor's name, dtype,
    /// shape and checksum, agreeing with the table.
    func testInspectJSONListsEveryTensor() throws {
        let file = try Fixtures.file("stylegan2", "checkpoint.pt")
        let r = try CLI.run(["inspect", file, "--json"])
        XCTAssertEqual(r.status, 0, r.output)
        let o = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [String: Any], r.output)
        let tensors = try XCTUnwrap(o["tensors"] as? [[String: Any]])
        let style = try XCTUnwrap(tensors.first { $0["name"] as? String == "g_ema.style.1.weight" })
        XCTAssertEqual(style["dtype"] as? String, "float32")
        XCTAssertEqual((style["shape"] as? [Int])?.count, 2)
        let sha = try XCTUnwrap(style["sha256"] as? String)
        XCTAssertEqual(sha.count, 64)
        let table = try CLI.run(["inspect", file])
        XCTAssertTrue(table.output.contains(sha), "the table and the JSON disagree on the checksum")
        XCTAssertGreaterThan(tensors.count, 20)
    }

    /// `cfclip models` finds the official files where the pipelines look, tells a wrong file from
    /// a right one (hash where the publisher gives one, structure otherwise), and lists exactly
    /// the files data/README.md documents.
    func testModelsReportsPresenceAndMismatches() throws {
        let tmp = try TemporaryDirectory()
        let root = tmp.url.path
        let empty = try CLI.run(["models", "--root", root])
        XCTAssertEqual(empty.status, 0, empty.output)
        XCTAssertTrue(empty.output.contains("0 of 12 present, 0 not as expected"), empty.output)

        for dir in ["checkpoints", "data"] { try FileManager.default.createDirectory(atPath: root + "/" + dir, withIntermediateDirectories: true) }
        try Data("not CLIP".utf8).write(to: URL(fileURLWithPath: root + "/checkpoints/ViT-B-32.pt"))
        try FileManager.default.copyItem(atPath: try Fixtures.file("stylegan2", "checkpoint.pt"), toPath: root + "/checkpoints/afhqdog.pt")
        try FileManager.default.copyItem(atPath: try Fixtures.file("vgg19", "checkpoint.pt"), toPath: root + "/checkpoints/vgg16.pth")
        try HDF5File.write(path: root + "/data/test_faces.h5", datasets: [("latents", [3, 18, 512], [Float](repeating: 0.25, count: 3 * 18 * 512))])
        let r = try CLI.run(["models", "--root", root, "--json"])
        XCTAssertEqual(r.status, 1, r.output)
        let rows = try r.output.split(separator: "\n").map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String]) }
        let byPath = Dictionary(uniqueKeysWithValues: rows.map { ($0["path"]!, $0) })
        XCTAssertEqual(byPath["checkpoints/ViT-B-32.pt"]?["status"], "mismatch")
        XCTAssertTrue(byPath["checkpoints/ViT-B-32.pt"]?["detail"]?.contains("the publisher's is 40d36571") == true, r.output)
        XCTAssertEqual(byPath["checkpoints/afhqdog.pt"]?["status"], "mismatch")
        XCTAssertEqual(byPath["checkpoints/vgg16.pth"]?["detail"], "VGG19 weights, expected VGG16", "TediGAN's VGG16 path holding a VGG19")
        XCTAssertTrue(byPath["checkpoints/afhqdog.pt"]?["detail"]?.contains("expected 512px") == true, r.output)
        XCTAssertEqual(byPath["data/test_faces.h5"]?["status"], "ok", r.output)
        XCTAssertEqual(byPath["data/test_faces.h5"]?["detail"], "3 W+ codes")
        XCTAssertEqual(byPath["checkpoints/model_ir_se50.pth"]?["status"], "missing")

        let readme = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("data/README.md"), encoding: .utf8)
        for path in byPath.keys { XCTAssertTrue(readme.contains("`\(path)`"), "data/README.md does not list \(path)") }
    }
}

extension CommandLineTests {
    /// The paper's NADA protocol on the demo models: `train-nada` stopped and resumed (same
    /// bytes as an uninterrupted run, a log without repeats, samples and checkpoints where the
    /// reference writes them), then a mapper trained with the global CLIP loss on the adapted
    /// generator. Also a file that is no checkpoint: one line naming it.
    func testTrainNadaResumesAndFeedsTheMapperTrainer() throws {
        let tmp = try TemporaryDirectory()
        let demo = tmp.url.appendingPathComponent("demo").path
        XCTAssertEqual(try CLI.run(["demo-assets", "--output", demo, "--latents", "8"]).status, 0)
        func args(_ dir: String) -> [String] {
            ["train-nada", "--generator", demo + "/generator.safetensors", "--clip-models", demo + "/clip.safetensors",
             "--clip-vision-heads", "2", "--clip-text-heads", "2", "--vocab", demo + "/bpe_bytes.txt.gz",
             "--source-class", "face", "--target-class", "green lipstick", "--output-dir", tmp.url.appendingPathComponent(dir).path,
             "--iter", "4", "--auto-layer-batch", "4", "--save-interval", "2", "--output-interval", "2"]
        }
        let first = try CLI.run(args("a") + ["--until", "2"])
        XCTAssertEqual(first.status, 0, first.output)
        XCTAssertTrue(first.output.contains("it/min"), "progress shows the rate: \(first.output)")
        let second = try CLI.run(args("a"))
        XCTAssertEqual(second.status, 0, second.output)
        XCTAssertTrue(second.output.contains("resuming at iteration 2"), second.output)
        XCTAssertEqual(try CLI.run(args("b")).status, 0)
        let a = tmp.url.appendingPathComponent("a"), b = tmp.url.appendingPathComponent("b")
        XCTAssertEqual(try Data(contentsOf: a.appendingPathComponent("generator.pt")), try Data(contentsOf: b.appendingPathComponent("generator.pt")),
                       "a resumed run must write what an uninterrupted one writes")
        let steps = try String(contentsOf: a.appendingPathComponent("log.jsonl"), encoding: .utf8).split(separator: "\n")
            .map { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["step"] as? Int }
        XCTAssertEqual(steps, [1, 2, 3, 4])
        for file in ["sample/000000.png", "sample/000002.png", "sample/000003.png", "checkpoint/000002.pt", "checkpoint/000003.pt"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: a.appendingPathComponent(file).path), file)
        }

        var text = try String(contentsOf: Fixtures.packageRoot.appendingPathComponent("pipelines/demo_train.yaml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "../data/demo/generator.safetensors", with: a.appendingPathComponent("generator.pt").path)
            .replacingOccurrences(of: "../data/demo", with: demo)
            .replacingOccurrences(of: "../out/demo_train", with: tmp.url.appendingPathComponent("mapper").path)
            .replacingOccurrences(of: "loss: nce", with: "loss: global")
            .replacingOccurrences(of: "max_steps: 20", with: "max_steps: 2")
        XCTAssertTrue(text.contains("generator.pt") && text.contains("loss: global"), "demo_train.yaml changed its layout")
        let config = tmp.url.appendingPathComponent("train.yaml").path
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        let trained = try CLI.run(["train", config])
        XCTAssertEqual(trained.status, 0, trained.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: tmp.url.appendingPathComponent("mapper/checkpoints/mapper-000002.safetensors").path))

        var bad = args("c")
        bad[2] = demo + "/bpe_bytes.txt.gz"
        let refused = try CLI.run(bad)
        XCTAssertNotEqual(refused.status, 0)
        let lines = refused.output.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, refused.output)
        XCTAssertTrue(refused.output.contains("bpe_bytes.txt.gz"), refused.output)
    }
}
