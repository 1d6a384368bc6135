import Foundation

/// Robust summary of a sample.  Units are those of the input.
public struct Summary: Sendable, Equatable, Codable {
    public var count: Int
    public var min: Double, p5: Double, p25: Double, median: Double
    public var p75: Double, p95: Double, p99: Double, max: Double
    public var mean: Double
    /// Sample standard deviation (n - 1 denominator; 0 for one value).
    public var stddev: Double
    /// Median absolute deviation from the median, unscaled.
    public var mad: Double
    /// Distribution-free 95% confidence interval of the median: the order
    /// statistics x(j)..x(n+1-j) with the largest j whose binomial tail
    /// P(Bin(n, 1/2) < j) is at most 2.5%.  Below 6 values no such j exists
    /// and the interval is min..max (coverage under 95%).
    public var ciLow: Double, ciHigh: Double
    /// Values outside the Tukey fences [Q1 - 1.5 IQR, Q3 + 1.5 IQR]: counted, kept.
    public var outliers: Int

    /// Summarises `values`.  Precondition: not empty, no NaN.
    public init(_ values: [Double]) {
        precondition(!values.isEmpty, "Summary of an empty sample")
        let s = values.sorted()
        let n = s.count
        count = n
        min = s[0]; max = s[n - 1]
        p5 = Summary.quantile(s, 0.05); p25 = Summary.quantile(s, 0.25)
        median = Summary.quantile(s, 0.5); p75 = Summary.quantile(s, 0.75)
        p95 = Summary.quantile(s, 0.95); p99 = Summary.quantile(s, 0.99)
        mean = s.reduce(0, +) / Double(n)
        let m = mean
        stddev = n > 1 ? (s.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(n - 1)).squareRoot() : 0
        let med = median
        mad = Summary.quantile(s.map { abs($0 - med) }.sorted(), 0.5)
        let j = Summary.medianCIRank(n)
        ciLow = s[j - 1]; ciHigh = s[n - j]
        let iqr = p75 - p25
        let (lf, hf) = (p25 - 1.5 * iqr, p75 + 1.5 * iqr)
        outliers = s.filter { $0 < lf || $0 > hf }.count
    }

    /// The 1-based rank j of the lower bound of the median's 95% interval.
    static func medianCIRank(_ n: Int) -> Int {
        guard n >= 6 else { return 1 }
        if n > 1000 {  // normal approximation, accurate far below the rounding
            return Swift.max(1, Int((Double(n) / 2 - 0.98 * Double(n).squareRoot()).rounded(.down)))
        }
        // Exact tail in log space: log C(n, k) - n log 2.
        var cumulative = 0.0, logC = 0.0
        let logHalfN = Double(n) * log(0.5)
        var j = 0
        for k in 0..<n {
            if k > 0 { logC += log(Double(n - k + 1)) - log(Double(k)) }
            cumulative += exp(logC + logHalfN)
            if cumulative > 0.025 { break }
            j = k + 1
        }
        return Swift.max(1, j)
    }

    /// Linear-interpolation quantile (Hyndman-Fan type 7, as R and NumPy default)
    /// of an ascending array.  Precondition: `sorted` not empty, 0 <= q <= 1.
    public static func quantile(_ sorted: [Double], _ q: Double) -> Double {
        let h = Double(sorted.count - 1) * q
        let lo = Int(h.rounded(.down)), hi = Swift.min(lo + 1, sorted.count - 1)
        return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
    }

    /// Returns the summary with every statistic multiplied by `factor` (> 0),
    /// e.g. ticks to nanoseconds.
    public func scaled(by factor: Double) -> Summary {
        var r = self
        for kp in [\Summary.min, \.p5, \.p25, \.median, \.p75, \.p95, \.p99, \.max, \.mean,
                   \.stddev, \.mad, \.ciLow, \.ciHigh] as [WritableKeyPath<Summary, Double>] {
            r[keyPath: kp] *= factor
        }
        return r
    }
}

/// Ordinary least squares fit y = intercept + slope * x.
public struct LinearFit: Sendable, Equatable {
    public var slope: Double, intercept: Double
    /// Coefficient of determination (1 for a perfect line).
    public var rSquared: Double

    /// Precondition: at least two distinct x values.
    public init(x: [Double], y: [Double]) {
        precondition(x.count == y.count && x.count >= 2)
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0, syy = 0.0
        for (a, b) in zip(x, y) { sxy += (a - mx) * (b - my); sxx += (a - mx) * (a - mx); syy += (b - my) * (b - my) }
        slope = sxy / sxx
        intercept = my - slope * mx
        rSquared = syy == 0 ? 1 : (sxy * sxy) / (sxx * syy)
    }
}

/// SplitMix64: a small, seedable, deterministic generator, so a seed gives
/// the same sequence on every platform and Swift version.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
