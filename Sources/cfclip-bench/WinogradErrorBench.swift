import ArgumentParser
import CBLAS
import Foundation
import Models
import Tensors

/// The numerics of the generator's Winograd F(2x2, 3x3) convolutions at full size: each 3x3
/// same-size layer of config-f 1024 (resolution and channels as in the generator), on a
/// leaky-ReLU'd input with per-channel styles, against a float64 direct convolution. Prints
/// the relative RMS and max error of float32 direct convolution (the GEMM path it replaced)
/// and of Winograd, and their ratio, per layer; the forward convolution and the backward's
/// input gradient have the same shapes here (cin = cout). Then each upsampling layer (32² and
/// up, where the generator runs `WinogradUpsample` or `PolyphaseUpsample`) against a float64
/// transposed convolution, with float32 direct the column GEMM and col2im they replaced.
struct WinogradErrorBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "winograd-error",
        abstract: "Per-layer float32 error of Winograd and of direct convolution against float64, at the generator's full sizes.")
    @Option(help: "Largest resolution (the generator's).") var size = 1024
    @Flag(help: "Print one flat JSON object.") var json = false

    func run() throws {
        let layers = GeneratorConfig.configF(size: size).channels   // resolution -> channels, 4 ... size
        var rows: [(String, Double)] = []
        var worst = 0.0
        for (i, ch) in layers.enumerated() {
            let res = 4 << i
            let (x, styles, scaled) = Self.input(channels: ch, side: res, seed: UInt64(10 + i))
            let w = seededTensor([ch, ch, 3, 3], seed: UInt64(70 + i))
            let reference = Self.directDouble(scaled, w)
            let direct = Conv2D(stride: 1, padding: 1).forward(scaled, weight: w)
            let winograd = Winograd.forward(x, packed: Winograd.pack(w), styles: styles)
            let (dr, dm): (Double, Double) = Self.error(direct, reference)
            let (wr, wm): (Double, Double) = Self.error(winograd, reference)
            worst = max(worst, wr / dr)
            let name = "\(res)px_\(ch)ch"
            let e7 = 1e7
            rows.append(("\(name)_direct_rel_rms_e7", dr * e7))
            rows.append(("\(name)_winograd_rel_rms_e7", wr * e7))
            rows.append(("\(name)_ratio", wr / dr))
            rows.append(("\(name)_direct_max_e7", dm * e7))
            rows.append(("\(name)_winograd_max_e7", wm * e7))
            if !json { FileHandle.standardError.write(Data(String(format: "%5d px %4d ch: direct %.2e, winograd %.2e (%.2fx)\n", res, ch, dr, wr, wr / dr).utf8)) }
        }
        for (i, cout) in layers.enumerated().dropFirst() where 4 << (i - 1) >= WinogradUpsample.minimumSide {
            let (res, cin) = (4 << (i - 1), layers[i - 1])
            let (x, styles, scaled) = Self.input(channels: cin, side: res, seed: UInt64(110 + i))
            let w = seededTensor([cout, cin, 3, 3], seed: UInt64(170 + i))
            let reference: [Double] = Self.transposed(scaled, w)
            let direct = Tensor(shape: [1, cout, 2 * res + 1, 2 * res + 1], values: Self.transposed(scaled, w) as [Float])
            let polyphase = PolyphaseUpsample.applies(cin: cin, cout: cout)
            let fast = polyphase
                ? PolyphaseUpsample.forward(x, packed: PolyphaseUpsample.pack(w), cout: cout, styles: styles, scale: 1)
                : WinogradUpsample.forward(x, packed: WinogradUpsample.pack(w), styles: styles, scale: 1)
            let (dr, dm) = Self.error(direct, reference), (wr, wm) = Self.error(fast, reference)
            worst = max(worst, wr / dr)
            let name = "up\(res)px_\(cin)to\(cout)ch", e7 = 1e7
            rows.append(("\(name)_direct_rel_rms_e7", dr * e7))
            rows.append(("\(name)_fast_rel_rms_e7", wr * e7))
            rows.append(("\(name)_ratio", wr / dr))
            rows.append(("\(name)_direct_max_e7", dm * e7))
            rows.append(("\(name)_fast_max_e7", wm * e7))
            if !json {
                FileHandle.standardError.write(Data(String(format: "%5d px up %4d -> %3d ch: direct %.2e, %@ %.2e (%.2fx)\n", res, cin, cout, dr,
                                                           polyphase ? "polyphase" : "winograd", wr, wr / dr).utf8))
            }
        }
        rows.append(("worst_ratio", worst))
        printResults(rows, json: json)
    }

    /// A leaky-ReLU'd input [1, channels, side, side] (seed), per-channel styles 1 ± 0.5 (seed + 30),
    /// and the input scaled by them, as the direct paths take it.
    static func input(channels ch: Int, side res: Int, seed: UInt64) -> (x: Tensor, styles: Tensor, scaled: Tensor) {
        var x = seededTensor([1, ch, res, res], seed: seed)
        x.withUnsafeMutableBufferPointer { p in for j in 0..<p.count where p[j] < 0 { p[j] *= 0.2 } }
        let styles = Tensor(shape: [1, ch], values: seededTensor([ch], seed: seed + 30).scalars.map { 1 + 0.5 * $0 })
        var scaled = x
        scaled.withUnsafeMutableBufferPointer { p in for c in 0..<ch { for j in 0..<(res * res) { p[c * res * res + j] *= styles[flat: c] } } }
        return (x, styles, scaled)
    }

    /// (RMS error, max error) relative to the RMS of the reference.
    static func error(_ y: Tensor, _ ref: [Double]) -> (Double, Double) {
        var se = 0.0, sr = 0.0, mx = 0.0
        for i in 0..<ref.count { let d = Double(y[flat: i]) - ref[i]; se += d * d; sr += ref[i] * ref[i]; mx = max(mx, abs(d)) }
        let rms = (sr / Double(ref.count)).squareRoot()
        return ((se / Double(ref.count)).squareRoot() / rms, mx / rms)
    }

    /// conv_transpose2d(x, w, stride 2) [cout, 2h+1, 2w+1] in T: out[o, 2y + ky, 2x + kx] +=
    /// w[o, i, ky, kx] x[i, y, x], as GEMMs of the taps over bands of rows and col2im adds.
    static func transposed<T: BinaryFloatingPoint>(_ x: Tensor, _ w: Tensor) -> [T] {
        let (cin, h, wd, cout) = (x.shape[1], x.shape[2], x.shape[3], w.shape[0])
        let (oh, ow) = (2 * h + 1, 2 * wd + 1)
        var taps = [T](repeating: 0, count: cout * 9 * cin)      // [o, ky, kx][i]
        for o in 0..<cout { for i in 0..<cin { for t in 0..<9 { taps[(o * 9 + t) * cin + i] = T(w[flat: (o * cin + i) * 9 + t]) } } }
        let xv = x.scalars.map { T($0) }
        var out = [T](repeating: 0, count: cout * oh * ow)
        let rows = max(1, min(h, (1 << 22) / (9 * cout * wd)))
        var cols = [T](repeating: 0, count: 9 * cout * rows * wd)
        var y0 = 0
        while y0 < h {
            let r = min(rows, h - y0), n = r * wd
            xv.withUnsafeBufferPointer { xp in taps.withUnsafeBufferPointer { tp in cols.withUnsafeMutableBufferPointer { cp in
                let (a, b, c) = (UnsafeRawPointer(tp.baseAddress!), UnsafeRawPointer(xp.baseAddress! + y0 * wd), UnsafeMutableRawPointer(cp.baseAddress!))
                let (m, k, ldb) = (Int32(9 * cout), Int32(cin), Int32(h * wd))
                if T.self == Double.self {
                    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, Int32(n), k, 1, a.assumingMemoryBound(to: Double.self), k,
                                b.assumingMemoryBound(to: Double.self), ldb, 0, c.assumingMemoryBound(to: Double.self), Int32(n))
                } else {
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, Int32(n), k, 1, a.assumingMemoryBound(to: Float.self), k,
                                b.assumingMemoryBound(to: Float.self), ldb, 0, c.assumingMemoryBound(to: Float.self), Int32(n))
                }
            } } }
            for o in 0..<cout { for t in 0..<9 {
                let (ky, kx) = (t / 3, t % 3)
                for yy in 0..<r { for xx in 0..<wd { out[(o * oh + 2 * (y0 + yy) + ky) * ow + 2 * xx + kx] += cols[(o * 9 + t) * n + yy * wd + xx] } }
            } }
            y0 += r
        }
        return out
    }

    /// 3x3, padding 1 convolution in float64: im2col over bands of rows and dgemm.
    static func directDouble(_ x: Tensor, _ w: Tensor) -> [Double] {
        let (cin, h, wd, cout) = (x.shape[1], x.shape[2], x.shape[3], w.shape[0])
        let wv = w.scalars.map(Double.init), xv = x.scalars
        var out = [Double](repeating: 0, count: cout * h * wd)
        let rows = max(1, min(h, (1 << 23) / (9 * cin * wd)))
        var col = [Double](repeating: 0, count: 9 * cin * rows * wd)
        var tile = [Double](repeating: 0, count: cout * rows * wd)
        var y0 = 0
        while y0 < h {
            let r = min(rows, h - y0), n = r * wd
            for c in 0..<cin { for ky in 0..<3 { for kx in 0..<3 {
                let base = ((c * 3 + ky) * 3 + kx) * n
                for yy in 0..<r { for xx in 0..<wd {
                    let iy = y0 + yy + ky - 1, ix = xx + kx - 1
                    col[base + yy * wd + xx] = iy >= 0 && iy < h && ix >= 0 && ix < wd ? Double(xv[(c * h + iy) * wd + ix]) : 0
                } }
            } } }
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(cout), Int32(n), Int32(9 * cin), 1,
                        wv, Int32(9 * cin), col, Int32(n), 0, &tile, Int32(n))
            for o in 0..<cout { for j in 0..<n { out[o * h * wd + y0 * wd + j] = tile[o * n + j] } }
            y0 += r
        }
        return out
    }
}
