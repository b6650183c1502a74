import Media
import Tensors
import XCTest

final class ImageCodecTests: XCTestCase {
    func gradient(_ w: Int, _ h: Int) -> RGBImage {
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h { for x in 0..<w {
            px[(y * w + x) * 3] = UInt8(x * 255 / max(w - 1, 1)); px[(y * w + x) * 3 + 1] = UInt8(y * 255 / max(h - 1, 1))
            px[(y * w + x) * 3 + 2] = 128
        } }
        return RGBImage(width: w, height: h, pixels: px)
    }

    func testPNGRoundTripIsExact() throws {
        let img = gradient(37, 21)
        let bytes = try PNG.encode(img)
        XCTAssertEqual(Array(bytes.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(try PNG.decode(bytes), img)
    }

    /// Incompressible pixels need the most room: an encoder buffer sized below libpng's bound
    /// would fail or truncate here, at a size whose IDAT data spans many 8 KiB chunks.
    func testNoisePNGRoundTripsInOnePreSizedBuffer() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        let px = (0..<(300 * 200 * 3)).map { _ -> UInt8 in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: state >> 56)
        }
        let img = RGBImage(width: 300, height: 200, pixels: px)
        let bytes = try PNG.encode(img)
        XCTAssertGreaterThan(bytes.count, px.count, "noise does not compress")
        XCTAssertEqual(try PNG.decode(bytes), img)
        XCTAssertEqual(try PNG.decode(try PNG.encode(RGBImage(width: 1, height: 1, pixels: [1, 2, 3]))).pixels, [1, 2, 3])
    }

    /// The strips compress on as many cores as are free: the bytes must still be a function of
    /// the image alone (a resumed or re-run shard is checked by its SHA-256).
    func testPNGBytesDoNotDependOnTheThreadCount() throws {
        let img = gradient(333, 257)
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        Parallel.setThreads(1)
        let one = try PNG.encode(img)
        for n in [2, 3] {
            Parallel.setThreads(n)
            XCTAssertEqual(try PNG.encode(img), one, "\(n) threads")
        }
        XCTAssertEqual(try PNG.decode(one), img)
    }

    func testJPEGRoundTripIsClose() throws {
        let img = gradient(40, 24)
        let back = try JPEG.decode(try JPEG.encode(img, quality: 95))
        XCTAssertEqual(back.width, 40); XCTAssertEqual(back.height, 24)
        let worst = zip(img.pixels, back.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        XCTAssertLessThan(worst, 16)
    }

    func testCorruptInputsAreErrorsNotCrashes() {
        XCTAssertThrowsError(try PNG.decode([1, 2, 3], name: "x.png")) { XCTAssertTrue("\($0)".contains("x.png")) }
        XCTAssertThrowsError(try JPEG.decode([0xFF, 0xD8, 0, 0], name: "y.jpg")) { XCTAssertTrue("\($0)".contains("y.jpg")) }
    }
}

final class HDF5Tests: XCTestCase {
    func testWriteThenReadSlab() throws {
        let path = NSTemporaryDirectory() + "cfclip-h5-\(getpid()).h5"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let values = (0..<(5 * 3 * 4)).map(Float.init)
        try HDF5File.write(path: path, datasets: [("latents", [5, 3, 4], values)], chunkRows: 2)
        let f = try HDF5File(reading: path)
        XCTAssertEqual(try f.shape(of: "latents"), [5, 3, 4])
        let slab = try f.readRows("latents", 1..<3)
        XCTAssertEqual(slab.shape, [2, 3, 4])
        XCTAssertEqual(slab.values, Array(values[12..<36]))
        XCTAssertThrowsError(try f.shape(of: "nope")) { XCTAssertTrue("\($0)".contains("no dataset 'nope'")) }
        XCTAssertThrowsError(try f.readRows("latents", 4..<7))
    }

    func testNotHDF5IsAnError() throws {
        let path = NSTemporaryDirectory() + "cfclip-not-h5-\(getpid()).h5"
        FileManager.default.createFile(atPath: path, contents: Data("hello".utf8))
        defer { try? FileManager.default.removeItem(atPath: path) }
        XCTAssertThrowsError(try HDF5File(reading: path)) { XCTAssertTrue("\($0)".contains("not an HDF5 file")) }
    }
}
