import Foundation

/// One attempt of a self-check on a timed figure: the figure, and the
/// machine's speed calibration (ticks per 1,000 dependent adds,
/// `SpeedCalibration`) just before and just after it; nil where every
/// calibration sample migrated.
public struct TimedCheckAttempt: Sendable, Equatable {
    public var value: Double
    public var calibrationBefore: Double?
    public var calibrationAfter: Double?
    /// The expectation and tolerance of this attempt, for a check whose
    /// reference is measured in the same attempt (e.g. the same work timed
    /// alone); nil: the check's fixed ones.
    public var expected: Double?
    public var tolerance: Double?

    public init(value: Double, calibrationBefore: Double?, calibrationAfter: Double?,
                expected: Double? = nil, tolerance: Double? = nil) {
        self.value = value; self.calibrationBefore = calibrationBefore; self.calibrationAfter = calibrationAfter
        self.expected = expected; self.tolerance = tolerance
    }
}

/// One measured figure of a timed check and what it is checked against.
public struct TimedCheckMeasure: Sendable {
    public var value: Double
    public var expected: Double
    public var tolerance: Double
    public init(value: Double, expected: Double, tolerance: Double) {
        self.value = value; self.expected = expected; self.tolerance = tolerance
    }
}

/// What a timed self-check decided.
public enum TimedCheckVerdict: String, Sendable, Equatable {
    /// An attempt lay within the tolerance.
    case passed
    /// Every attempt lay outside, on a machine whose speed held still: the
    /// deviation persists, the check fails (`RowStatus.failed`, exit 7).
    case failed
    /// Every attempt lay outside, the speed calibration moved beyond
    /// `SpeedCalibration.driftTolerance` across them, and that move is large
    /// enough to explain an attempt's deviation: the machine changed under
    /// the check, which proves nothing (`RowStatus.disturbed`).
    case disturbed
}

/// Self-checks on timed figures decide on repeated evidence.
///
/// A single excursion on a shared machine is not a fault: a check outside
/// its tolerance is measured again, up to `maxAttempts` times, each attempt
/// bracketed by the speed calibration.  It passes at the first attempt
/// within the tolerance; it fails only when every attempt is outside and
/// the calibration held; when the calibration moved, the verdict is
/// `disturbed`.  A real fault (a slowdown, a wrong estimator) is outside on
/// every attempt, so it still fails.  Checks of exact figures (sizes,
/// counts) never use this: they are strict (`ResultRow.check`).
public enum TimedCheck {
    /// Attempts before a persistent deviation fails.
    public static let maxAttempts = 3

    /// `value` within `tolerance` of `expected` (absolute), as `ResultRow.check` decides.
    public static func within(_ value: Double, expected: Double, tolerance: Double) -> Bool {
        value.isFinite && expected.isFinite && abs(value - expected) <= tolerance
    }

    /// Largest relative spread of the calibrations around the attempts,
    /// `max / min - 1`; nil with fewer than two calibrations.
    public static func calibrationDrift(_ attempts: [TimedCheckAttempt]) -> Double? {
        let c = attempts.flatMap { [$0.calibrationBefore, $0.calibrationAfter] }.compactMap { $0 }.filter { $0 > 0 }
        guard c.count >= 2, let lo = c.min(), let hi = c.max() else { return nil }
        return hi / lo - 1
    }

    /// The verdict on the attempts so far, or nil when another attempt is
    /// due (the last one was outside and fewer than `maxAttempts` were made).
    /// Precondition: `attempts` non-empty.
    public static func verdict(_ attempts: [TimedCheckAttempt], expected: Double, tolerance: Double,
                               maxAttempts: Int = maxAttempts) -> TimedCheckVerdict? {
        precondition(!attempts.isEmpty)
        let last = attempts.last!
        if within(last.value, expected: last.expected ?? expected, tolerance: last.tolerance ?? tolerance) { return .passed }
        guard attempts.count >= maxAttempts else { return nil }
        let drift = calibrationDrift(attempts) ?? 0
        guard drift > SpeedCalibration.driftTolerance else { return .failed }
        // A speed change of `drift` scales a timed figure by at most that
        // much: a deviation it cannot reach in any attempt is a fault all the
        // same (a 50 % fault under a 5 % speed change still fails).
        let explained = attempts.contains { a in
            let e = a.expected ?? expected, t = a.tolerance ?? tolerance
            return a.value.isFinite && e.isFinite && abs(a.value - e) <= t + drift * max(abs(a.value), abs(e))
        }
        return explained ? .disturbed : .failed
    }

    /// Runs `attempt` (its argument: the 0-based attempt number) until the
    /// verdict is decided, calling `calibrate` (ticks per 1,000 adds, e.g.
    /// `SpeedCalibration.median`) before the first and after every attempt.
    /// Returns every attempt, the verdict and the payload of the last
    /// attempt (the one that decided).
    public static func run<Payload>(calibrate: () -> Double?, expected: Double, tolerance: Double,
                                    maxAttempts: Int = maxAttempts,
                                    _ attempt: (Int) throws -> (value: Double, payload: Payload)) rethrows
        -> (attempts: [TimedCheckAttempt], verdict: TimedCheckVerdict, payload: Payload) {
        let decided = try runTogether(checks: 1, calibrate: calibrate, maxAttempts: maxAttempts) { i in
            let made = try attempt(i)
            return ([TimedCheckMeasure(value: made.value, expected: expected, tolerance: tolerance)], made.payload)
        }[0]
        // A fixed expectation is the check's, not each attempt's.
        let attempts = decided.attempts.map { a -> TimedCheckAttempt in
            var a = a; a.expected = nil; a.tolerance = nil; return a
        }
        return (attempts, decided.verdict, decided.payload)
    }

    /// Several checks decided by one measurement whose references are
    /// measured with it (each attempt returns every check's value,
    /// expectation and tolerance): the measurement is repeated while any
    /// check is undecided; a decided check keeps its attempts and the
    /// payload of the attempt that decided it.  Calls `calibrate` before the
    /// first and after every attempt.  Precondition: `checks` >= 1 and every
    /// attempt returns `checks` measures.
    public static func runTogether<Payload>(checks: Int, calibrate: () -> Double?, maxAttempts: Int = maxAttempts,
                                            _ attempt: (Int) throws -> (measures: [TimedCheckMeasure], payload: Payload)) rethrows
        -> [(attempts: [TimedCheckAttempt], verdict: TimedCheckVerdict, payload: Payload)] {
        precondition(checks >= 1)
        var before = calibrate()
        var attempts = Array(repeating: [TimedCheckAttempt](), count: checks)
        var decided = [(verdict: TimedCheckVerdict, payload: Payload)?](repeating: nil, count: checks)
        var n = 0
        while decided.contains(where: { $0 == nil }) {
            let made = try attempt(n)
            n += 1
            precondition(made.measures.count == checks)
            let after = calibrate()
            for (i, m) in made.measures.enumerated() where decided[i] == nil {
                attempts[i].append(TimedCheckAttempt(value: m.value, calibrationBefore: before, calibrationAfter: after,
                                                     expected: m.expected, tolerance: m.tolerance))
                if let v = verdict(attempts[i], expected: m.expected, tolerance: m.tolerance, maxAttempts: maxAttempts) {
                    decided[i] = (v, made.payload)
                }
            }
            before = after
        }
        return (0..<checks).map { (attempts[$0], decided[$0]!.verdict, decided[$0]!.payload) }
    }

    /// The row of a timed check: `ResultRow.check` of the last attempt's
    /// value, with the verdict as its status and every attempt (value and
    /// the calibrations around it) in its note.
    public static func row(_ suite: String, _ benchmark: String, _ params: Params = [:], metric: String,
                           attempts: [TimedCheckAttempt], verdict: TimedCheckVerdict, expected: Double,
                           tolerance: Double, unit: String, source: FigureSource, depends: HostDependency,
                           note: String, maxAttempts: Int = maxAttempts) -> ResultRow {
        precondition(!attempts.isEmpty)
        func number(_ v: Double?) -> String { v.map { String(format: "%.1f", $0) } ?? "none" }
        let list = attempts.map { a in
            String(format: "%.4g", a.value) + (a.expected.map { String(format: " against %.4g", $0) } ?? "")
                + " (calibration \(number(a.calibrationBefore)) -> \(number(a.calibrationAfter)))"
        }.joined(separator: ", ")
        let drift = calibrationDrift(attempts).map { String(format: "%.1f%%", 100 * $0) } ?? "unknown"
        let evidence = "timed check, \(attempts.count) of at most \(maxAttempts) attempts: \(list); "
            + "calibration spread \(drift) (tolerance \(String(format: "%.0f%%", 100 * SpeedCalibration.driftTolerance)))"
        var row = ResultRow.check(suite, benchmark, params, metric: metric, attempts.last!.value, expected: expected,
                                  tolerance: tolerance, unit: unit, source: source, depends: depends,
                                  note: note + "; " + evidence)
        switch verdict {
        case .passed: row.status = .ok
        case .failed: row.status = .failed
        case .disturbed:
            row.status = .disturbed
            row.note += " (DISTURBED: the machine's speed moved under the check; no verdict)"
        }
        return row
    }

    /// Whether a row's note is a self-check's (`ResultRow.check` writes
    /// "...; expected E ± T unit: within|OUTSIDE"): how `compare` knows a
    /// check row whatever its gate.
    public static func isCheckNote(_ note: String) -> Bool {
        note.contains("; expected ") && note.contains(" ± ")
            && (note.contains(": within") || note.contains(": OUTSIDE"))
    }
}
