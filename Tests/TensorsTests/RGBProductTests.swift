import Tensors
import XCTest

/// RGBProduct: ToRGB's 1x1 product by its own loops, in the order of the sgemm it replaced.
final class RGBProductTests: XCTestCase {
    /// The bytes BLAS.sgemm gave (then + bias, + skip, as ToRGB added them) for the generator's
    /// ToRGB shapes k = 32 ... 256 (1024² to 128²), each at the fewest pixels it applies to (not
    /// a whole block of 1024): a reordered sum (in blocks of k, a product then an add, alpha
    /// applied per term) would differ in some of the outputs. On another OpenBLAS build or CPU the sgemm's
    /// order may differ: then this fails and says so, where bytes of earlier runs change.
    func testGivesTheSgemmBytes() {
        for k in [32, 64, 128, 256] {
            let p = ((1 << 23) / (3 * k) + 15) / 16 * 16
            XCTAssertTrue(RGBProduct.applies(k: k, pixels: p))
            let w = seeded([3, k], seed: UInt64(k)), x = seeded([k, p], seed: UInt64(k + 1)), bias = seeded([3], seed: 3), skip = seeded([3, p], seed: 4)
            let alpha = 1 / Float(k).squareRoot()
            var expected = Tensor(zeros: [3, p])
            w.withUnsafeBufferPointer { wp in x.withUnsafeBufferPointer { xp in expected.withUnsafeMutableBufferPointer { cp in
                BLAS.sgemm(m: 3, n: p, k: k, alpha: alpha, a: wp.baseAddress!, lda: k, b: xp.baseAddress!, ldb: p, c: cp.baseAddress!, ldc: p)
            } } }
            let (e, bv, sv) = (expected.scalars, bias.scalars, skip.scalars)
            var got = Tensor(zeros: [3, p])
            w.withUnsafeBufferPointer { wp in x.withUnsafeBufferPointer { xp in bias.withUnsafeBufferPointer { bp in
                skip.withUnsafeBufferPointer { sp in got.withUnsafeMutableBufferPointer { op in
                    RGBProduct(weight: wp.baseAddress!, k: k, alpha: alpha, bias: bp.baseAddress!, skip: sp.baseAddress!,
                               out: op.baseAddress!, pixels: p).run(xp.baseAddress!)
                } }
            } } }
            let g = got.scalars
            var differing = 0
            for c in 0..<3 { for i in 0..<p where g[c * p + i] != (e[c * p + i] + bv[c]) + sv[c * p + i] { differing += 1 } }
            XCTAssertEqual(differing, 0, "k = \(k), \(p) pixels: \(differing) of \(3 * p) outputs differ from sgemm's")
        }
    }
}

/// `Winograd.forwardIntoRGB`: the generator's last layer summed straight into its ToRGB.
final class WinogradIntoRGBTests: XCTestCase {
    /// The bytes of the styled convolution (noise, bias, activation) written out and then the
    /// ToRGB product over it, for 2 samples of 257 x 256 (a last tile row with one pixel row, the
    /// fused blocks' shape): a channel summed twice or missed, a sum started in the wrong run,
    /// the second sample reading the first's styles or skip, or the second pixel row of a tile
    /// added into the first's sums would differ.
    func testGivesTheBytesOfTheTwoLayersInTurn() {
        let (n, cin, cout, h, w) = (2, 16, 64, 257, 256), p = h * w
        XCTAssertTrue(Winograd.fusesRGB(cin: cin, cout: cout, h: h, w: w))
        let x = seeded([n, cin, h, w], seed: 11), packed = Winograd.pack(seeded([cout, cin, 3, 3], seed: 12))
        let styles = seeded([n, cin], seed: 13), demod = seeded([n * cout], seed: 14), noise = seeded([1, p], seed: 15)
        let bias = seeded([cout], seed: 16), rgbWeight = seeded([n, 3, cout], seed: 17), rgbBias = seeded([3], seed: 18)
        let skip = seeded([n, 3, p], seed: 19)
        let tail = StyledTail(channels: cout, demod: demod, noise: noise, noiseWeight: 0.3, bias: bias, activate: true)
        func product(_ b: Int, _ out: UnsafeMutablePointer<Float>, _ body: (RGBProduct) -> Void) {
            rgbWeight.withUnsafeBufferPointer { wp in rgbBias.withUnsafeBufferPointer { bp in skip.withUnsafeBufferPointer { sp in
                body(RGBProduct(weight: wp.baseAddress! + b * 3 * cout, k: cout, alpha: 0.125, bias: bp.baseAddress!,
                                skip: sp.baseAddress! + b * 3 * p, out: out + b * 3 * p, pixels: p))
            } } }
        }
        let features = Winograd.forward(x, packed: packed, styles: styles, scale: 0.25, tail: tail)
        var expected = Tensor(zeros: [n, 3, h, w])
        features.withUnsafeBufferPointer { fp in expected.withUnsafeMutableBufferPointer { op in
            for b in 0..<n { product(b, op.baseAddress!) { $0.run(fp.baseAddress! + b * cout * p) } }
        } }
        var fused = Tensor(zeros: [n, 3, h, w])
        fused.withUnsafeMutableBufferPointer { op in
            Winograd.forwardIntoRGB(x, packed: packed, styles: styles, scale: 0.25, tail: tail) { b, body in product(b, op.baseAddress!, body) }
        }
        XCTAssertTrue(fused == expected, "fused image differs from the two layers'")
        var tiled = Tensor(zeros: [n, 3, h, w])
        tiled.withUnsafeMutableBufferPointer { op in
            Winograd.forwardIntoRGB(x, packed: Winograd.tiles(packed), tiled: true, styles: styles, scale: 0.25, tail: tail) { b, body in
                product(b, op.baseAddress!, body)
            }
        }
        XCTAssertTrue(tiled == expected, "fused image from U in 8-row tiles differs from the two layers'")
    }
}
