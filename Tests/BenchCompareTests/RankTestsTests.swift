import Foundation
import BenchCompare
import Testing

@Suite struct RankTestsTests {
    @Test func fullySeparatedFiveVersusFiveIsTheSmallestExactP() {
        let r = RankTests.mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
        #expect(r.exact)
        #expect(r.u == 0)
        #expect(abs(r.p - 2.0 / 252.0) < 1e-12)
        // Symmetric in the direction of the shift.
        let s = RankTests.mannWhitneyU([6, 7, 8, 9, 10], [1, 2, 3, 4, 5])
        #expect(s.u == 25)
        #expect(abs(s.p - 2.0 / 252.0) < 1e-12)
    }

    @Test func identicalSamplesGivePOne() {
        #expect(RankTests.mannWhitneyU([7, 7, 7, 7, 7], [7, 7, 7, 7, 7]).p == 1)
        #expect(RankTests.mannWhitneyU([1, 2, 3, 4, 5], [1, 2, 3, 4, 5]).p == 1)
    }

    @Test func interleavedSamplesMatchTheTabulatedExactP() {
        // scipy.stats.mannwhitneyu([1,3,5,7,9], [2,4,6,8,10], method="exact"): U = 10, p = 0.6905.
        let r = RankTests.mannWhitneyU([1, 3, 5, 7, 9], [2, 4, 6, 8, 10])
        #expect(r.u == 10)
        #expect(abs(r.p - 0.6904761904761905) < 1e-12)
    }

    @Test func tiesUseTheExactPermutationDistributionOfMidranks() {
        // Enumerated over all 252 splits with midranks: 28 of 252 are as extreme.
        let r = RankTests.mannWhitneyU([1, 2, 2, 3, 4], [2, 3, 5, 5, 6])
        #expect(r.u == 4.5)
        #expect(abs(r.p - 28.0 / 252.0) < 1e-12)
    }

    @Test func threeVersusThreeCannotReachFivePercent() {
        #expect(abs(RankTests.mannWhitneyU([10, 11, 12], [13, 14, 15]).p - 0.1) < 1e-12)
    }

    @Test func largeSamplesUseTheNormalApproximation() {
        let a = (0..<30).map(Double.init), b = (0..<30).map { Double($0) + 100 }
        let r = RankTests.mannWhitneyU(a, b)
        #expect(!r.exact)
        #expect(r.p < 1e-9)
        let same = RankTests.mannWhitneyU(a, a)
        #expect(!same.exact)
        #expect(same.p > 0.9)
        // z = (450 - 0.5) / sqrt(30*30*61/12) for fully separated 30 vs 30.
        let z = (450 - 0.5) / (900.0 * 61 / 12).squareRoot()
        #expect(abs(r.p - erfc(z / 2.0.squareRoot())) < 1e-15)
    }

    /// Up to m * n = 10,000 the p-value is the exact lattice count; for
    /// equal sizes it has a closed form to compare with (Gnedenko and
    /// Korolyuk): P(D >= k/n) = 2 sum_j (-1)^(j+1) C(2n, n - jk) / C(2n, n).
    @Test func kolmogorovSmirnovIsExactUpToTenThousandPairs() {
        func choose(_ n: Int, _ k: Int) -> Double {
            (0..<k).reduce(1.0) { $0 * Double(n - $1) / Double($1 + 1) }
        }
        for (n, k) in [(20, 10), (40, 12), (100, 20)] {
            let a = (0..<n).map(Double.init), b = (k..<(n + k)).map(Double.init)   // D = k/n
            var p = 0.0
            for j in 1...(n / k) { p += (j % 2 == 1 ? 2 : -2) * choose(2 * n, n - j * k) / choose(2 * n, n) }
            let r = RankTests.kolmogorovSmirnov(a, b)
            #expect(abs(r.d - Double(k) / Double(n)) < 1e-12)
            #expect(abs(r.p - p) < 1e-9 * max(1, p), "n=\(n) k=\(k): \(r.p) vs \(p)")
        }
    }

    @Test func kolmogorovSmirnovExactSmallSamples() {
        let sep = RankTests.kolmogorovSmirnov([1, 2, 3, 4, 5], [6, 7, 8, 9, 10])
        #expect(sep.d == 1)
        #expect(abs(sep.p - 2.0 / 252.0) < 1e-12)
        let same = RankTests.kolmogorovSmirnov([1, 2, 3], [1, 2, 3])
        #expect(same.d == 0)
        #expect(same.p == 1)
        let inter = RankTests.kolmogorovSmirnov([1, 3, 5, 7, 9], [2, 4, 6, 8, 10])
        #expect(abs(inter.d - 0.2) < 1e-12)
        #expect(inter.p == 1)
    }
}
