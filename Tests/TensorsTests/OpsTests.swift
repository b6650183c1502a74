import Tensors
import XCTest

final class OpsTests: XCTestCase {
    // Test vectors of reference.md §3.6, measured with the reference native upfirdn2d.
    func testUpsampleVector() {
        let x = Tensor(shape: [1, 1, 2, 2], values: [1, 2, 3, 4])
        let y = Upfirdn2D(kernel: Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4), up: 2, pad: (2, 1))(x)
        assertClose(y, Tensor(shape: [1, 1, 4, 4], values: [0.5625, 0.9375, 1.3125, 1.125, 1.125, 1.75, 2.25, 1.875,
                                                             1.875, 2.75, 3.25, 2.625, 1.6875, 2.4375, 2.8125, 2.25]))
    }

    func testBlurVector() {
        let x = Tensor(shape: [1, 1, 5, 5], values: (0..<25).map(Float.init))
        let y = Upfirdn2D(kernel: Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4), pad: (1, 1))(x)
        assertClose(y, Tensor(shape: [1, 1, 4, 4], values: [13.125, 17.75, 21.25, 21.0, 28.75, 36, 40, 37.75,
                                                             46.25, 56, 60, 55.25, 52.5, 62.75, 66.25, 60.375]), atol: 1e-4)
    }

    func testDownsampleVector() {
        let x = Tensor(shape: [1, 1, 4, 4], values: (0..<16).map(Float.init))
        let y = Upfirdn2D(kernel: Upfirdn2D.makeKernel([1, 3, 3, 1]), down: 2, pad: (1, 1))(x)
        assertClose(y, Tensor(shape: [1, 1, 2, 2], values: [2.734375, 3.9375, 7.546875, 8.75]))
    }

    func testConv2DMatchesDefinitionIncludingTiles() {
        let x = seeded([2, 3, 9, 7], seed: 1), w = seeded([4, 3, 3, 3], seed: 2)
        for (stride, pad, budget) in [(1, 1, 1 << 24), (1, 1, 30), (2, 1, 40), (1, 0, 1 << 24), (2, 2, 1 << 24)] {
            let y = Conv2D(stride: stride, padding: pad, columnBudget: budget).forward(x, weight: w)
            assertClose(y, Naive.conv2d(x, w, stride: stride, padding: pad), atol: 1e-5)
        }
        let w1 = seeded([5, 3, 1, 1], seed: 3)
        assertClose(Conv2D().forward(x, weight: w1), Naive.conv2d(x, w1, stride: 1, padding: 0))
    }

    /// The k-GEMM convolution over column-shifted bands, at odd kernel sizes, with per-channel
    /// input scales, one-row, uneven and whole-image bands, and through Conv2D where it applies.
    func testShiftedConvMatchesDefinition() {
        let (cin, cout, h, w) = (3, 4, 9, 7)
        let x = seeded([1, cin, h, w], seed: 61), styles: [Float] = [0.5, -1.5, 2]
        var scaled = x
        for c in 0..<cin { for i in 0..<(h * w) { scaled[flat: c * h * w + i] *= styles[c] } }
        for k in [1, 3, 5] {
            let weight = seeded([cout, cin, k, k], seed: 62 + UInt64(k)), packed = ShiftedConv.pack(weight)
            let expected = Naive.conv2d(scaled, weight, stride: 1, padding: k / 2)
            for rows in [1, 4, h] {
                let band = UnsafeMutablePointer<Float>.allocate(capacity: k * cin * (rows + k - 1) * w)
                defer { band.deallocate() }
                var out = Tensor(uninitialized: [1, cout, h, w])
                x.withUnsafeBufferPointer { xp in packed.withUnsafeBufferPointer { wp in out.withUnsafeMutableBufferPointer { op in
                    ShiftedConv.forward(xp.baseAddress!, cin: cin, h: h, w: w, styles: styles, packed: wp.baseAddress!,
                                        cout: cout, k: k, scale: 0.5, out: op.baseAddress!, band: band, rows: rows)
                } } }
                var half = expected
                half.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= 0.5 } }
                assertClose(out, half, atol: 1e-5)
            }
        }
        // Conv2D takes this path from 64x64 pixels on
        let big = seeded([2, 2, 64, 65], seed: 70), wb = seeded([3, 2, 3, 3], seed: 71)
        XCTAssertTrue(ShiftedConv.applies(kernel: (3, 3), stride: 1, padding: 1, pixels: 64 * 65))
        assertClose(Conv2D(stride: 1, padding: 1, columnBudget: 2000).forward(big, weight: wb), Naive.conv2d(big, wb, stride: 1, padding: 1), atol: 1e-5)
    }

    /// Winograd F(2x2, 3x3) against the definition: odd and even sides (partial tiles on the
    /// right and bottom), 1-pixel images, per-image channel styles, bands of one tile row and of
    /// the whole image, and a sample that comes out the same alone and in a batch.
    func testWinogradMatchesDefinition() {
        let (cin, cout) = (5, 4)
        let weight = seeded([cout, cin, 3, 3], seed: 81), packed = Winograd.pack(weight)
        for (h, w) in [(9, 7), (8, 8), (1, 1), (2, 5), (3, 2)] {
            let x = seeded([2, cin, h, w], seed: 82 + UInt64(h * 10 + w))
            let styles = seeded([2, cin], seed: 83)
            var scaled = x
            for b in 0..<2 { for c in 0..<cin { for i in 0..<(h * w) { scaled[flat: (b * cin + c) * h * w + i] *= styles[flat: b * cin + c] } } }
            var expected = Naive.conv2d(scaled, weight, stride: 1, padding: 1)
            expected.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= 0.5 } }
            for budget in [1, 1 << 21] {   // one tile row per band, and the whole image
                let y = Winograd.forward(x, packed: packed, styles: styles, scale: 0.5, budget: budget)
                assertClose(y, expected, atol: 1e-5)
            }
            let alone = Winograd.forward(x.slice(1..<2), packed: packed, styles: styles.slice(1..<2), scale: 0.5)
            XCTAssertEqual(alone, Winograd.forward(x, packed: packed, styles: styles, scale: 0.5).slice(1..<2), "\(h)x\(w)")
        }
    }

    /// The fused blocks (`WinogradBlocks`) against the definition and against the bands, on
    /// images of enough tiles that blocks span tile rows, start mid-row and end past the image:
    /// odd sides (partial tiles), image edges at both ends of a run, per-image styles.
    func testWinogradBlocksMatchDefinitionAndBands() {
        let (cin, cout) = (5, 8)
        let weight = seeded([cout, cin, 3, 3], seed: 85), packed = Winograd.pack(weight)
        for (h, w) in [(25, 31), (20, 40), (31, 24)] {
            XCTAssertTrue(WinogradBlocks.applies(cin: cin, cout: cout, tiles: ((h + 1) / 2) * ((w + 1) / 2)), "\(h)x\(w)")
            let x = seeded([2, cin, h, w], seed: 86 + UInt64(h + w)), styles = seeded([2, cin], seed: 87)
            var scaled = x
            for b in 0..<2 { for c in 0..<cin { for i in 0..<(h * w) { scaled[flat: (b * cin + c) * h * w + i] *= styles[flat: b * cin + c] } } }
            var expected = Naive.conv2d(scaled, weight, stride: 1, padding: 1)
            expected.withUnsafeMutableBufferPointer { p in for i in 0..<p.count { p[i] *= 0.25 } }
            let y = Winograd.forward(x, packed: packed, styles: styles, scale: 0.25)
            assertClose(y, expected, atol: 1e-5)
            assertClose(y, Winograd.forward(x, packed: packed, styles: styles, scale: 0.25, fused: false), atol: 1e-6)
            XCTAssertEqual(Winograd.forward(x.slice(1..<2), packed: packed, styles: styles.slice(1..<2), scale: 0.25), y.slice(1..<2))
        }
        XCTAssertFalse(WinogradBlocks.applies(cin: 8, cout: 6, tiles: 1000), "output channels not in whole register tiles")
        XCTAssertFalse(WinogradBlocks.applies(cin: 8, cout: 8, tiles: 16), "an 8x8 image is one mostly empty block")
    }

    /// The fused upsampler blocks (`WinogradUpsampleBlocks`) against the definition and against
    /// the bands: odd and even sides (tiles past the last row and column, runs cut at both
    /// image edges), blocks that start mid-row, a last partial block, per-image styles, 8 and 12
    /// output channels (the AVX-512 tile and its 4-row tail), a sample alone as in its batch.
    func testWinogradUpsampleBlocksMatchDefinitionAndBands() {
        for (cin, cout) in [(5, 8), (3, 12)] {
            let weight = seeded([cout, cin, 3, 3], seed: 140), packed = WinogradUpsample.pack(weight)
            for (h, w) in [(27, 29), (28, 28), (20, 41)] {
                XCTAssertTrue(WinogradUpsampleBlocks.applies(cin: cin, cout: cout, tiles: ((h + 2) / 2) * ((w + 2) / 2)), "\(h)x\(w)")
                let x = seeded([2, cin, h, w], seed: 141 + UInt64(h + w)), styles = seeded([2, cin], seed: 142)
                let y = WinogradUpsample.forward(x, packed: packed, styles: styles, scale: 0.3)
                assertClose(y, Self.transposedConv(x, weight, styles: styles, scale: 0.3), atol: 1e-5)
                assertClose(y, WinogradUpsample.forward(x, packed: packed, styles: styles, scale: 0.3, fused: false), atol: 1e-6)
                XCTAssertEqual(WinogradUpsample.forward(x.slice(1..<2), packed: packed, styles: styles.slice(1..<2), scale: 0.3),
                               y.slice(1..<2), "\(cin) -> \(cout), \(h)x\(w)")
            }
        }
        XCTAssertFalse(WinogradUpsampleBlocks.applies(cin: 8, cout: 6, tiles: 1000), "output channels not in whole register tiles")
        XCTAssertFalse(WinogradUpsampleBlocks.applies(cin: 8, cout: 8, tiles: 81), "a 16x16 input is two mostly empty blocks")
    }

    /// A styled layer's tail fused into the convolutions' output rows gives the bytes of the
    /// separate pass over whole planes: the Winograd blocks (odd sides, runs cut at the image's
    /// edges) and bands, and the upsampler with its blur computed per chunk of output rows at
    /// 1-3 threads (chunks meet at different rows and recompute the rows they share), per-sample
    /// and shared noise, a batch of two.
    func testFusedStyledTailsGiveTheSeparatePassesBytes() {
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        let (cin, cout) = (6, 8)
        let packed = Winograd.pack(seeded([cout, cin, 3, 3], seed: 150)), phases = PolyphaseUpsample.pack(seeded([cout, cin, 3, 3], seed: 151))
        let blur = Upfirdn2D(kernel: Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4), pad: (1, 1)), (kr, kc) = blur.separableFactors!
        for (h, w) in [(29, 27), (30, 40), (6, 100)] {   // 100: a row of three blocks
            let x = seeded([2, cin, h, w], seed: 152), styles = seeded([2, cin], seed: 153)
            for planes in [1, 2] {
                func tail(_ pixels: Int) -> StyledTail {
                    StyledTail(channels: cout, demod: seeded([2, cout], seed: 154), noise: seeded([planes, pixels], seed: 155),
                               noiseWeight: 0.3, bias: seeded([cout], seed: 156), activate: true)
                }
                for fused in [true, false] {
                    var separate = Winograd.forward(x, packed: packed, styles: styles, scale: 0.4, fused: fused)
                    tail(h * w).applyPlanes(&separate)
                    XCTAssertEqual(Winograd.forward(x, packed: packed, styles: styles, scale: 0.4, fused: fused, tail: tail(h * w)), separate,
                                   "Winograd \(fused ? "blocks" : "bands"), \(h)x\(w), \(planes) noise planes")
                }
                var separate = blur(PolyphaseUpsample.forward(x, packed: phases, cout: cout, styles: styles, scale: 0.4))
                tail(4 * h * w).applyPlanes(&separate)
                for threads in [1, 2, 3] {
                    Parallel.setThreads(threads)
                    XCTAssertEqual(PolyphaseUpsample.forwardBlurred(x, packed: phases, cout: cout, styles: styles, scale: 0.4, rows: kr, cols: kc,
                                                                    padY: (1, 1), padX: (1, 1), tail: tail(4 * h * w)), separate,
                                   "upsampler and blur, \(h)x\(w), \(planes) noise planes, \(threads) threads")
                }
                Parallel.setThreads(saved)
            }
        }
    }

    /// The upsampler's blur along W, read straight from its even and odd phases, gives the bytes
    /// of the blur over the written [2h+1, 2w+1] map: every input width from 1 to 60 (vector
    /// runs, scalar heads and tails, rows with no interior at all), pads 0-3 on either side
    /// (either parity of the first interior element). Swapping the phases, a sum in another
    /// order or an edge read past the row would differ.
    func testBlurFromPhasesGivesTheWrittenMapsBytes() {
        let (cin, cout) = (2, 8), phases = PolyphaseUpsample.pack(seeded([cout, cin, 3, 3], seed: 161))
        for w in 1...60 {
            let x = seeded([1, cin, 2, w], seed: 162), styles = seeded([1, cin], seed: 163)
            let full = PolyphaseUpsample.forward(x, packed: phases, cout: cout, styles: styles, scale: 0.7)
            for pad in [(0, 0), (1, 1), (2, 1), (0, 3), (3, 2)] where 2 * w + 1 + pad.0 + pad.1 > 3 {
                let blur = Upfirdn2D(kernel: Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4), pad: pad), (kr, kc) = blur.separableFactors!
                XCTAssertEqual(PolyphaseUpsample.forwardBlurred(x, packed: phases, cout: cout, styles: styles, scale: 0.7, rows: kr, cols: kc,
                                                                padY: pad, padX: pad, tail: nil), blur(full), "width \(w), pad \(pad)")
            }
        }
    }

    /// `PanelTile`'s AVX-512 build (where the CPU has it) gives the AVX2 tile's bytes through the
    /// fused blocks and the polyphase upsampler: full panels, last blocks of 16, 8 and 40 tiles
    /// (the AVX2 path's narrow tiles, the AVX-512 path's zero lanes), 70 channels (two blocks of
    /// k), 8 output channels (one 8-row tile) and 12 (8 + a 4-row tile). A build that reordered
    /// the sums, fused the scaling or misplaced the last rows would differ.
    func testAVX512PanelTileGivesTheAVX2TilesBytes() throws {
        guard AVX512.enabled else { throw XCTSkip("no AVX-512 here (or CFCLIP_NO_AVX512 is set)") }
        defer { AVX512.enabled = true }
        for cout in [8, 12] {
            let packed = Winograd.pack(seeded([cout, 70, 3, 3], seed: 128))
            for (h, w) in [(25, 31), (20, 40), (16, 58)] {
                let x = seeded([1, 70, h, w], seed: 129), styles = seeded([1, 70], seed: 130)
                let wide = Winograd.forward(x, packed: packed, styles: styles, scale: 0.5)
                AVX512.enabled = false
                XCTAssertEqual(Winograd.forward(x, packed: packed, styles: styles, scale: 0.5), wide, "\(cout) channels, \(h)x\(w)")
                AVX512.enabled = true
            }
            let phases = PolyphaseUpsample.pack(seeded([cout, 20, 3, 3], seed: 131))
            let x = seeded([1, 20, 6, 53], seed: 132), styles = seeded([1, 20], seed: 133)
            let wide = PolyphaseUpsample.forward(x, packed: phases, cout: cout, styles: styles, scale: 0.5)
            AVX512.enabled = false
            XCTAssertEqual(PolyphaseUpsample.forward(x, packed: phases, cout: cout, styles: styles, scale: 0.5), wide, "upsample, \(cout) channels")
            AVX512.enabled = true
            let u = WinogradUpsample.pack(seeded([cout, 70, 3, 3], seed: 134))
            let big = seeded([1, 70, 27, 41], seed: 135), bigStyles = seeded([1, 70], seed: 136)
            let blocks = WinogradUpsample.forward(big, packed: u, styles: bigStyles, scale: 0.5)
            AVX512.enabled = false
            XCTAssertEqual(WinogradUpsample.forward(big, packed: u, styles: bigStyles, scale: 0.5), blocks, "upsample blocks, \(cout) channels")
            AVX512.enabled = true
        }
    }

    /// The stride-2 transposed 3x3 convolution by output phase against its definition
    /// out[2y + ky, 2x + kx] += W[ky, kx] x[y, x]: odd sides, rows of one block and of two
    /// (the second partial), styles, and a sample alone as in its batch.
    func testPolyphaseUpsampleMatchesDefinition() {
        let (cin, cout, scale) = (3, 8, Float(0.7))
        let weight = seeded([cout, cin, 3, 3], seed: 90), packed = PolyphaseUpsample.pack(weight)
        for (h, w) in [(5, 7), (3, 50), (1, 1)] {
            let x = seeded([2, cin, h, w], seed: 91 + UInt64(w)), styles = seeded([2, cin], seed: 92)
            let got = PolyphaseUpsample.forward(x, packed: packed, cout: cout, styles: styles, scale: scale)
            assertClose(got, Self.transposedConv(x, weight, styles: styles, scale: scale), atol: 1e-5)
            XCTAssertEqual(PolyphaseUpsample.forward(x.slice(1..<2), packed: packed, cout: cout, styles: styles.slice(1..<2), scale: scale),
                           got.slice(1..<2), "\(h)x\(w)")
        }
    }

    /// The same convolution by Winograd F(2, 2) on the phases: even and odd sides (tiles past
    /// the last row and column), bands of one tile row and of the whole image, styles, a sample
    /// alone as in its batch; and the transformed taps against G h Gᵀ in double.
    func testWinogradUpsampleMatchesDefinition() {
        let (cin, cout, scale) = (4, 3, Float(0.6))
        let weight = seeded([cout, cin, 3, 3], seed: 93), packed = WinogradUpsample.pack(weight)
        for (h, w) in [(5, 7), (4, 6), (1, 1), (2, 9)] {
            let x = seeded([2, cin, h, w], seed: 94 + UInt64(h * 10 + w)), styles = seeded([2, cin], seed: 95)
            let expected = Self.transposedConv(x, weight, styles: styles, scale: scale)
            for budget in [1, 1 << 22] {
                assertClose(WinogradUpsample.forward(x, packed: packed, styles: styles, scale: scale, budget: budget), expected, atol: 1e-5)
            }
            XCTAssertEqual(WinogradUpsample.forward(x.slice(1..<2), packed: packed, styles: styles.slice(1..<2), scale: scale),
                           WinogradUpsample.forward(x, packed: packed, styles: styles, scale: scale).slice(1..<2), "\(h)x\(w)")
        }
        // ee tap (i, j) = Σ G[i][a] h[a][b] G[j][b], h = [[W22, W20], [W02, W00]], G = [[1, 0], [1, 1], [0, 1]]
        let g: [[Double]] = [[1, 0], [1, 1], [0, 1]]
        for o in 0..<cout { for c in 0..<cin {
            func wt(_ ky: Int, _ kx: Int) -> Double { Double(weight[flat: (o * cin + c) * 9 + ky * 3 + kx]) }
            let hh = [[wt(2, 2), wt(2, 0)], [wt(0, 2), wt(0, 0)]]
            for i in 0..<3 { for j in 0..<3 {
                var sum = 0.0
                for a in 0..<2 { for b in 0..<2 { sum += g[i][a] * hh[a][b] * g[j][b] } }
                XCTAssertEqual(packed[flat: ((3 * i + j) * cout + o) * cin + c], Float(sum), accuracy: 1e-6)
            } }
        } }
    }

    /// conv_transpose2d(x ⊙ styles, weight, stride 2) · scale by its definition, [N, cout, 2h+1, 2w+1].
    static func transposedConv(_ x: Tensor, _ weight: Tensor, styles: Tensor, scale: Float) -> Tensor {
        let (n, cin, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3]), cout = weight.shape[0]
        let (oh, ow) = (2 * h + 1, 2 * w + 1)
        var out = Tensor(zeros: [n, cout, oh, ow])
        for b in 0..<n { for o in 0..<cout { for c in 0..<cin { for y in 0..<h { for xx in 0..<w { for ky in 0..<3 { for kx in 0..<3 {
            out[flat: ((b * cout + o) * oh + 2 * y + ky) * ow + 2 * xx + kx] += scale * weight[flat: ((o * cin + c) * 3 + ky) * 3 + kx]
                * x[flat: ((b * cin + c) * h + y) * w + xx] * styles[flat: b * cin + c]
        } } } } } } }
        return out
    }

    /// The weight transform G g Gᵀ against its definition in double.
    func testWinogradWeightTransform() {
        let weight = seeded([3, 2, 3, 3], seed: 84), u = Winograd.pack(weight)
        let g: [[Double]] = [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]]
        for o in 0..<3 { for c in 0..<2 { for i in 0..<4 { for j in 0..<4 {
            var s = 0.0
            for a in 0..<3 { for b in 0..<3 { s += g[i][a] * Double(weight[flat: (o * 2 + c) * 9 + a * 3 + b]) * g[j][b] } }
            XCTAssertEqual(u[flat: ((i * 4 + j) * 3 + o) * 2 + c], Float(s), accuracy: 1e-6)
        } } } }
    }

    func testLinearMatchesDefinition() {
        let x = seeded([3, 5], seed: 4), w = seeded([2, 5], seed: 5), b = seeded([2], seed: 6)
        let y = Linear.forward(x, weight: w, bias: b, scale: 0.5, biasScale: 0.1)
        for r in 0..<3 { for o in 0..<2 {
            var acc: Float = 0
            for i in 0..<5 { acc += x[flat: r * 5 + i] * w[flat: o * 5 + i] }
            XCTAssertEqual(y[flat: r * 2 + o], acc * 0.5 + b[flat: o] * 0.1, accuracy: 1e-5)
        } }
    }

    func testFusedLeakyReLU() {
        let x = Tensor(shape: [1, 2, 1, 2], values: [-1, 1, -2, 2])
        let y = FusedLeakyReLU.forward(x, bias: Tensor(shape: [2], values: [0.5, -3]))
        let g = Float(2).squareRoot()
        assertClose(y, Tensor(shape: [1, 2, 1, 2], values: [-0.1 * g, 1.5 * g, -1 * g, -0.2 * g]))
    }

    func testBicubicAtSameSizeIsIdentity() {
        let x = seeded([1, 2, 6, 5], seed: 7)
        assertClose(Resample.bicubic(x, height: 6, width: 5), x, atol: 1e-6)
    }

    func testAdaptivePoolEqualsAveragePoolWhenDivisible() {
        let x = seeded([1, 1, 8, 8], seed: 8)
        assertClose(Pool.adaptiveAverage(x, height: 4, width: 4), Pool.average(x, kernel: 2), atol: 1e-6)
    }

    func testNearestThenAverageMatchesMaterialised() {
        let x = seeded([1, 1, 4, 4], seed: 9)
        // upsample x7 by hand, then average 2x2 blocks
        var up = [Float](repeating: 0, count: 28 * 28)
        for y in 0..<28 { for xx in 0..<28 { up[y * 28 + xx] = x[flat: (y / 7) * 4 + xx / 7] } }
        let ref = Pool.average(Tensor(shape: [1, 1, 28, 28], values: up), kernel: 2)
        assertClose(Pool.nearestUpsampleThenAverage(x, factor: 7, kernel: 2), ref, atol: 1e-6)
    }

    func testPerspectiveIdentity() {
        let pts: [(x: Double, y: Double)] = [(0, 0), (9, 0), (9, 7), (0, 7)]
        let c = Perspective.samplingCoefficients(startpoints: pts, endpoints: pts)
        for (a, b) in zip(c, [Float(1), 0, 0, 0, 1, 0, 0, 0]) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        let x = seeded([1, 3, 8, 10], seed: 10)
        assertClose(Perspective.warp(x, coefficients: c, fill: [0]), x, atol: 1e-5)
    }

    func testHomographyMapsItsPoints() {
        let s: [(x: Double, y: Double)] = [(0, 0), (63, 0), (63, 63), (0, 63)]
        let e: [(x: Double, y: Double)] = [(5, 3), (60, 8), (55, 61), (2, 50)]
        let c = Perspective.homography(from: e, to: s).map(Double.init)
        for (p, q) in zip(e, s) {
            let den = c[6] * p.x + c[7] * p.y + 1
            XCTAssertEqual((c[0] * p.x + c[1] * p.y + c[2]) / den, q.x, accuracy: 1e-3)
            XCTAssertEqual((c[3] * p.x + c[4] * p.y + c[5]) / den, q.y, accuracy: 1e-3)
        }
    }

    func testTensorCopyOnWrite() {
        let a = Tensor(shape: [2], values: [1, 2])
        var b = a
        b[flat: 0] = 9
        XCTAssertEqual(a.scalars, [1, 2])
        XCTAssertEqual(b.scalars, [9, 2])
    }
}

final class UpfirdnSeparableTests: XCTestCase {
    func testSeparablePathEqualsDirect() {
        let x = seeded([2, 3, 7, 9], seed: 11)
        let k = Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4)
        for (up, down, pad) in [(2, 1, (2, 1)), (1, 2, (1, 1)), (1, 1, (1, 1)), (2, 2, (0, -1))] {
            let op = Upfirdn2D(kernel: k, up: up, down: down, pad: pad)
            XCTAssertNotNil(op.separableFactors)
            assertClose(op(x), op.direct(x), atol: 1e-5)
        }
        // a kernel that is not rank one takes the direct path
        XCTAssertNil(Upfirdn2D(kernel: Tensor(shape: [2, 2], values: [1, 0, 0, 1])).separableFactors)
    }

    /// `Resample` with taps that repeat every two outputs (upsampling by 2, where rows are filtered
    /// eight output pairs at a time) gives the bytes of the sums taken tap by tap, from zero, in
    /// order (the scalar loop, written out here): widths 5-80 (no run of 16 pairs, runs ending in
    /// scalar pairs), kernels of 4 and 3 taps (phases of 2 and 2, or 2 and 1 taps), pads that
    /// start the run on either phase, and a bicubic downscale (taps that do not repeat). A lane
    /// reading its neighbour's input, the phases swapped, or a pair written twice would differ.
    func testPairedTapsGiveTheScalarSumsBytes() {
        func reference(_ x: Tensor, _ rows: AxisTaps, _ cols: AxisTaps) -> Tensor {
            let (h, w) = (x.shape[2], x.shape[3]), v = x.scalars
            var out = [Float](repeating: 0, count: rows.outCount * cols.outCount)
            for o in 0..<rows.outCount {
                for t in rows.starts[o]..<rows.starts[o + 1] {
                    let y = rows.indices[t]
                    for j in 0..<cols.outCount {
                        var acc: Float = 0
                        for u in cols.starts[j]..<cols.starts[j + 1] { acc += cols.weights[u] * v[y * w + cols.indices[u]] }
                        out[o * cols.outCount + j] += rows.weights[t] * acc
                    }
                }
            }
            precondition(h == rows.inCount)
            return Tensor(shape: [1, 1, rows.outCount, cols.outCount], values: out)
        }
        for w in [5, 33, 34, 40, 41, 57, 80] {
            for (kernel, pad) in [([0.125, 0.375, 0.375, 0.125] as [Float], (2, 1)), ([0.25, 0.5, 0.3] as [Float], (1, 1)), ([0.1, 0.2, 0.3, 0.4] as [Float], (3, 2))] {
                let x = seeded([1, 1, 6, w], seed: 190)
                let rows = AxisTaps.upfirdn(in: 6, kernel: kernel, up: 2, down: 1, pad0: pad.0, pad1: pad.1)
                let cols = AxisTaps.upfirdn(in: w, kernel: kernel, up: 2, down: 1, pad0: pad.0, pad1: pad.1)
                XCTAssertEqual(Resample.apply(x, rows: rows, cols: cols), reference(x, rows, cols), "width \(w), \(kernel.count) taps, pad \(pad)")
            }
        }
        let x = seeded([1, 1, 50, 50], seed: 191), (rows, cols) = (AxisTaps.bicubic(in: 50, out: 20), AxisTaps.bicubic(in: 50, out: 20))
        XCTAssertEqual(Resample.apply(x, rows: rows, cols: cols), reference(x, rows, cols), "bicubic")
    }

    /// The streaming FIR (ring of W-filtered rows) for every tap count it special-cases, with
    /// negative, asymmetric and wider-than-the-plane pads, and planes narrower than the kernel.
    func testFIREqualsDirect() {
        for taps: [Float] in [[1, 3, 3, 1], [1, 2, 1], [1, 1], [2], [1, 4, 6, 4, 1]] {
            let k = Upfirdn2D.makeKernel(taps)
            for pad in [(1, 1), (2, 0), (0, 2), (-1, 2), (3, 3), (2, -1)] {
                for shape in [[2, 2, 7, 9], [1, 1, 2, 3], [1, 2, 9, 1]] {
                    let op = Upfirdn2D(kernel: k, pad: pad)
                    let (oh, ow) = op.outputSize(height: shape[2], width: shape[3])
                    if oh <= 0 || ow <= 0 { continue }
                    let x = seeded(shape, seed: 41)
                    assertClose(op(x), op.direct(x), atol: 1e-5)
                }
            }
        }
    }
}

final class BLASTests: XCTestCase {
    /// `BLAS.sgemm` splits large products across the threads (along N, or M when taller):
    /// every orientation, leading dimensions wider than the matrices, and beta.
    func testSplitGEMMMatchesDefinition() {
        let saved = Parallel.threads
        Parallel.setThreads(2)   // other tests may have set 1; the split is what this tests
        defer { Parallel.setThreads(saved) }
        for (m, n, k) in [(300, 200, 70), (50, 1000, 64), (1000, 40, 80), (129, 129, 129), (7, 5, 3)] {
            for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
                let lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 2, ldc = n + 5
                let a = seeded([(ta ? k : m) * lda], seed: 51), b = seeded([(tb ? n : k) * ldb], seed: 52)
                let c0 = seeded([m * ldc], seed: 53)
                var c = c0
                a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: ap.baseAddress!, lda: lda,
                               b: bp.baseAddress!, ldb: ldb, beta: 0.25, c: cp.baseAddress!, ldc: ldc)
                } } }
                var worst: Float = 0
                for i in 0..<m { for j in 0..<n {
                    var acc: Double = 0
                    for t in 0..<k {
                        acc += Double(ta ? a[flat: t * lda + i] : a[flat: i * lda + t]) * Double(tb ? b[flat: j * ldb + t] : b[flat: t * ldb + j])
                    }
                    worst = max(worst, abs(Float(0.5 * acc) + 0.25 * c0[flat: i * ldc + j] - c[flat: i * ldc + j]))
                } }
                XCTAssertLessThan(worst, 1e-4, "m \(m) n \(n) k \(k) transA \(ta) transB \(tb)")
                // padding columns of C are left alone
                for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[flat: i * ldc + j], c0[flat: i * ldc + j]) } }
            }
        }
    }
}

final class VectorMathTests: XCTestCase {
    func testExpMatchesLibm() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88 {
            let v = SIMD8<Float>(x, x + 0.013, x + 0.37, x + 0.5, x + 0.71, x + 0.9, x - 0.2, x + 0.05)
            let e = VectorMath.exp(v)
            for j in 0..<8 { worst = max(worst, abs(e[j] - expf(v[j])) / expf(v[j])) }
            x += 0.917
        }
        XCTAssertLessThan(worst, 4e-7)
    }

    func testQuickGELUTail() {
        var v: [Float] = (0..<13).map { Float($0) * 0.7 - 4 }
        let ref = v.map { $0 / (1 + expf(-1.702 * $0)) }
        v.withUnsafeMutableBufferPointer { VectorMath.xSigmoid($0.baseAddress!, count: 13, a: 1.702) }
        for (a, b) in zip(v, ref) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    /// xSigmoid takes four vectors a step, then one, then a tail: each element must be the
    /// bytes it gets alone (the tail's path), wherever it falls (a lane mixed up in the
    /// four-vector step would show).
    func testQuickGELUStepsGiveTheTailsBytes() {
        let v: [Float] = (0..<77).map { Float(($0 * 37) % 77) * 0.13 - 5 }
        var all = v
        all.withUnsafeMutableBufferPointer { VectorMath.xSigmoid($0.baseAddress!, count: 77, a: 1.702) }
        for i in 0..<77 {
            var one = [v[i]]
            one.withUnsafeMutableBufferPointer { VectorMath.xSigmoid($0.baseAddress!, count: 1, a: 1.702) }
            XCTAssertEqual(all[i].bitPattern, one[0].bitPattern, "element \(i)")
        }
    }
}

final class UpfirdnAdjointTests: XCTestCase {
    /// <A x, y> = <x, A^T y> for the FIR fast path and the resampling paths.
    func testAdjointIdentity() {
        let k = Upfirdn2D.makeKernel([1, 3, 3, 1], gain: 4)
        for (up, down, pad) in [(1, 1, (1, 1)), (2, 1, (2, 1)), (1, 2, (1, 1)), (1, 1, (2, 0))] {
            let op = Upfirdn2D(kernel: k, up: up, down: down, pad: pad)
            let x = seeded([1, 2, 7, 6], seed: 31)
            let ax = op(x)
            let y = seeded(ax.shape, seed: 32)
            let aty = op.adjoint(y, inputHeight: 7, inputWidth: 6)
            var lhs: Double = 0, rhs: Double = 0
            for i in 0..<ax.count { lhs += Double(ax[flat: i] * y[flat: i]) }
            for i in 0..<x.count { rhs += Double(x[flat: i] * aty[flat: i]) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)))
        }
    }
}
