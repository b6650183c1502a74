@testable import Pipeline
import XCTest

/// The study's statistics against values computed once with SciPy 1.17.1 (NumPy 2.4.6):
/// `scipy.stats.friedmanchisquare(*m.T)` on the matrix below (participants x methods, with ties)
/// and `scipy.stats.chi2.sf`. A wrong tie correction, rank sum or χ² tail shows here.
final class StudyStatisticsTests: XCTestCase {
    let m: [[Double]] = [[1, 2, 3], [1.5, 1.5, 3], [1, 3, 2], [2, 1, 3], [1, 2, 3], [1.25, 2, 2.75]]

    func testFriedmanMatchesSciPy() throws {
        let f = try XCTUnwrap(RankStatistics.friedman(m))
        XCTAssertEqual(f.statistic, 7.913043478260865, accuracy: 1e-12)
        XCTAssertEqual(f.p, 0.019129536225545064, accuracy: 1e-12)
        XCTAssertEqual(f.kendallW, 7.913043478260865 / (6 * 2), accuracy: 1e-12)
        XCTAssertEqual(f.blocks, 6); XCTAssertEqual(f.treatments, 3)
    }

    func testChiSquareTailMatchesSciPy() {
        XCTAssertEqual(ChiSquare.survival(3.7, degrees: 2), 0.1572371663136276, accuracy: 1e-13)
        XCTAssertEqual(ChiSquare.survival(12.5, degrees: 5), 0.028543123326167485, accuracy: 1e-13)
        XCTAssertEqual(ChiSquare.survival(0.3, degrees: 1), 0.583882420770365, accuracy: 1e-13)
        XCTAssertEqual(ChiSquare.survival(40.0, degrees: 3), 1.065509033425585e-08, accuracy: 1e-18)
        XCTAssertEqual(ChiSquare.survival(0, degrees: 3), 1)
    }

    func testBootstrapIsSeededAndBracketsTheMean() {
        let a = RankStatistics.bootstrapIntervals(m, resamples: 2000, seed: 4)
        let b = RankStatistics.bootstrapIntervals(m, resamples: 2000, seed: 4)
        XCTAssertEqual(a.map(\.low), b.map(\.low)); XCTAssertEqual(a.map(\.high), b.map(\.high))
        for j in 0..<3 {
            let mean = m.reduce(0) { $0 + $1[j] } / 6
            XCTAssertLessThanOrEqual(a[j].low, mean); XCTAssertGreaterThanOrEqual(a[j].high, mean)
            XCTAssertLessThan(a[j].low, a[j].high)
        }
        // identical participants leave no spread
        let same = RankStatistics.bootstrapIntervals(Array(repeating: [1, 2], count: 5), resamples: 100, seed: 1)
        XCTAssertEqual(same[0].low, 1); XCTAssertEqual(same[0].high, 1)
    }

    func testQuantileIsNumpyLinear() {
        // numpy.quantile([1, 2, 3, 4], [0.025, 0.975]) == [1.075, 3.925]
        XCTAssertEqual(RankStatistics.quantile([1, 2, 3, 4], 0.025), 1.075, accuracy: 1e-12)
        XCTAssertEqual(RankStatistics.quantile([1, 2, 3, 4], 0.975), 3.925, accuracy: 1e-12)
    }
}
