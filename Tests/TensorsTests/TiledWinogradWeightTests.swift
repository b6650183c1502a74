import Tensors
import XCTest

/// `Winograd`'s U with each transformed tap's rows in `PanelTile`'s 8-row tiles
/// (`Winograd.tiles`, what the generator's 32²-1024² layers keep) gives the bytes of U in rows,
/// on both register tiles (AVX-512 where the CPU has it, and AVX2): 8 and 24 output channels
/// (one and three 8-row tiles), 5 and 70 input channels (one block of k, and two), last blocks
/// of 18 and 40 tiles (the narrow tiles). A tile read with rows and k swapped, a second block of
/// k started in the wrong place or a 4-row AVX2 half read from the wrong rows would differ.
final class TiledWinogradWeightTests: XCTestCase {
    func testTiledUGivesTheRowsBytes() {
        let saved = AVX512.enabled
        defer { AVX512.enabled = saved }
        for avx512 in saved ? [true, false] : [false] {
            AVX512.enabled = avx512
            for (cin, cout) in [(5, 8), (70, 24)] {
                let u = Winograd.pack(seeded([cout, cin, 3, 3], seed: 170)), tiles = Winograd.tiles(u)
                XCTAssertEqual(Winograd.rows(fromTiles: tiles), u, "round trip, \(cin) -> \(cout)")
                XCTAssertNotEqual(tiles, u, "tiles are not the rows")
                for (h, w) in [(29, 27), (16, 58)] {   // 210 tiles (4 blocks + 18), 232 (4 + 40)
                    XCTAssertTrue(Winograd.runsBlocks(cin: cin, cout: cout, h: h, w: w))
                    let x = seeded([2, cin, h, w], seed: 171), styles = seeded([2, cin], seed: 172)
                    XCTAssertEqual(Winograd.forward(x, packed: tiles, tiled: true, styles: styles, scale: 0.3),
                                   Winograd.forward(x, packed: u, styles: styles, scale: 0.3),
                                   "\(cin) -> \(cout), \(h)x\(w), AVX-512 \(avx512)")
                }
            }
        }
    }
}
