import Foundation
import Testing
@testable import BenchCore

@Suite struct StatisticsTests {
    @Test func summaryOfOneToTen() {
        let s = Summary((1...10).map(Double.init).shuffled())
        #expect(s.count == 10)
        #expect(s.min == 1 && s.max == 10)
        #expect(s.median == 5.5)
        #expect(s.p25 == 3.25)       // type 7: 1 + 0.25 * 9 = 3.25
        #expect(s.p75 == 7.75)
        #expect(abs(s.p5 - 1.45) < 1e-12)
        #expect(s.mean == 5.5)
        #expect(abs(s.stddev - 3.0276503540974917) < 1e-12)
        #expect(s.mad == 2.5)        // |x - 5.5| = 0.5,0.5,1.5,1.5,...,4.5,4.5
        #expect(s.outliers == 0)
        // n = 10: P(B <= 1) = 11/1024 <= 2.5% < P(B <= 2): x(2)..x(9)
        #expect(s.ciLow == 2 && s.ciHigh == 9)
    }

    @Test func tukeyOutliersAreCountedNotDropped() {
        let s = Summary([1, 2, 3, 4, 5, 6, 7, 8, 9, 100])
        #expect(s.outliers == 1)
        #expect(s.max == 100)
        #expect(s.count == 10)
    }

    /// Tukey's fences sit 1.5 IQR outside the quartiles on each side: a
    /// value between 1.5 and 3 IQR out is an outlier, one on a fence is not.
    @Test func tukeyFencesAreOneAndAHalfIQROnEachSide() {
        // 1...9 plus one value: p25 = 2.25 or 3.25, p75 = 6.75 or 7.75, IQR 4.5.
        #expect(Summary([-8] + (1...9).map(Double.init)).outliers == 1)     // fence -4.5
        #expect(Summary([-4.5] + (1...9).map(Double.init)).outliers == 0)
        #expect(Summary((1...9).map(Double.init) + [17]).outliers == 1)     // fence 14.5
        #expect(Summary((1...9).map(Double.init) + [14.5]).outliers == 0)
    }

    /// The MAD is taken about the median, not the mean: a skewed sample
    /// tells them apart (median 3, mean 22).
    @Test func madIsAboutTheMedian() {
        let s = Summary([1, 2, 3, 4, 100])
        #expect(s.median == 3 && s.mean == 22)
        #expect(s.mad == 1)   // |x - 3| = 2, 1, 0, 1, 97
    }

    @Test func medianIntervalRanks() {
        #expect(Summary.medianCIRank(5) == 1)
        #expect(Summary.medianCIRank(6) == 1)    // P(B = 0) = 1/64
        #expect(Summary.medianCIRank(10) == 2)
        #expect(Summary.medianCIRank(100) == 40) // the textbook x(40)..x(61)
    }

    @Test func smallSamplesUseMinMaxInterval() {
        let s = Summary([3, 1, 2])
        #expect(s.ciLow == 1 && s.ciHigh == 3)
        #expect(Summary([7]).stddev == 0)
    }

    @Test func scalingMultipliesEveryStatistic() {
        let s = Summary([1, 2, 3, 4]).scaled(by: 2)
        #expect(s.median == 5 && s.max == 8 && s.min == 2 && s.count == 4)
    }

    @Test func linearFitRecoversALine() {
        let x: [Double] = [1000, 2000, 4000, 8000]
        let fit = LinearFit(x: x, y: x.map { 0.8 * $0 + 50 })
        #expect(abs(fit.slope - 0.8) < 1e-12)
        #expect(abs(fit.intercept - 50) < 1e-9)
        #expect(abs(fit.rSquared - 1) < 1e-12)
        let noisy = LinearFit(x: [1, 2, 3, 4], y: [1, 3, 2, 4])
        #expect(noisy.rSquared < 1)
    }

    @Test func splitMixIsDeterministic() {
        var a = SplitMix64(seed: 0), b = SplitMix64(seed: 0), c = SplitMix64(seed: 1)
        let first = a.next()
        #expect(first == 0xE220_A839_7B1D_CDAF)  // reference SplitMix64 output for seed 0
        #expect(b.next() == first)
        #expect(c.next() != first)
    }
}

@Suite struct InnerCountTests {
    // Structure only: the count doubles until one region reaches the target,
    // so a target no region can reach stops at the cap, and a trivial one at 1.
    @Test func innerCountStopsAtTheTargetOrTheCap() {
        let kernel = TimingKernel(features: CPUDescription.host().features)
        #expect(kernel.innerCount(targetTicks: 0) { _ in } == 1)
        #expect(kernel.innerCount(targetTicks: .infinity, maxInner: 64) { _ in } == 64)
    }

    @Test func innerCountReadsTicksAsNumbers() {
        // A region of n * 10,000 loop iterations takes thousands of ticks per n
        // on any machine; a count that reached the cap would mean the tick
        // count was misread (as Double(bitPattern:) once did).
        let kernel = TimingKernel(features: CPUDescription.host().features)
        var sink = 0
        let k = kernel.innerCount(targetTicks: 1_000, maxInner: 1 << 20) { n in
            for i in 0..<(n * 10_000) { sink &+= i }
        }
        #expect(k < 1 << 20)
        #expect(sink != 1)
    }
}

/// The distribution-free interval of the median for large samples (the
/// branch nearly every timing row takes), against the exact binomial tail
/// computed here independently.
@Suite struct MedianIntervalTests {
    /// Largest j with P(Bin(n, 1/2) <= j - 1) <= 2.5 %, at least 1.
    static func exactRank(_ n: Int) -> Int {
        let logHalfN = Double(n) * log(0.5)
        var cumulative = 0.0, j = 0
        for k in 0..<n {
            let logC = lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
            cumulative += exp(logC + logHalfN)
            if cumulative > 0.025 { break }
            j = k + 1
        }
        return max(1, j)
    }

    @Test(arguments: [1_001, 1_002, 1_500, 2_000, 2_001, 5_000, 10_000, 20_000])
    func largeSampleRankMatchesTheExactTail(n: Int) {
        let exact = Self.exactRank(n)
        let j = Summary.medianCIRank(n)
        // The normal approximation may sit one rank lower (wider, still 95 %), never higher.
        #expect(j == exact || j == exact - 1, "n=\(n): rank \(j), exact \(exact)")
    }

    @Test func largeSampleIntervalIsTheOrderStatistics() {
        let s = Summary((1...2_000).map(Double.init).reversed())
        // n = 2,000: x(956)..x(1045)
        #expect(s.ciLow == 956 && s.ciHigh == 1_045)
        #expect(Summary.medianCIRank(1_000) == Self.exactRank(1_000))
    }
}
