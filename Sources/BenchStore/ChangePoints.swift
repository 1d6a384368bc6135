import Foundation

/// Change points in a series by E-Divisive means with a Student's t-test
/// for significance: the method of Hunter (Fleming et al., ICPE 2023), as
/// Apache Otava 0.8.0 implements it (`otava.analysis.compute_change_points`),
/// mirrored step by step so both find the same points on the same series
/// (BenchStoreTests compares them).  Deterministic: no permutation test.
///
/// 1. Split: windows of `window` points, starting every `window / 2` (or at
///    the last point found); in each, E-Divisive (Matteson and James, 2014,
///    distance power 1) splits recursively while the t-test of the two sides
///    gives p <= 10 x `maxPValue` ("weak" change points).
/// 2. Merge: the weakest point (highest p, or, once all are significant, the
///    smallest relative change) is dropped while its p >= `maxPValue` or its
///    change <= `minMagnitude`, and its neighbours' statistics recomputed.
public enum ChangePoints {
    /// A change point: `index` is the first point of the new level.
    public struct Point: Sendable, Equatable {
        public var index: Int
        /// E-Divisive's dissimilarity of the split that found it.
        public var qhat: Double
        public var stats: TTest
    }

    /// The two sides of a change point and the t-test's p-value.
    public struct TTest: Sendable, Equatable {
        public var meanBefore: Double, meanAfter: Double
        /// Population standard deviations (Otava's `np.std`).
        public var stdBefore: Double, stdAfter: Double
        /// Two-sided p of Student's t (pooled variance).
        public var pValue: Double

        /// mean after / mean before - 1 (0 when the mean before is 0).
        public var forwardChange: Double { meanBefore == 0 ? 0 : meanAfter / meanBefore - 1 }
        var backwardChange: Double { meanAfter == 0 ? 0 : meanBefore / meanAfter - 1 }
        /// The larger relative change either way.
        public var magnitude: Double { max(abs(forwardChange), abs(backwardChange)) }

        /// Otava's `TTestSignificanceTester.compare`: scipy's
        /// `ttest_ind_from_stats(..., equal_var=True)` fed population
        /// standard deviations, p = 1 for fewer than 3 points.
        static func compare(_ left: ArraySlice<Double>, _ right: ArraySlice<Double>) -> TTest {
            func mean(_ x: ArraySlice<Double>) -> Double { x.reduce(0, +) / Double(x.count) }
            func std(_ x: ArraySlice<Double>, _ m: Double) -> Double {
                x.count < 2 ? 0 : (x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count)).squareRoot()
            }
            let ml = mean(left), mr = mean(right)
            let sl = std(left, ml), sr = std(right, mr)
            let n1 = Double(left.count), n2 = Double(right.count)
            var p = 1.0
            if left.count + right.count > 2 {
                let df = n1 + n2 - 2
                let pooled = ((n1 - 1) * sl * sl + (n2 - 1) * sr * sr) / df
                let t = (ml - mr) / (pooled * (1 / n1 + 1 / n2)).squareRoot()
                p = StudentT.twoSidedP(t: t, df: df)
            }
            return TTest(meanBefore: ml, meanAfter: mr, stdBefore: sl, stdAfter: sr, pValue: p)
        }
    }

    public struct Options: Sendable, Equatable {
        public var window = 50
        public var maxPValue = 0.001
        /// Relative change a point must exceed (0.05 = 5 %).
        public var minMagnitude = 0.0
        public init(window: Int = 50, maxPValue: Double = 0.001, minMagnitude: Double = 0) {
            self.window = window; self.maxPValue = maxPValue; self.minMagnitude = minMagnitude
        }
    }

    /// The change points of `series`, by index.
    public static func detect(_ series: [Double], _ options: Options = Options()) -> [Point] {
        precondition(options.window >= 2, "window must be at least 2")
        let p = options.maxPValue
        let firstPass = p < 0.05 ? p * 10 : (p < 0.5 ? p * 2 : p)
        let weak = split(series, window: options.window, maxPValue: firstPass)
        return merge(weak, series, maxPValue: p, minMagnitude: options.minMagnitude)
    }

    /// Otava's `get_intervals`: the segments between change points, as
    /// half-open ranges, empty ones dropped.
    static func intervals(_ cps: [Point], count: Int) -> [Range<Int>] {
        var bounds = [0] + cps.map(\.index) + [count]
        bounds = bounds.map { min($0, count) }
        return (0..<(bounds.count - 1)).compactMap { i in bounds[i] == bounds[i + 1] ? nil : bounds[i]..<bounds[i + 1] }
    }

    /// The statistics of a point: of its segment split at it (a new
    /// candidate), or of the two segments it separates (an existing point).
    static func stats(at index: Int, qhat: Double, _ series: ArraySlice<Double>, _ intervals: [Range<Int>]) -> Point? {
        let base = series.startIndex
        for (i, r) in intervals.enumerated() {
            if r.upperBound == index {
                guard i + 1 < intervals.count else { return nil }
                return Point(index: index, qhat: qhat, stats: .compare(series[(base + r.lowerBound)..<(base + r.upperBound)],
                                                                      series[(base + intervals[i + 1].lowerBound)..<(base + intervals[i + 1].upperBound)]))
            }
            if r.lowerBound < index && index < r.upperBound {
                return Point(index: index, qhat: qhat, stats: .compare(series[(base + r.lowerBound)..<(base + index)],
                                                                      series[(base + index)..<(base + r.upperBound)]))
            }
        }
        return nil
    }

    /// Otava's `split`: E-Divisive in overlapping windows.
    static func split(_ series: [Double], window: Int, maxPValue: Double) -> [Point] {
        var start = 0
        let step = window / 2
        var found: [Point] = []
        while start < series.count {
            let end = min(start + window, series.count)
            let new = divisive(series[start..<end], maxPValue: maxPValue).map { p -> Point in
                var p = p; p.index += start; return p
            }
            start = max(new.last?.index ?? 0, start + step)
            for cp in new where !found.contains(where: { $0.index == cp.index }) { found.append(cp) }
        }
        found.sort { $0.index < $1.index }
        let iv = intervals(found, count: series.count)
        return found.compactMap { stats(at: $0.index, qhat: $0.qhat, series[...], iv) }
    }

    /// Otava's `ChangePointDetector.get_change_points` on one window:
    /// indices relative to the window.
    static func divisive(_ window: ArraySlice<Double>, maxPValue: Double) -> [Point] {
        let w = Array(window)
        var cps: [Point] = []
        while true {
            let iv = intervals(cps, count: w.count)
            var best: (index: Int, qhat: Double)?
            for r in iv where r.count > 1 {
                let c = candidate(w, r)
                if best == nil || c.qhat > best!.qhat { best = c }
            }
            guard let best, let point = stats(at: best.index, qhat: best.qhat, w[...], iv),
                  point.stats.pValue <= maxPValue else { break }
            cps.append(point)
            cps.sort { $0.index < $1.index }
        }
        return cps
    }

    /// The split τ of `r` maximising E-Divisive's Q(τ, κ) over r.lowerBound
    /// < τ < κ <= r.upperBound, scanned as numpy's argmax scans Otava's
    /// matrix: rows τ, columns κ, first maximum wins, and the matrix's
    /// unused lower triangle counts as zeros.
    static func candidate(_ w: [Double], _ r: Range<Int>) -> (index: Int, qhat: Double) {
        let s = r.lowerBound, e = r.upperBound
        let size = e - s - 1
        var bestQ = -Double.infinity, bestIndex = s + 1
        for i in 0..<size {
            let tau = s + 1 + i
            // Sum of |X_a - X_b| within X = w[s..<tau].
            var withinX = 0.0
            for a in s..<tau { for b in (a + 1)..<tau { withinX += abs(w[a] - w[b]) } }
            var cross = 0.0, withinY = 0.0
            for j in 0..<size {
                guard j >= i else {
                    if 0 > bestQ { bestQ = 0; bestIndex = tau }
                    continue
                }
                let kappa = s + 2 + j  // Y = w[tau..<kappa]; its newest point is w[kappa - 1]
                let yNew = w[kappa - 1]
                for a in s..<tau { cross += abs(w[a] - yNew) }
                for b in tau..<(kappa - 1) { withinY += abs(w[b] - yNew) }
                let n = Double(tau - s), m = Double(kappa - tau)
                var q = 2 / (m + n) * cross
                if n > 1 { q -= 2 * m / (m + n) / (n - 1) * withinX }
                if m > 1 { q -= 2 * n / (m + n) / (m - 1) * withinY }
                if q > bestQ { bestQ = q; bestIndex = tau }
            }
        }
        return (bestIndex, bestQ)
    }

    /// Otava's `merge`, including its order of recomputation.
    static func merge(_ weak: [Point], _ series: [Double], maxPValue: Double, minMagnitude: Double) -> [Point] {
        var cps = weak
        while !cps.isEmpty {
            // Python's max/min: the first element wins; NaN never replaces.
            var weakest = 0
            for i in 1..<cps.count where cps[i].stats.pValue > cps[weakest].stats.pValue { weakest = i }
            if cps[weakest].stats.pValue < maxPValue {
                weakest = 0
                for i in 1..<cps.count where cps[i].stats.magnitude < cps[weakest].stats.magnitude { weakest = i }
                if cps[weakest].stats.magnitude > minMagnitude { return cps }
            }
            cps.remove(at: weakest)
            let iv = intervals(cps, count: series.count)
            for i in [weakest, weakest + 1] where i < cps.count {
                if let p = stats(at: cps[i].index, qhat: cps[i].qhat, series[...], iv) { cps[i] = p }
            }
        }
        return cps
    }
}

/// Student's t distribution.
public enum StudentT {
    /// P(|T| >= |t|) for `df` degrees of freedom: I_{df/(df+t²)}(df/2, 1/2).
    /// NaN for a NaN t (0/0: both sides constant and equal), 0 for ±∞.
    public static func twoSidedP(t: Double, df: Double) -> Double {
        if t.isNaN { return .nan }
        if t.isInfinite { return 0 }
        return regularizedBeta(x: df / (df + t * t), a: df / 2, b: 0.5)
    }

    /// I_x(a, b) by its continued fraction (modified Lentz), using the
    /// symmetry I_x(a,b) = 1 - I_{1-x}(b,a) where the fraction converges slowly.
    static func regularizedBeta(x: Double, a: Double, b: Double) -> Double {
        if x <= 0 { return 0 }
        if x >= 1 { return 1 }
        let lnFront = lgamma(a + b) - lgamma(a) - lgamma(b) + a * log(x) + b * log1p(-x)
        if x < (a + 1) / (a + b + 2) {
            return exp(lnFront) * continuedFraction(x: x, a: a, b: b) / a
        }
        return 1 - exp(lnFront) * continuedFraction(x: 1 - x, a: b, b: a) / b
    }

    static func continuedFraction(x: Double, a: Double, b: Double) -> Double {
        let tiny = 1e-300, eps = 1e-16
        var c = 1.0, d = 1 - (a + b) * x / (a + 1)
        if abs(d) < tiny { d = tiny }
        d = 1 / d
        var h = d
        for m in 1...10_000 {
            let m = Double(m), m2 = 2 * m
            var num = m * (b - m) * x / ((a + m2 - 1) * (a + m2))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d; h *= d * c
            num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1))
            d = 1 + num * d; if abs(d) < tiny { d = tiny }
            c = 1 + num / c; if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) < eps { break }
        }
        return h
    }
}
