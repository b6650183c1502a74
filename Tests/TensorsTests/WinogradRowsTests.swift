import Tensors
import XCTest

/// `WinogradRows`: Winograd with point weights packed at load, a batch's tiles as the rows of
/// each point's product (IR-SE50's 14x14 and 28x28 stages).
final class WinogradRowsTests: XCTestCase {
    /// Against the definition on odd and even sides (a partial last tile row and column), 8x8 to
    /// 28x28, 32 input channels (two vectors) and 48 outputs (a pair of weight panels and one
    /// alone), batches of 1 and 3 (49 x 3 tiles: ten-row tiles and a padded last one). A wrong
    /// lane, a tile row read from the next image or a lost edge would move outputs far from it.
    func testMatchesDefinition() {
        let (cin, cout) = (32, 48)
        let weight = seeded([cout, cin, 3, 3], seed: 140), rows = WinogradRows(Winograd.pack(weight))
        for (n, h, w) in [(1, 8, 8), (3, 14, 14), (2, 9, 13), (1, 28, 28)] {
            XCTAssertTrue(WinogradRows.applies(cin: cin, cout: cout, h: h, w: w), "\(h)x\(w)")
            let x = seeded([n, cin, h, w], seed: 141 + UInt64(h * 100 + w))
            let y = rows.forward(x)
            assertClose(y, Naive.conv2d(x, weight, stride: 1, padding: 1), atol: 1e-4)
            assertClose(y, Winograd.forward(x, packed: Winograd.pack(weight), fused: false), atol: 1e-5)
        }
        XCTAssertFalse(WinogradRows.applies(cin: 20, cout: 48, h: 14, w: 14), "input channels not in whole vectors")
        XCTAssertFalse(WinogradRows.applies(cin: 32, cout: 48, h: 7, w: 7), "below Winograd's smallest side")
        XCTAssertFalse(WinogradRows.applies(cin: 32, cout: 48, h: 56, w: 56), "784 tiles: the fused blocks' size")
    }

    /// An image's bytes depend on nothing but the image: not the batch it came in, its place in
    /// it, or the thread count. IR-SE50's identity scores rest on it (a sample scores the same
    /// alone as in its batch).
    func testImageDoesNotDependOnBatchOrThreads() {
        let (cin, cout) = (16, 32)
        let rows = WinogradRows(Winograd.pack(seeded([cout, cin, 3, 3], seed: 142)))
        let x = seeded([5, cin, 14, 14], seed: 143)
        let batch = rows.forward(x)
        for b in 0..<5 {
            XCTAssertEqual(rows.forward(x.slice(b..<(b + 1))), batch.slice(b..<(b + 1)), "image \(b) alone")
        }
        XCTAssertEqual(rows.forward(x.slice(1..<4)), batch.slice(1..<4), "images 1-3")
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        for t in [1, 3] {
            Parallel.setThreads(t)
            XCTAssertEqual(rows.forward(x), batch, "\(t) threads")
        }
    }
}
