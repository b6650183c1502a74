import Tensors
import XCTest

/// PackedMatrix: CLIP's projections without OpenBLAS, so a whole batch is one call.
final class PackedMatrixTests: XCTestCase {
    /// 37 outputs (a partial panel of 5), K = 300 (two k-blocks), 13 rows (a tail tile of 1):
    /// a wrong panel offset, a lost k-block or an unmasked padding column would show here.
    func testProductMatchesDoublePrecision() {
        let w = seeded([37, 300], seed: 1), b = seeded([37], seed: 2), x = seeded([13, 300], seed: 3)
        let y = Linear.forward(x, packed: PackedMatrix(w), bias: b)
        XCTAssertEqual(y.shape, [13, 37])
        let (wv, bv, xv, yv) = (w.scalars, b.scalars, x.scalars, y.scalars)
        for r in 0..<13 { for o in 0..<37 {
            var s = Double(bv[o])
            for k in 0..<300 { s += Double(xv[r * 300 + k]) * Double(wv[o * 300 + k]) }
            XCTAssertEqual(Double(yv[r * 37 + o]), s, accuracy: 1e-5 * max(1, abs(s)), "[\(r), \(o)]")
        } }
    }

    /// The AVX-512 tiles (`TileProductAVX512`, where the CPU has them) give the AVX2 tile's
    /// bytes: the same chain of fused multiply-adds per lane. 37 outputs (a pair of panels and a
    /// partial one) and 80 (two pairs and a full odd panel), 13, 30 and 7 rows (10-row tiles, and
    /// last rows in a tile padded with zero rows), three blocks of k, with and without bias. A tile that reordered the
    /// sums, fused the scaling into the last multiply-add, lost a bias lane or read the second
    /// panel from the wrong place would differ here.
    func testAVX512TileGivesTheAVX2TilesBytes() throws {
        guard AVX512.enabled else { throw XCTSkip("no AVX-512 here (or CFCLIP_NO_AVX512 is set)") }
        defer { AVX512.enabled = true }
        for (outputs, rows) in [(37, 13), (80, 30), (80, 7)] {
            let packed = PackedMatrix(seeded([outputs, 600], seed: 7)), b = seeded([outputs], seed: 8)
            let x = seeded([rows, 600], seed: 9)
            for bias in [b, nil] {
                AVX512.enabled = true
                let wide = Linear.forward(x, packed: packed, bias: bias)
                AVX512.enabled = false
                XCTAssertEqual(Linear.forward(x, packed: packed, bias: bias), wide, "\(outputs) x \(rows), bias \(bias != nil)")
            }
        }
    }

    /// The promise that lets CLIP score a batch in one call: a row's bytes do not depend on the
    /// rows beside it, how many there are, or the thread count.
    func testRowDoesNotDependOnItsBatchOrTheThreadCount() {
        let packed = PackedMatrix(seeded([50, 520], seed: 4)), b = seeded([50], seed: 5)
        let tokens = seeded([3, 50, 520], seed: 6)
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        Parallel.setThreads(1)
        let all = Linear.forward(tokens, packed: packed, bias: b)
        for n in [2, 3] {
            Parallel.setThreads(n)
            XCTAssertEqual(Linear.forward(tokens, packed: packed, bias: b), all, "\(n) threads")
            for s in 0..<3 {
                XCTAssertEqual(Linear.forward(tokens.slice(s..<(s + 1)), packed: packed, bias: b), all.slice(s..<(s + 1)), "sample \(s)")
            }
            let oneRow = Linear.forward(tokens.slice(1..<2).reshaped([50, 520]).slice(7..<8), packed: packed, bias: b)
            XCTAssertEqual(oneRow.scalars, Array(all.scalars[((50 + 7) * 50)..<((50 + 8) * 50)]), "a row alone")
        }
    }

    /// CLIP's c_fc applies QuickGELU to each panel as the product finishes it: the bytes must be
    /// those of the product and then the separate pass, on the AVX-512 pairs, their padded last
    /// rows, an odd and a partial panel, the 6-row tiles, and 1 and 2 threads. A panel given the
    /// activation twice or never, or a row of the padded tile left out, would differ here.
    func testFusedQuickGELUGivesTheSeparatePassBytes() {
        let saved = Parallel.threads, wide = AVX512.enabled
        defer { Parallel.setThreads(saved); AVX512.enabled = wide }
        for (outputs, rows) in [(37, 13), (80, 30), (80, 7), (200, 52)] {
            let packed = PackedMatrix(seeded([outputs, 300], seed: 10)), b = seeded([outputs], seed: 11)
            let x = seeded([rows, 300], seed: 12)
            for avx512 in wide ? [true, false] : [false] { for threads in [1, 2] {
                AVX512.enabled = avx512; Parallel.setThreads(threads)
                var separate = Linear.forward(x, packed: packed, bias: b)
                QuickGELU.forwardInPlace(&separate)
                XCTAssertEqual(Linear.forward(x, packed: packed, bias: b, activation: .quickGELU), separate,
                               "\(outputs) x \(rows), AVX-512 \(avx512), \(threads) threads")
            } }
        }
    }

    /// The input gradient from the panels, with a partial last panel (21 = 16 + 5 outputs) and
    /// a batch: would catch a panel read past its valid outputs, or one added twice or missed.
    func testInputGradientFromThePanelsIsDyTimesW() {
        let w = seeded([21, 40], seed: 7)
        let packed = PackedMatrix(w)
        let tape = Tape(), x = tape.parameter(seeded([2, 3, 40], seed: 8))
        let y = Linear.forward(x, packed: packed, bias: nil)
        let dy = seeded([2, 3, 21], seed: 9)
        tape.backward(y, seed: dy)
        let got = x.grad?.scalars ?? [], g = dy.scalars, wv = w.scalars
        XCTAssertEqual(x.grad?.shape, [2, 3, 40])
        XCTAssertEqual(got.count, 6 * 40)
        for r in 0..<6 { for k in 0..<40 {
            let e = (0..<21).reduce(0.0) { $0 + Double(g[r * 21 + $1]) * Double(wv[$1 * 40 + k]) }
            XCTAssertEqual(Double(got[r * 40 + k]), e, accuracy: 1e-5 * max(1, abs(e)), "row \(r), input \(k)")
        } }
    }
}
