import FixtureSupport
import Foundation
import Media
import XCTest

/// `cfclip edit` end to end on the fixture mappers: a PNG with source and edit side by side.
final class EditCommandTests: XCTestCase {
    func latents(_ tmp: TemporaryDirectory, n: Int, rows: Int, width: Int) throws -> String {
        let path = tmp.url.appendingPathComponent("latents.h5").path
        var state: UInt32 = 7
        let values = (0..<(n * rows * width)).map { _ -> Float in
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int(state >> 8) % 2001 - 1000) / 1000
        }
        try HDF5File.write(path: path, datasets: [("latents", [n, rows, width], values)])
        return path
    }

    func testStyleCLIPMapperSideBySide() throws {
        let tmp = try TemporaryDirectory()
        let h5 = try latents(tmp, n: 4, rows: 10, width: 32)
        let out = tmp.url.appendingPathComponent("pair.png").path
        let r = try CLI.run(["edit", "--checkpoint", Fixtures.file("mapper", "checkpoint.pt"), "--latents", h5,
                             "--index", "3", "--alpha", "1.0", "--out", out])
        XCTAssertEqual(r.status, 0, r.output)
        let img = try PNG.decode(Array(try Data(contentsOf: URL(fileURLWithPath: out))))
        XCTAssertEqual(img.height, 64)
        XCTAssertEqual(img.width, 2 * 64 + 4)
    }

    func testCFCLIPMapperUsesCLIPForItsText() throws {
        let tmp = try TemporaryDirectory()
        let h5 = try latents(tmp, n: 2, rows: 10, width: 32)
        let out = tmp.url.appendingPathComponent("pair.png").path
        let r = try CLI.run(["edit", "--checkpoint", Fixtures.file("cfclip_mapper", "checkpoint.pt"), "--latents", h5,
                             "--out", out, "--clip", Fixtures.file("clip", "checkpoint.pt"), "--vocab", Fixtures.clipVocabulary(),
                             "--clip-vision-heads", "2", "--clip-text-heads", "2"])
        XCTAssertEqual(r.status, 0, r.output)
        XCTAssertTrue(FileManager.default.fileExists(atPath: out))
    }

    func testBadIndexAndWrongWidthAreOneLineErrors() throws {
        let tmp = try TemporaryDirectory()
        let h5 = try latents(tmp, n: 2, rows: 10, width: 16)
        let out = tmp.url.appendingPathComponent("x.png").path
        let r = try CLI.run(["edit", "--checkpoint", Fixtures.file("mapper", "checkpoint.pt"), "--latents", h5, "--out", out])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.output.contains("width 16") && r.output.contains("style_dim is 32"), r.output)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        let good = try latents(tmp, n: 2, rows: 10, width: 32)
        let r2 = try CLI.run(["edit", "--checkpoint", Fixtures.file("mapper", "checkpoint.pt"), "--latents", good, "--index", "5", "--out", out])
        XCTAssertNotEqual(r2.status, 0)
        XCTAssertTrue(r2.output.contains("index 5 is outside 0..<2"), r2.output)
    }
}
