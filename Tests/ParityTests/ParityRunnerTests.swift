import FixtureSupport
import Foundation
import Parity
import XCTest

/// `cfclip parity` on the fixture folders: every output computed and within tolerance.
final class ParityRunnerTests: XCTestCase {
    func assertFolderPasses(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let dir = try Fixtures.folder(name).path
        let report = try ParityRunner.run(dir)
        let failed = report.results.filter { !$0.passed }
        XCTAssertTrue(report.passed, "\(failed.count) of \(report.results.count) outputs fail:\n" + ParityRunner.format(report),
                      file: file, line: line)
        XCTAssertFalse(report.results.isEmpty, file: file, line: line)
    }

    func testOps() throws { try assertFolderPasses("ops") }
    func testStyleGAN2() throws { try assertFolderPasses("stylegan2") }
    func testCLIP() throws { try assertFolderPasses("clip") }
    func testStyleCLIPMapper() throws { try assertFolderPasses("mapper") }
    func testCFCLIPMapper() throws { try assertFolderPasses("cfclip_mapper") }

    /// The binary itself: exit status 0 and one PASS line per output.
    func testCommandLineExitStatus() throws {
        let r = try CLI.run(["parity", try Fixtures.folder("ops").path])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(r.output.contains("PASS  up.y"), r.output)
        XCTAssertFalse(r.output.contains("FAIL"), r.output)
    }

    /// A folder with an output the runner cannot compute fails; it is never skipped.
    func testUnknownOutputIsAFailure() throws {
        let src = try Fixtures.folder("ops")
        let tmp = try TemporaryDirectory()
        for f in ["config.json", "cases.safetensors"] {
            try FileManager.default.copyItem(at: src.appendingPathComponent(f), to: tmp.url.appendingPathComponent(f))
        }
        var json = try JSONSerialization.jsonObject(with: Data(contentsOf: src.appendingPathComponent("cases.json"))) as! [String: Any]
        var tensors = json["tensors"] as! [[String: Any]]
        tensors.append(["name": "up.mystery", "kind": "output", "dtype": "float32", "shape": [1], "tolerance": ["atol": 1.0, "rtol": 0.0]])
        json["tensors"] = tensors
        try JSONSerialization.data(withJSONObject: json).write(to: tmp.url.appendingPathComponent("cases.json"))
        let report = try ParityRunner.run(tmp.url.path)
        XCTAssertFalse(report.passed)
        XCTAssertEqual(report.results.filter { !$0.passed }.map(\.name), ["up.mystery"])
    }
}

extension ParityRunnerTests {
    func testFormats() throws { try assertFolderPasses("formats") }
    func testSampling() throws { try assertFolderPasses("sampling") }
    /// One CF-CLIP training step: losses, NCE intermediates and every mapper gradient, 5 variants.
    func testGrads() throws { try assertFolderPasses("grads") }
    /// StyleCLIP and TediGAN latent optimisation: every Adam step's gradient, lr, latent, loss terms.
    func testMethods() throws { try assertFolderPasses("methods") }
    /// fixtures/nada, all three scenarios: the layers chosen, losses, images, iteration 0's
    /// gradients, the parameters after two Adam steps and both CLIP models' text directions
    /// (ViT-B/16 included). Catches any drift in StyleGAN-NADA's iteration.
    func testNadaPasses() throws {
        let report = try ParityRunner.run(try Fixtures.folder("nada").path)
        XCTAssertEqual(report.results.count, 278)
        XCTAssertTrue(report.passed, ParityRunner.format(report))
        for s in ["readme", "topk", "phase"] {
            XCTAssertTrue(report.results.contains { $0.name == "\(s).after2.convs.7.conv.weight" && $0.passed }, s)
        }
        XCTAssertTrue(report.results.contains { $0.name == "topk.iter0.chosen_layers" && $0.passed })
        XCTAssertTrue(report.results.contains { $0.name.hasSuffix(".vitb16") && $0.passed })
    }
}
