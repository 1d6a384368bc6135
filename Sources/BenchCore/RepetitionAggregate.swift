import Foundation

/// A statistic over the repetitions of one row (same suite, benchmark,
/// parameters and metric): what google/benchmark calls an aggregate.  The
/// runner's data, computed once when a suite's report is assembled, so
/// reporters only format it.
public struct RepetitionAggregate: Sendable, Equatable {
    /// "mean", "median" or "stddev".
    public var name: String
    /// In the unit of the rows it summarises.
    public var value: Double
    /// Repetitions that held a figure (status ok, finite value).
    public var count: Int

    /// mean, median and stddev of the repetition values of each row key
    /// that has at least two figures; keyed by `ResultRow.key`.  Rows that
    /// are not ok never enter an aggregate.
    public static func over(_ rows: [ResultRow]) -> [String: [RepetitionAggregate]] {
        var values: [String: [Double]] = [:]
        for r in rows where r.status == .ok {
            if let v = r.value, v.isFinite { values[r.key, default: []].append(v) }
        }
        var out: [String: [RepetitionAggregate]] = [:]
        for (key, v) in values where v.count >= 2 {
            let s = Summary(v)
            out[key] = [RepetitionAggregate(name: "mean", value: s.mean, count: v.count),
                        RepetitionAggregate(name: "median", value: s.median, count: v.count),
                        RepetitionAggregate(name: "stddev", value: s.stddev, count: v.count)]
        }
        return out
    }
}
