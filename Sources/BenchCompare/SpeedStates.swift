import BenchCore

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

    /// Median calibration per suite, ticks per 1,000 adds.
    static func calibrations(_ rows: [StoredRow]) -> [String: Double] {
        let values = Dictionary(grouping: rows.filter {
            $0.benchmark == SpeedCalibration.benchmark && $0.metric == SpeedCalibration.metric && $0.status == .ok
        }, by: \.suite).mapValues { $0.compactMap(\.value).filter { $0.isFinite && $0 > 0 } }
        return values.compactMapValues { VerdictRules.median($0) }
    }
}
