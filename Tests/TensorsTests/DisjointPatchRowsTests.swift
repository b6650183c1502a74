import Tensors
import XCTest

/// CLIP's patch embedding as patch rows times the packed weight (`Conv2D.disjointPatchRows`).
final class DisjointPatchRowsTests: XCTestCase {
    /// Rows times the weight are the stride-p convolution, channel-last, on images whose sides
    /// are not whole patches (the convolution drops the rest): a run copied from the wrong
    /// channel, row or patch would show.
    func testRowsTimesTheWeightAreTheConvolution() {
        for (h, w, p) in [(12, 12, 4), (10, 11, 3), (7, 9, 7)] {
            let x = seeded([2, 3, h, w], seed: UInt64(h * w)), weight = seeded([5, 3, p, p], seed: UInt64(p))
            let rows = Conv2D.disjointPatchRows(x, patch: p)
            let y = Linear.forward(rows, packed: PackedMatrix(weight.reshaped([5, 3 * p * p])), bias: nil).scalars
            let want = Naive.conv2d(x, weight, stride: p, padding: 0).scalars
            let (gh, gw) = (h / p, w / p)
            XCTAssertEqual(rows.shape, [2 * gh * gw, 3 * p * p])
            for b in 0..<2 { for o in 0..<5 { for s in 0..<gh * gw {
                XCTAssertEqual(y[(b * gh * gw + s) * 5 + o], want[(b * 5 + o) * gh * gw + s], accuracy: 1e-5, "\(h)x\(w) p \(p): image \(b), channel \(o), patch \(s)")
            } } }
        }
    }

    /// <R x, y> = <x, Rᵀ y>: the backward puts each gradient where its pixel was read, and
    /// zeros where no patch reads.
    func testAdjoint() {
        let x = seeded([2, 3, 10, 11], seed: 3)
        let rows = Conv2D.disjointPatchRows(x, patch: 3)
        let y = seeded(rows.shape, seed: 4)
        let back = Conv2D.disjointPatchRowsAdjoint(y, patch: 3, imageShape: x.shape)
        let lhs = zip(rows.scalars, y.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        let rhs = zip(x.scalars, back.scalars).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-9 * max(1, abs(lhs)))
        let b = back.scalars
        for c in 0..<3 { for i in 0..<10 { XCTAssertEqual(b[(c * 10 + i) * 11 + 10], 0, "column 10 is read by no patch") } }
        for c in 0..<3 { for j in 0..<11 { XCTAssertEqual(b[(c * 10 + 9) * 11 + j], 0, "row 9 is read by no patch") } }
    }
}
