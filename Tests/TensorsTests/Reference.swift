import Tensors
import XCTest

/// Plain loops that restate an op's definition, to check the fast version against.
enum Naive {
    static func conv2d(_ x: Tensor, _ w: Tensor, stride: Int, padding: Int) -> Tensor {
        let (n, cin, h, wd) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (cout, kh, kw) = (w.shape[0], w.shape[2], w.shape[3])
        let oh = (h + 2 * padding - kh) / stride + 1, ow = (wd + 2 * padding - kw) / stride + 1
        let xv = x.scalars, wv = w.scalars
        var out = [Float](repeating: 0, count: n * cout * oh * ow)
        for b in 0..<n { for o in 0..<cout { for y in 0..<oh { for xo in 0..<ow {
            var acc: Float = 0
            for c in 0..<cin { for ky in 0..<kh { for kx in 0..<kw {
                let iy = y * stride + ky - padding, ix = xo * stride + kx - padding
                if iy < 0 || iy >= h || ix < 0 || ix >= wd { continue }
                acc += xv[((b * cin + c) * h + iy) * wd + ix] * wv[((o * cin + c) * kh + ky) * kw + kx]
            } } }
            out[((b * cout + o) * oh + y) * ow + xo] = acc
        } } } }
        return Tensor(shape: [n, cout, oh, ow], values: out)
    }
}

func seeded(_ shape: [Int], seed: UInt64) -> Tensor {
    var s = seed &* 6364136223846793005 &+ 1442695040888963407
    return Tensor(shape: shape) { buf in
        for i in 0..<buf.count {
            s = s &* 6364136223846793005 &+ 1442695040888963407
            buf[i] = Float(Int64(bitPattern: s >> 11) % 20001) / 10000 - 1
        }
    }
}

func assertClose(_ a: Tensor, _ b: Tensor, atol: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.shape, b.shape, file: file, line: line)
    guard a.shape == b.shape else { return }
    var worst: Float = 0
    for i in 0..<a.count { worst = max(worst, abs(a[flat: i] - b[flat: i])) }
    XCTAssertLessThanOrEqual(worst, atol, "max abs error", file: file, line: line)
}
