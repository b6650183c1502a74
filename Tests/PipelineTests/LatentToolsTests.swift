import Checkpoints
import FixtureSupport
import Foundation
import Media
import Models
import Pipeline
import Tensors
import XCTest

/// import-latents, sample-codes, and the sampled source.
final class LatentToolsTests: XCTestCase {
    /// A torch.save'd top-level float tensor [n, l, d], as StyleCLIP's test_faces.pt is stored:
    /// data.pkl = _rebuild_tensor_v2(persistent storage, 0, size, stride, False, OrderedDict()).
    static func torchTensorFile(_ values: [Float], shape: [Int]) -> [UInt8] {
        var p: [UInt8] = [0x80, 0x02]
        func global(_ module: String, _ name: String) { p += [UInt8(ascii: "c")] + Array("\(module)\n\(name)\n".utf8) }
        func string(_ s: String) { let b = Array(s.utf8); p += [UInt8(ascii: "X")] + le32(b.count) + b }
        func int(_ v: Int) { p += [UInt8(ascii: "J")] + le32(v) }
        func le32(_ v: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
        global("torch._utils", "_rebuild_tensor_v2")
        p.append(UInt8(ascii: "("))
        p.append(UInt8(ascii: "(")); string("storage"); global("torch", "FloatStorage"); string("0"); string("cpu"); int(values.count)
        p += [UInt8(ascii: "t"), UInt8(ascii: "Q")]
        int(0)
        p.append(UInt8(ascii: "(")); shape.forEach(int); p.append(UInt8(ascii: "t"))
        p.append(UInt8(ascii: "(")); Shape.strides(shape).forEach(int); p.append(UInt8(ascii: "t"))
        p.append(0x89)
        global("collections", "OrderedDict"); p += [UInt8(ascii: ")"), UInt8(ascii: "R")]
        p += [UInt8(ascii: "t"), UInt8(ascii: "R"), UInt8(ascii: ".")]
        var data: [UInt8] = []
        for v in values { data += le32(Int(v.bitPattern)) }
        return TestZip.make([("archive/data.pkl", p), ("archive/data/0", data), ("archive/version", Array("3\n".utf8))])
    }

    func testImportLatentsConvertsATopLevelTensor() throws {
        let tmp = try TemporaryDirectory()
        let values = PipelineFixture.latentValues(4 * 3 * 8)
        let pt = try tmp.write("test_faces.pt", Self.torchTensorFile(values, shape: [4, 3, 8]))
        let h5 = tmp.url.appendingPathComponent("faces.h5").path
        XCTAssertEqual(try LatentImport.run(input: pt, output: h5), [4, 3, 8])
        let file = try LatentFile(path: h5)
        XCTAssertEqual(file.count, 4)
        XCTAssertEqual(try file.read(0..<4, nLatent: 3).scalars, values)
        let r = try CLI.run(["import-latents", tmp.url.appendingPathComponent("none.pt").path, h5])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.hasPrefix("error: ") && r.output.contains("none.pt"), r.output)
    }

    func testSampledCodesSkipAheadAndMatchTheCLI() throws {
        let g = try Generator.load(path: try PipelineFixture.model("stylegan2"))
        var whole = try CodeSampler(generator: g, seed: 5, psi: 0.7, center: .latentAvg)
        let all = whole.codes(0..<6)
        var part = try CodeSampler(generator: g, seed: 5, psi: 0.7, center: .latentAvg)
        XCTAssertEqual(part.codes(4..<6), all.slice(4..<6), "a part that starts at row 4 gets the same codes")
        XCTAssertEqual(part.codes(1..<2), all.slice(1..<2), "going back restarts the stream")
        // z of code 0 is the first style_dim values of RandomState(5).randn
        var r = RandomState(seed: 5)
        let z = Tensor(shape: [1, g.config.styleDim], values: (0..<g.config.styleDim).map { _ in Float(r.gaussian()) })
        XCTAssertEqual(g.truncate(g.mapping(z), psi: 0.7, center: g.latentAvg!.reshaped([g.config.styleDim])), all.slice(0..<1))

        let tmp = try TemporaryDirectory()
        let h5 = tmp.url.appendingPathComponent("codes.h5").path
        let cli = try CLI.run(["sample-codes", "--generator", try PipelineFixture.model("stylegan2"), "--count", "6", "--output", h5])
        XCTAssertEqual(cli.status, 0, cli.output)
        let (shape, values) = try HDF5File(reading: h5).readRows("latents", 0..<6)
        XCTAssertEqual(shape, [6, g.config.styleDim])
        XCTAssertEqual(values, all.scalars)
    }
}
