import Tensors
import XCTest

/// OpenBLAS (Haswell/Zen kernels) computes the last rows and columns of a call with other
/// instruction sequences than the rest, so an element's low bits depend on the call's shape and
/// on its place in it. These tests catch a GEMM whose shape follows the batch, the thread count
/// or the load: the pipeline promises bytes that depend on none of them.
final class GEMMDeterminismTests: XCTestCase {
    func testLinearRowDoesNotDependOnItsBatch() {
        let w = seeded([96, 200], seed: 1), b = seeded([96], seed: 2)
        let batch = seeded([7, 200], seed: 3)
        let all = Linear.forward(batch, weight: w, bias: b)
        for i in 0..<7 {
            XCTAssertEqual(Linear.forward(batch.slice(i..<(i + 1)), weight: w, bias: b), all.slice(i..<(i + 1)), "row \(i)")
        }
        let tokens = seeded([3, 50, 200], seed: 4)   // [batch, tokens, width] as in CLIP
        let t = Linear.forward(tokens, weight: w, bias: nil)
        XCTAssertEqual(Linear.forward(tokens.slice(2..<3), weight: w, bias: nil), t.slice(2..<3))
        XCTAssertEqual(batch.matmul(w, transposeOther: true).slice(4..<5), batch.slice(4..<5).matmul(w, transposeOther: true))
    }

    /// Winograd's 16 GEMMs run one per thread, whole, and its fused blocks (this image's path)
    /// one per thread: a split that followed the threads would change the low bits of a render.
    func testWinogradDoesNotDependOnTheThreadCount() {
        let x = seeded([1, 64, 33, 31], seed: 9), packed = Winograd.pack(seeded([48, 64, 3, 3], seed: 10))
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        Parallel.setThreads(1)
        let one = Winograd.forward(x, packed: packed, scale: 0.1)
        for n in [2, 3, 4] {
            Parallel.setThreads(n)
            XCTAssertEqual(Winograd.forward(x, packed: packed, scale: 0.1), one, "\(n) threads")
        }
    }

    /// The upsampling convolutions split blocks, channels and GEMMs over the threads; no byte
    /// may depend on which thread or how many computed it.
    func testUpsampleConvolutionsDoNotDependOnTheThreadCount() {
        let x = seeded([1, 16, 21, 60], seed: 11), packed = PolyphaseUpsample.pack(seeded([8, 16, 3, 3], seed: 12))
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        Parallel.setThreads(1)
        let one = PolyphaseUpsample.forward(x, packed: packed, cout: 8, styles: nil, scale: 0.1)
        let u = WinogradUpsample.pack(seeded([8, 16, 3, 3], seed: 12)), oneW = WinogradUpsample.forward(x, packed: u, styles: nil, scale: 0.1)
        let oneBands = WinogradUpsample.forward(x, packed: u, styles: nil, scale: 0.1, fused: false)
        for n in [2, 3, 4] {
            Parallel.setThreads(n)
            XCTAssertEqual(PolyphaseUpsample.forward(x, packed: packed, cout: 8, styles: nil, scale: 0.1), one, "\(n) threads")
            XCTAssertEqual(WinogradUpsample.forward(x, packed: u, styles: nil, scale: 0.1), oneW, "Winograd blocks, \(n) threads")
            XCTAssertEqual(WinogradUpsample.forward(x, packed: u, styles: nil, scale: 0.1, fused: false), oneBands, "Winograd bands, \(n) threads")
        }
    }

    func testLargeGEMMDoesNotDependOnTheThreadCount() {
        let a = seeded([64, 300], seed: 5), b = seeded([300, 1000], seed: 6)
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        Parallel.setThreads(1)
        let one = a.matmul(b)
        for n in [2, 3, 4] {
            Parallel.setThreads(n)
            XCTAssertEqual(a.matmul(b), one, "\(n) threads")
        }
    }
}
