import BenchCore
import Foundation

/// Whether two runs met the machine in the same speed state, from the
/// `_calibration` rows every suite carries (`SpeedCalibration`).
enum SpeedStates {
    /// One warning per suite whose calibrations (median over its start and
    /// end rows, every repetition) differ by more than
    /// `SpeedCalibration.compareTolerance`.  Runs without calibration rows
    /// (older tool versions) give none.
    static func warnings(baseline: [StoredRow], current: [StoredRow]) -> [String] {
        let b = calibrations(baseline), c = calibrations(current)
        return b.keys.sorted().compactMap { suite in
            guard let before = b[suite], let after = c[suite] else { return nil }
            return SpeedCalibration.comparisonWarning(suite: suite, baseline: before, current: after)
        }
    }

    /// Suites whose two runs' calibrations differ by more than
    /// `SpeedCalibration.compareTolerance`, with the relative change
    /// (current / baseline - 1).
    static func differing(baseline: [StoredRow], current: [StoredRow]) -> [String: Double] {
        let b = calibrations(baseline), c = calibrations(current)
        var out: [String: Double] = [:]
        for (suite, before) in b {
            guard let after = c[suite], before > 0, after > 0 else { continue }
            let change = after / before - 1
            if abs(change) > SpeedCalibration.compareTolerance { out[suite] = change }
        }
        return out
    }

    /// A timing verdict that the speed states can explain is not a
    /// verdict: `regressed` or `improved` on a suite whose calibrations
    /// differ becomes `inconclusive` (rerun in one state), and says why.
    /// An unchanged rerun that lands in another state must not read as a
    /// regression; a real change measured in another state is not proven.
    /// A duration whose change is beyond the threshold even after the
    /// calibrations' change is taken out of it (current / baseline over the
    /// calibrations' ratio) keeps its verdict: a slower speed state scales
    /// durations by at most its own change, so the rest is the code's.
    static func qualify(_ rows: inout [RowComparison], differing: [String: Double]) {
        for i in rows.indices where rows[i].gate == .timing && [.regressed, .improved].contains(rows[i].verdict) {
            guard let change = differing[rows[i].suite] else { continue }
            // A self-check that fails is a regression whatever the speed.
            guard !rows[i].detail.contains("self-check") else { continue }
            if let net = beyondSpeedStates(rows[i], calibrationChange: change) {
                rows[i].detail = String(format: "%+.1f%% once the speed calibrations' %+.1f%% is taken out, still beyond the threshold; ",
                                        100 * net, 100 * change) + rows[i].detail
                continue
            }
            let was = rows[i].verdict.rawValue
            rows[i].verdict = .inconclusive
            rows[i].detail = String(format: "would be %@, but the runs' speed calibrations differ by %+.1f%% (tolerance %.0f%%): another speed state, rerun; ",
                                    was, 100 * change, 100 * SpeedCalibration.compareTolerance) + rows[i].detail
        }
    }

    /// The change of a duration row net of the calibrations' change, when
    /// it is beyond the row's threshold in the direction of its verdict;
    /// nil otherwise (and for rates, which the calibration does not scale).
    static func beyondSpeedStates(_ row: RowComparison, calibrationChange: Double) -> Double? {
        guard Direction(unit: row.unit) == .lowerIsBetter, let rc = row.relativeChange,
              let threshold = row.thresholdPercent, calibrationChange > -1 else { return nil }
        let net = (1 + rc) / (1 + calibrationChange) - 1
        guard abs(net) * 100 > threshold, (net > 0) == (rc > 0) else { return nil }
        return net
    }

    /// Median calibration per suite, ticks per 1,000 adds.
    static func calibrations(_ rows: [StoredRow]) -> [String: Double] {
        let values = Dictionary(grouping: rows.filter {
            $0.benchmark == SpeedCalibration.benchmark && $0.metric == SpeedCalibration.metric && $0.status == .ok
        }, by: \.suite).mapValues { $0.compactMap(\.value).filter { $0.isFinite && $0 > 0 } }
        return values.compactMapValues { VerdictRules.median($0) }
    }
}
