import BenchCore
import Foundation

/// How `compare` decides.  Defaults are those of `benchmark compare`.
public struct CompareOptions: Sendable {
    /// Practical threshold: a timing change smaller than this, in percent of
    /// the baseline's median of repetition medians, is `unchanged` however
    /// significant.  >= 0.
    public var thresholdPercent = 5.0
    /// Overrides of `thresholdPercent`, keyed `SUITE`, `SUITE/METRIC` or
    /// `SUITE/BENCHMARK/METRIC`; the most specific match wins.
    public var thresholdOverrides: [String: Double] = [:]
    /// Significance level of the statistical test, in (0, 1).
    public var alpha = 0.05
    /// Also run Kolmogorov-Smirnov and use the smaller of the two p-values.
    public var kolmogorovSmirnov = false
    /// Inconclusive gated rows fail the comparison (exit 3).
    public var failOnInconclusive = false
    /// Refuse (exit 4) runs from different host fingerprints instead of
    /// reporting host-dependent rows ungated: for dedicated runners whose
    /// baseline must come from the same machine.
    public var requireSameHost = false
    /// Gate only `exact` rows; timing rows are compared and reported, not gated.
    public var onlyExact = false
    /// Fewer repetitions than this on either side draws a warning.
    public var recommendedRepetitions = 5
    /// Relative tolerance for `exact` rows, absorbing floating-point rounding
    /// of model arithmetic only (1e-9: a changed size or count always differs).
    public var exactRelativeTolerance = 1e-9

    public init() {}

    /// The threshold, in percent, for a row.
    public func threshold(for row: StoredRow) -> Double {
        thresholdOverrides["\(row.suite)/\(row.benchmark)/\(row.metric)"]
            ?? thresholdOverrides["\(row.suite)/\(row.metric)"]
            ?? thresholdOverrides[row.suite]
            ?? thresholdPercent
    }

    /// Parses `--threshold-for KEY=PERCENT`.  Throws `BenchError.badInput`.
    public static func parseOverride(_ text: String) throws -> (key: String, percent: Double) {
        let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[0].isEmpty else {
            throw BenchError.badInput("--threshold-for \(text): expected SUITE[/BENCHMARK]/METRIC=PERCENT or SUITE=PERCENT")
        }
        let pieces = parts[0].split(separator: "/", omittingEmptySubsequences: false)
        guard pieces.count <= 3, !pieces.contains(where: \.isEmpty) else {
            throw BenchError.badInput("--threshold-for \(text): key must be SUITE, SUITE/METRIC or SUITE/BENCHMARK/METRIC")
        }
        guard let p = Double(parts[1]), p.isFinite, p >= 0, p <= 1000 else {
            throw BenchError.badInput("--threshold-for \(text): percent must be a number in 0...1000")
        }
        return (parts[0], p)
    }

    /// Checks ranges; throws `BenchError.badInput`.
    public func validate() throws {
        guard thresholdPercent.isFinite, thresholdPercent >= 0, thresholdPercent <= 1000 else {
            throw BenchError.badInput("--threshold \(thresholdPercent): expected a percentage in 0...1000")
        }
        guard alpha > 0, alpha < 1 else {
            throw BenchError.badInput("--alpha \(alpha): expected a probability strictly between 0 and 1")
        }
    }
}
