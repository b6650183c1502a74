import Tensors
import XCTest

/// `WinogradBlocks.forwardFew`: the tiles of several images in shared panels, the output
/// channels split between the cores.
final class WinogradFewTilesTests: XCTestCase {
    /// Against the definition, on 1x1 to 14x14 images (partial tiles, a panel filled to 8, 16 or
    /// 24 lanes, images that share a panel), 70 input channels (two blocks of k), per-image
    /// styles, and a batch of 9 at 14x14 (49 tiles: three images per chunk, three chunks). A
    /// wrong lane offset, a tail panel read past its zeros or a chunk that forgot its images
    /// moves some output far from the definition.
    func testFewTilesMatchDefinition() {
        let (cin, cout, scale) = (70, 8, Float(0.25))
        let weight = seeded([cout, cin, 3, 3], seed: 120), packed = Winograd.pack(weight)
        for (n, h, w) in [(3, 1, 1), (2, 2, 5), (2, 9, 7), (3, 8, 8), (2, 13, 9), (9, 14, 14)] {
            XCTAssertTrue(WinogradBlocks.appliesFew(cin: cin, cout: cout, tiles: ((h + 1) / 2) * ((w + 1) / 2)), "\(h)x\(w)")
            let x = seeded([n, cin, h, w], seed: 121 + UInt64(h * 10 + w)), styles = seeded([n, cin], seed: 122)
            var scaled = x
            for b in 0..<n { for c in 0..<cin { for i in 0..<(h * w) { scaled[flat: (b * cin + c) * h * w + i] *= styles[flat: b * cin + c] } } }
            var expected = Naive.conv2d(scaled, weight, stride: 1, padding: 1)
            expected.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= scale } }
            let y = Winograd.forward(x, packed: packed, styles: styles, scale: scale)
            assertClose(y, expected, atol: 1e-4)
            assertClose(y, Winograd.forward(x, packed: packed, styles: styles, scale: scale, fused: false), atol: 1e-5)
        }
    }

    /// The bytes of an image depend on nothing but the image: not the batch it came in, its
    /// place in it, the thread count, or which of the two fused paths ran (a large image through
    /// `forwardFew` equals `WinogradBlocks.forward`'s blocks). IR-SE50's scores and the
    /// generator's images rest on it.
    func testFewTilesDoNotDependOnBatchThreadsOrPath() {
        let (cin, cout) = (20, 12)
        let packed = Winograd.pack(seeded([cout, cin, 3, 3], seed: 123))
        let x = seeded([5, cin, 14, 14], seed: 124), styles = seeded([5, cin], seed: 125)
        let batch = Winograd.forward(x, packed: packed, styles: styles, scale: 0.5)
        for b in 0..<5 {
            XCTAssertEqual(Winograd.forward(x.slice(b..<(b + 1)), packed: packed, styles: styles.slice(b..<(b + 1)), scale: 0.5),
                           batch.slice(b..<(b + 1)), "image \(b) alone")
        }
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        for t in [1, 3] {
            Parallel.setThreads(t)
            XCTAssertEqual(Winograd.forward(x, packed: packed, styles: styles, scale: 0.5), batch, "\(t) threads")
        }
        Parallel.setThreads(saved)
        let (h, w) = (30, 34)   // 255 tiles: blocks
        XCTAssertTrue(WinogradBlocks.applies(cin: cin, cout: cout, tiles: 15 * 17))
        let big = seeded([1, cin, h, w], seed: 126), st = seeded([1, cin], seed: 127)
        let blocks = Winograd.forward(big, packed: packed, styles: st, scale: 0.5)
        var few = Tensor(uninitialized: [1, cout, h, w])
        big.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { up in few.withUnsafeMutableBufferPointer { op in
            WinogradBlocks.forwardFew(xp.baseAddress!, n: 1, cin: cin, h: h, w: w, styles: st.scalars, u: up.baseAddress!,
                                      cout: cout, scale: 0.5, out: op.baseAddress!)
        } } }
        XCTAssertEqual(few, blocks)
    }

    /// `PanelTile`'s AVX-512 build (where the CPU has it) gives the AVX2 tile's bytes, through
    /// both fused paths: full panels, a 16- and an 8-column tail, 70 channels (two k blocks).
    func testAVX512TileGivesTheAVX2TilesBytes() throws {
        guard AVX512.enabled else { throw XCTSkip("no AVX-512 here (or CFCLIP_NO_AVX512 is set)") }
        let packed = Winograd.pack(seeded([8, 70, 3, 3], seed: 128))
        for (n, h, w) in [(3, 14, 14), (1, 8, 5), (1, 40, 36)] {
            let x = seeded([n, 70, h, w], seed: 129), styles = seeded([n, 70], seed: 130)
            let wide = Winograd.forward(x, packed: packed, styles: styles, scale: 0.5)
            AVX512.enabled = false
            XCTAssertEqual(Winograd.forward(x, packed: packed, styles: styles, scale: 0.5), wide, "\(n)x\(h)x\(w)")
            AVX512.enabled = true
        }
    }
}
