import Foundation

/// Two-sample, distribution-free tests over small samples (repetition
/// medians).  Both return two-sided p-values in (0, 1].
public enum RankTests {
    /// Result of a Mann-Whitney U test.
    public struct MannWhitney: Sendable, Equatable {
        /// U of the first sample: pairs (a, b) with a > b, plus half the ties.
        public var u: Double
        /// Two-sided p-value.
        public var p: Double
        /// True when `p` comes from the exact permutation distribution
        /// (which is exact with ties, too); false for the normal approximation.
        public var exact: Bool
    }

    /// Pooled sizes up to this use the exact permutation distribution.
    public static let exactLimit = 50

    /// Mann-Whitney U (Wilcoxon rank-sum) test of `a` against `b`.
    ///
    /// Small samples (m + n <= `exactLimit`) use the exact permutation
    /// distribution of the rank sum under midranks, so ties are handled
    /// exactly (all values equal gives p = 1; 5 vs 5 fully separated gives
    /// p = 2/252).  Larger samples use the normal approximation with tie
    /// correction and continuity correction.
    /// Precondition: both samples non-empty, no NaN.
    public static func mannWhitneyU(_ a: [Double], _ b: [Double]) -> MannWhitney {
        precondition(!a.isEmpty && !b.isEmpty, "Mann-Whitney U needs two non-empty samples")
        let m = a.count, n = b.count, total = m + n
        // Doubled midranks (integers): 2 * rank, ranks 1-based.
        let pooled = (a.map { ($0, 0) } + b.map { ($0, 1) }).sorted { $0.0 < $1.0 }
        var doubledRanks = [Int](repeating: 0, count: total)
        var tieGroups: [Int] = []
        var i = 0
        while i < total {
            var j = i
            while j + 1 < total && pooled[j + 1].0 == pooled[i].0 { j += 1 }
            // Ranks i+1 ... j+1 share their mean: (i + j + 2) / 2, doubled.
            for k in i...j { doubledRanks[k] = i + j + 2 }
            tieGroups.append(j - i + 1)
            i = j + 1
        }
        let doubledSumA = zip(pooled, doubledRanks).filter { $0.0.1 == 0 }.reduce(0) { $0 + $1.1 }
        let u = Double(doubledSumA) / 2 - Double(m * (m + 1)) / 2
        if total <= exactLimit {
            return MannWhitney(u: u, p: exactRankSumP(doubledRanks: doubledRanks, m: m, observed: doubledSumA),
                               exact: true)
        }
        let mu = Double(m * n) / 2
        let tieTerm = tieGroups.reduce(0.0) { $0 + Double($1 * $1 * $1 - $1) }
        let nn = Double(total)
        let variance = Double(m * n) / 12 * ((nn + 1) - tieTerm / (nn * (nn - 1)))
        guard variance > 0 else { return MannWhitney(u: u, p: 1, exact: false) }
        let z = max(0, abs(u - mu) - 0.5) / variance.squareRoot()
        return MannWhitney(u: u, p: min(1, erfc(z / 2.0.squareRoot())), exact: false)
    }

    /// P(|S - E S| >= |observed - E S|) where S is the sum of `m` of the
    /// doubled ranks drawn without replacement (all subsets equally likely).
    static func exactRankSumP(doubledRanks: [Int], m: Int, observed: Int) -> Double {
        let maxSum = doubledRanks.sorted(by: >).prefix(m).reduce(0, +)
        // ways[k][s]: subsets of size k of the ranks seen so far summing to s.
        var ways = [[Double]](repeating: [Double](repeating: 0, count: maxSum + 1), count: m + 1)
        ways[0][0] = 1
        for r in doubledRanks {
            for k in stride(from: m, through: 1, by: -1) {
                let prev = ways[k - 1]
                for s in stride(from: maxSum, through: r, by: -1) where prev[s - r] != 0 {
                    ways[k][s] += prev[s - r]
                }
            }
        }
        let all = ways[m].reduce(0, +)
        let twiceMean = doubledRanks.reduce(0, +) * m   // 2 * total * E S, in doubled units
        let total = doubledRanks.count
        // Compare |total*s - m*sum| to avoid fractions: E S = m * sum / total.
        let observedDeviation = abs(total * observed - twiceMean)
        var tail = 0.0
        for (s, w) in ways[m].enumerated() where w != 0 && abs(total * s - twiceMean) >= observedDeviation {
            tail += w
        }
        return min(1, tail / all)
    }

    /// Two-sample Kolmogorov-Smirnov test: the two-sided p-value of the
    /// largest distance between the empirical distribution functions.
    ///
    /// Uses the exact lattice-path distribution when m * n <= 10,000 (exact
    /// without ties, conservative with them) and the asymptotic Kolmogorov
    /// distribution beyond.  Precondition: both samples non-empty, no NaN.
    public static func kolmogorovSmirnov(_ a: [Double], _ b: [Double]) -> (d: Double, p: Double) {
        precondition(!a.isEmpty && !b.isEmpty, "Kolmogorov-Smirnov needs two non-empty samples")
        let x = a.sorted(), y = b.sorted()
        let m = x.count, n = y.count
        var i = 0, j = 0, d = 0.0
        while i < m && j < n {
            let v = min(x[i], y[j])
            while i < m && x[i] == v { i += 1 }
            while j < n && y[j] == v { j += 1 }
            d = max(d, abs(Double(i) / Double(m) - Double(j) / Double(n)))
        }
        if d == 0 { return (0, 1) }
        if m * n <= 10_000 {
            return (d, min(1, max(0, 1 - probabilityAllBelow(d, m, n))))
        }
        let en = Double(m * n) / Double(m + n)
        let lambda = (en.squareRoot() + 0.12 + 0.11 / en.squareRoot()) * d
        var sum = 0.0
        for k in 1...100 {
            let term = exp(-2 * Double(k * k) * lambda * lambda)
            sum += (k % 2 == 1 ? 1 : -1) * term
            if term < 1e-12 { break }
        }
        return (d, min(1, max(0, 2 * sum)))
    }

    /// P(D < d) for samples of sizes m and n from one continuous
    /// distribution: the share of monotone lattice paths from (0,0) to (m,n)
    /// that keep |i/m - j/n| < d at every point (walked as probabilities,
    /// so no binomial coefficient overflows).
    static func probabilityAllBelow(_ d: Double, _ m: Int, _ n: Int) -> Double {
        let eps = 1e-9
        func allowed(_ i: Int, _ j: Int) -> Bool { abs(Double(i) / Double(m) - Double(j) / Double(n)) < d - eps }
        var p = [[Double]](repeating: [Double](repeating: 0, count: n + 1), count: m + 1)
        p[0][0] = 1
        for i in 0...m {
            for j in 0...n {
                if i == 0 && j == 0 { continue }
                guard allowed(i, j) else { p[i][j] = 0; continue }
                var v = 0.0
                if i > 0 { v += p[i - 1][j] * Double(m - i + 1) / Double(m - i + 1 + n - j) }
                if j > 0 { v += p[i][j - 1] * Double(n - j + 1) / Double(m - i + n - j + 1) }
                p[i][j] = v
            }
        }
        return p[m][n]
    }
}
