import BenchCore
import Foundation

/// The outcome for one row (suite x benchmark x params x metric).
public enum Verdict: String, Sendable, CaseIterable {
    /// Timing: worse by more than the threshold and significant.
    /// Exact: the figure or its status differs.
    case regressed
    /// Timing: better by more than the threshold and significant.
    case improved
    /// Timing: within the threshold (significant or not).  Exact: equal.
    case unchanged
    /// Timing: beyond the threshold but not significant, or too few
    /// repetitions to test: collect more runs.
    case inconclusive
    /// An `info` row: shown, never gated.
    case info
    /// The row depends on the host (`depends` cpu, kernel or machine) and
    /// what it depends on differs between the runs: shown with the reason,
    /// not gated.
    case hostDiffers = "host differs"
    /// An exact or timing row of the baseline that the current run lacks
    /// although it ran the suite on a comparable host: gated, fails.
    case missing
    /// The current run did not select the row's suite: shown, not gated.
    case notRun = "not run"
    /// An info row present on one side only, or a new row in the current run.
    case onlyInBaseline = "only in baseline"
    case onlyInCurrent = "only in current"
}

/// One matched (or unmatched) row and its verdict.
public struct RowComparison: Sendable {
    public var key: String
    /// `suite/benchmark/params/metric`.
    public var name: String
    public var suite: String
    public var benchmark: String
    public var metric: String
    public var gate: GateClass
    public var unit: String
    public var verdict: Verdict
    /// Whether the verdict counts towards the exit status.
    public var gated: Bool
    /// Values of the ok repetitions (repetition medians for timing rows), in `unit`.
    public var baselineValues: [Double]
    public var currentValues: [Double]
    /// Median of `baselineValues` / `currentValues`; nil when empty.
    public var baselineMedian: Double?
    public var currentMedian: Double?
    /// (current - baseline) / |baseline| of the medians; nil when not computable.
    public var relativeChange: Double?
    /// Two-sided p-value of the test (the smaller of Mann-Whitney U and,
    /// when asked, Kolmogorov-Smirnov); nil when not tested.
    public var pValue: Double?
    /// Practical threshold applied, in percent (timing rows).
    public var thresholdPercent: Double?
    /// Why: "p 0.0079 < 0.05, +10.2% > 5%", "status ok -> error", ...
    public var detail: String
}

/// Decides verdicts for matched rows.
enum VerdictRules {
    static func median(_ v: [Double]) -> Double? {
        v.isEmpty ? nil : Summary.quantile(v.sorted(), 0.5)
    }

    /// Below this, a difference is floating-point noise of a computed
    /// figure, not a change: `absolute` in the row's unit, or `relative`
    /// to the larger magnitude (a model's 1.87e-13 % is 0 %).
    static let resolution = (absolute: 1e-12, relative: 1e-9)

    /// Whether `v` is zero at the resolution of a comparison with `other`.
    static func isZero(_ v: Double, against other: Double) -> Bool {
        abs(v) <= max(resolution.absolute, resolution.relative * abs(other))
    }

    /// (cur - base) / |base|: 0 when the two are equal at the resolution,
    /// nil when the baseline is zero at it (a change from nothing has no
    /// relative size; the reports say "from 0").
    static func relativeChange(_ base: Double?, _ cur: Double?) -> Double? {
        guard let base, let cur else { return nil }
        if base == cur || isZero(cur - base, against: max(abs(base), abs(cur))) { return 0 }
        guard !isZero(base, against: cur) else { return nil }
        return (cur - base) / abs(base)
    }

    /// How much a row moved, for ordering reports: |cur - base| over the
    /// larger magnitude, 0...2, so a move from zero (1) ranks with a
    /// doubling, not above every real change; nil without both medians.
    static func changeSize(_ c: RowComparison) -> Double? {
        guard let b = c.baselineMedian, let m = c.currentMedian, b.isFinite, m.isFinite else { return nil }
        let scale = max(abs(b), abs(m))
        if relativeChange(b, m) == 0 || scale == 0 { return 0 }
        return abs(m - b) / scale
    }

    static func statusText(_ rows: [StoredRow]) -> String {
        let statuses = Set(rows.map(\.status.rawValue)).sorted()
        return statuses.joined(separator: "+")
    }

    /// Compares one key's rows from both sides.  Preconditions: both
    /// arrays non-empty and of one key.
    static func compare(baseline: [StoredRow], current: [StoredRow], options: CompareOptions,
                        hostDifference: (HostDependency) -> String? = { _ in nil }) -> RowComparison {
        let first = current.first!
        // The baseline's gate class rules: the baseline is the contract.
        let gate = baseline.first!.gate
        // Statistics use finite values only; exact rows compare all values.
        let bValues = baseline.filter { $0.status == .ok }.compactMap(\.value).filter(\.isFinite)
        let cValues = current.filter { $0.status == .ok }.compactMap(\.value).filter(\.isFinite)
        var result = RowComparison(
            key: first.key, name: first.displayName, suite: first.suite, benchmark: first.benchmark,
            metric: first.metric, gate: gate,
            unit: baseline.first!.unit, verdict: .unchanged, gated: false,
            baselineValues: bValues, currentValues: cValues,
            baselineMedian: median(bValues), currentMedian: median(cValues),
            relativeChange: relativeChange(median(bValues), median(cValues)),
            pValue: nil, thresholdPercent: nil, detail: "")
        var notes: [String] = []
        if gate != first.gate { notes.append("gate class changed: \(gate.rawValue) -> \(first.gate.rawValue)") }
        let depends = baseline.first!.depends
        if depends != first.depends { notes.append("depends changed: \(depends.rawValue) -> \(first.depends.rawValue)") }

        // A self-check is gated on its status whatever its value's gate:
        // one that fails now (newly or again) is a regression on any host.
        let check = isCheck(baseline) || isCheck(current)
        if current.contains(where: { $0.status == .failed }) {
            result.gated = true
            result.verdict = .regressed
            notes.append(baseline.contains(where: { $0.status == .failed })
                ? "self-check still fails (it failed in the baseline too): \(first.note)"
                : "self-check failed: \(first.note)")
            result.detail = notes.joined(separator: "; ")
            return result
        }
        if (gate != .info || check), let why = hostDifference(depends) {
            result.verdict = .hostDiffers
            result.gated = false
            notes.append("depends on \(depends.rawValue): \(why)")
            if gate == .exact && statusText(baseline) != statusText(current) {
                notes.append("status \(statusText(baseline)) -> \(statusText(current))")
            }
            result.detail = notes.joined(separator: "; ")
            return result
        }

        if check, let v = checkStatusVerdict(baseline, current, notes: &notes) {
            result.gated = true
            result.verdict = v
            result.detail = notes.joined(separator: "; ")
            return result
        }

        switch gate {
        case _ where baseline.first!.unit != first.unit:
            // Figures in different units cannot be compared.
            result.gated = gate != .info
            result.verdict = gate == .info ? .info : .regressed
            result.relativeChange = nil
            notes.append("unit changed: \(baseline.first!.unit) -> \(first.unit)")
        case .info:
            result.verdict = .info
            result.gated = false
        case .exact:
            result.gated = true
            result.verdict = exactVerdict(baseline, current, options: options, notes: &notes)
        case .timing:
            result.gated = !options.onlyExact
            timingVerdict(&result, baseline, current, options: options, notes: &notes)
        }
        result.detail = notes.joined(separator: "; ")
        return result
    }

    /// Whether `rows` are a self-check's: a `failed` or `disturbed` status,
    /// or the note `ResultRow.check` writes.
    static func isCheck(_ rows: [StoredRow]) -> Bool {
        rows.contains { $0.status == .failed || $0.status == .disturbed || TimedCheck.isCheckNote($0.note) }
    }

    /// A check's verdict from its statuses alone (no `failed` in the
    /// current run; that is decided before), or nil when every repetition
    /// on both sides is `ok` and the value's gate decides.  A check that
    /// errors, is skipped or disturbed now where it passed before is not
    /// silently info: an error or skip regresses, a disturbed one is
    /// inconclusive (the machine moved under it), one that failed in the
    /// baseline and passes now improved.
    static func checkStatusVerdict(_ baseline: [StoredRow], _ current: [StoredRow], notes: inout [String]) -> Verdict? {
        let bStatus = statusText(baseline), cStatus = statusText(current)
        if bStatus == "ok" && cStatus == "ok" { return nil }
        notes.append("check status \(bStatus) -> \(cStatus)")
        if current.contains(where: { $0.status == .error || $0.status == .skipped }) && bStatus != cStatus {
            return .regressed
        }
        if current.contains(where: { $0.status == .disturbed }) {
            notes.append("the machine's speed moved under the check in the current run; rerun")
            return .inconclusive
        }
        if baseline.contains(where: { $0.status != .ok }) && cStatus == "ok" { return .improved }
        return bStatus == cStatus ? .unchanged : .regressed
    }

    /// Exact rows: every repetition on both sides must have the same status
    /// and value (within `exactRelativeTolerance`).
    static func exactVerdict(_ baseline: [StoredRow], _ current: [StoredRow], options: CompareOptions,
                             notes: inout [String]) -> Verdict {
        let bStatus = statusText(baseline), cStatus = statusText(current)
        if bStatus != cStatus {
            notes.append("status \(bStatus) -> \(cStatus)")
            return .regressed
        }
        let all = (baseline + current).compactMap(\.value)
        guard let reference = all.first else { return .unchanged }
        if all.contains(where: { !same($0, reference, options.exactRelativeTolerance) }) {
            func distinct(_ rows: [StoredRow]) -> String {
                var seen: [String] = []
                for v in rows.compactMap(\.value).sorted(by: { $0 < $1 || ($1.isNaN && !$0.isNaN) }) {
                    let t = Format.number(v)
                    if !seen.contains(t) { seen.append(t) }
                }
                return seen.joined(separator: ", ")
            }
            let b = distinct(baseline), c = distinct(current)
            notes.append(b == c ? "values differ between repetitions: \(b)" : "exact figure changed: \(b) -> \(c)")
            return .regressed
        }
        return .unchanged
    }

    /// Equal within `relativeTolerance` (of max(1, |a|)); NaN equals NaN and
    /// an infinity equals itself, as the written text does.
    static func same(_ a: Double, _ b: Double, _ relativeTolerance: Double) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        if a.isInfinite || b.isInfinite { return a == b }
        return abs(a - b) <= relativeTolerance * max(1, abs(a))
    }

    /// Timing rows: significance over repetition medians plus the practical threshold.
    static func timingVerdict(_ r: inout RowComparison, _ baseline: [StoredRow], _ current: [StoredRow],
                              options: CompareOptions, notes: inout [String]) {
        let threshold = options.threshold(for: baseline.first!)
        r.thresholdPercent = threshold
        let b = r.baselineValues, c = r.currentValues
        let badB = baseline.count - b.count, badC = current.count - c.count
        if badB > 0 || badC > 0 {
            notes.append("not ok or not finite: \(badB) of \(baseline.count) baseline, \(badC) of \(current.count) current repetitions")
        }
        guard !b.isEmpty, !c.isEmpty else {
            let bStatus = statusText(baseline), cStatus = statusText(current)
            if b.isEmpty && c.isEmpty {
                if bStatus != cStatus { notes.append("status \(bStatus) -> \(cStatus)") }
                r.verdict = bStatus == cStatus ? .unchanged : .regressed
            } else {
                notes.append("status \(bStatus) -> \(cStatus)")
                r.verdict = c.isEmpty ? .regressed : .improved
            }
            return
        }
        guard let change = r.relativeChange else {
            notes.append("baseline median is 0; relative change undefined")
            r.verdict = .inconclusive
            return
        }
        var p: Double? = nil
        if b.count >= 2 && c.count >= 2 {
            var pv = RankTests.mannWhitneyU(b, c).p
            if options.kolmogorovSmirnov { pv = min(pv, RankTests.kolmogorovSmirnov(b, c).p) }
            p = pv
        }
        r.pValue = p
        let percent = change * 100
        let beyond = abs(percent) > threshold
        let significant = p.map { $0 < options.alpha } ?? false
        let pText = p.map { "p \(Format.p($0)) \($0 < options.alpha ? "<" : ">=") \(Format.number(options.alpha))" }
            ?? "untested (\(b.count) vs \(c.count) repetitions; 2 or more each needed)"
        let changeText = "\(Format.percent(change)) \(beyond ? ">" : "<=") \(Format.number(threshold))%"
        if !beyond {
            r.verdict = .unchanged
        } else if significant {
            let worse = (Direction(unit: r.unit) == .lowerIsBetter) == (change > 0)
            r.verdict = worse ? .regressed : .improved
        } else {
            r.verdict = .inconclusive
        }
        if r.verdict != .unchanged || significant {
            notes.insert("\(changeText), \(pText)", at: 0)
        }
    }
}
