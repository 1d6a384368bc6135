import BenchCompare
import BenchCore
import Foundation

/// A figure's values over runs on one host, for one kind of run.
public struct FigureSeries: Sendable {
    public struct Point: Sendable {
        public var run: StoredRun
        public var repetition: Int
        public var value: Double
    }

    public var host: String
    /// "quick" or "full".
    public var kind: String
    public var suite: String, benchmark: String, params: String, metric: String
    public var unit: String
    public var gate: GateClass
    public var source: FigureSource
    public var depends: HostDependency
    /// Oldest first: runs by date, then each run's repetitions.
    public var points: [Point]
    /// Runs in which the row's self-check failed (status `failed`), oldest first.
    public var failures: [StoredRun] = []
    /// The machine's speed state in each run (run key -> the suite's
    /// `_calibration` values, ticks per 1,000 dependent adds), where recorded.
    public var calibration: [String: [Double]] = [:]

    public var name: String { ([suite, benchmark] + (params.isEmpty ? [] : [params]) + [metric]).joined(separator: "/") }
    public var key: String { ReportSchema.key(suite: suite, benchmark: benchmark, params: params, metric: metric) }

    /// The runs in the series, oldest first, each with the median of its repetitions.
    public var perRun: [(run: StoredRun, median: Double, values: [Double])] {
        var out: [(run: StoredRun, median: Double, values: [Double])] = []
        for p in points {
            if let last = out.last, last.run.runKey == p.run.runKey {
                out[out.count - 1].values.append(p.value)
            } else {
                out.append((p.run, p.value, [p.value]))
            }
        }
        return out.map { r in
            let s = r.values.sorted()
            let m = s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
            return (r.run, m, r.values)
        }
    }
}

/// Builds series from the store and gates the newest run of each.
public enum History {
    /// Every figure with an ok value, one series per host, kind and row
    /// identity, in name order.  `filter` is searched for in the name
    /// suite/benchmark/params/metric (unanchored, as `run --filter`, but
    /// the runner's own `_timer`/`_calibration` rows are not kept unless it
    /// matches them); `host` is a substring of the fingerprint.
    public static func series(_ store: ResultStore, filter: NSRegularExpression? = nil, host: String? = nil) throws -> [FigureSeries] {
        let runs = Dictionary(uniqueKeysWithValues: try store.runs().map { ($0.runKey, $0) })
        var groups: [String: FigureSeries] = [:]
        let all = try store.allRows()
        var calibrations: [String: [Double]] = [:]
        for (runKey, r) in all where r.benchmark == calibrationBenchmark && r.status == .ok {
            if let v = r.value, v.isFinite { calibrations["\(runKey)|\(r.suite)", default: []].append(v) }
        }
        for (runKey, r) in all where r.status == .ok || r.status == .failed {
            guard let run = runs[runKey] else { continue }
            if let host, !run.hostFingerprint.contains(host) { continue }
            if let filter, filter.firstMatch(in: r.displayName, range: NSRange(r.displayName.startIndex..., in: r.displayName)) == nil { continue }
            let id = "\(run.hostFingerprint)\u{1}\(run.kind)\u{1}\(r.key)"
            if groups[id] == nil {
                groups[id] = FigureSeries(host: run.hostFingerprint, kind: run.kind, suite: r.suite, benchmark: r.benchmark,
                                          params: r.params, metric: r.metric, unit: r.unit, gate: r.gate, source: r.source,
                                          depends: r.depends, points: [])
            }
            if let c = calibrations["\(runKey)|\(r.suite)"], !c.isEmpty {
                groups[id]!.calibration[runKey] = c
            }
            if r.status == .failed {
                groups[id]!.failures.append(run)
            } else if let value = r.value, value.isFinite {
                groups[id]!.points.append(.init(run: run, repetition: r.repetition, value: value))
            }
        }
        return groups.values.map { s in
            var s = s
            s.points.sort { ($0.run.date, $0.run.runId, $0.run.runKey, $0.repetition) < ($1.run.date, $1.run.runId, $1.run.runKey, $1.repetition) }
            s.failures.sort { ($0.date, $0.runId, $0.runKey) < ($1.date, $1.runId, $1.runKey) }
            return s
        }.filter { !$0.points.isEmpty }.sorted { ($0.host, $0.kind, $0.key) < ($1.host, $1.kind, $1.key) }
    }

    /// The runner's speed-state rows (`SpeedCalibration`): a dependent-add
    /// chain timed at the start and end of every suite.
    static let calibrationBenchmark = "_calibration"

    /// What the gate found in one series.
    public struct Finding: Sendable {
        /// `disturbed`: the step is the machine's (its calibration moved as
        /// much), reported, not failed.
        public enum Kind: String, Sendable {
            case regression, improvement, disturbed, exactChanged = "exact changed", nowFailing = "now failing"
        }
        public var series: FigureSeries
        public var kind: Kind
        public var detail: String
        /// Gated findings fail the gate (exit 2); improvements and disturbed steps are reported.
        public var fails: Bool { kind != .improvement && kind != .disturbed }
    }

    public struct GateOptions: Sendable {
        public var changePoints = ChangePoints.Options(window: 50, maxPValue: 0.001, minMagnitude: 0.05)
        /// Runs at the end of a series that count as "new": a change point
        /// starting in them is reported.
        public var recentRuns = 1
        public init() {}
    }

    /// Gates the newest run(s) of every series: a timing series whose last
    /// change point (E-Divisive + t-test, `ChangePoints`) starts in the newest
    /// runs, in the worse direction, is a regression; an exact figure whose
    /// value or status changed from the run before (where the row's
    /// `depends` says the two runs are comparable) is one too, as is a
    /// status that went from ok to failed.
    public static func gate(_ all: [FigureSeries], _ options: GateOptions = GateOptions()) -> [Finding] {
        var findings: [Finding] = []
        for s in all {
            let runs = s.perRun
            // A self-check that passed before and fails in a newer run.
            if let failed = s.failures.last, let lastOk = runs.last?.run,
               (failed.date, failed.runId, failed.runKey) > (lastOk.date, lastOk.runId, lastOk.runKey) {
                findings.append(Finding(series: s, kind: .nowFailing,
                                        detail: "ok in run \(lastOk.runId), failed in run \(failed.runId) (commit \(failed.commitLabel))"))
                continue
            }
            guard runs.count >= 2 else { continue }
            switch s.gate {
            case .timing:
                let values = s.points.map(\.value)
                let firstNew = s.points.firstIndex { p in
                    runs.suffix(options.recentRuns).contains { $0.run.runKey == p.run.runKey } } ?? values.count
                guard let cp = ChangePoints.detect(values, options.changePoints).last, cp.index >= firstNew else { continue }
                let worse = Direction(unit: s.unit) == .lowerIsBetter ? cp.stats.meanAfter > cp.stats.meanBefore
                                                                    : cp.stats.meanAfter < cp.stats.meanBefore
                let run = s.points[cp.index].run
                var detail = String(format: "%@ -> %@ %@ (%+.1f %%, p=%.2g) from run %@ (commit %@)",
                                    StoreFormat.number(cp.stats.meanBefore), StoreFormat.number(cp.stats.meanAfter), s.unit,
                                    cp.stats.forwardChange * 100, cp.stats.pValue, run.runId, run.commitLabel)
                var kind: Finding.Kind = worse ? .regression : .improvement
                if let machine = machineShift(s, at: cp.index) {
                    // The machine changed state at the same point (its own
                    // calibration stepped, significantly, the same way) and
                    // the figure moved no more than the machine did: the
                    // machine's doing, reported as disturbed.  A calibration
                    // that only wanders explains nothing.
                    let net = (1 + cp.stats.forwardChange) / (1 + machine.change) - 1
                    detail += String(format: "; calibration %+.1f %% (p=%.2g), net %+.1f %%", machine.change * 100, machine.pValue, net * 100)
                    if machine.pValue < options.changePoints.maxPValue, abs(net) <= options.changePoints.minMagnitude,
                       (machine.change > 0) == (cp.stats.forwardChange > 0) {
                        kind = .disturbed
                    }
                }
                findings.append(Finding(series: s, kind: kind, detail: detail))
            case .exact:
                let (old, new) = (runs[runs.count - 2], runs[runs.count - 1])
                guard comparable(old.run, new.run, s.depends), old.values != new.values else { continue }
                findings.append(Finding(series: s, kind: .exactChanged,
                                        detail: "\(old.values.map(StoreFormat.number)) -> \(new.values.map(StoreFormat.number)) \(s.unit) (run \(old.run.runId) -> \(new.run.runId))"))
            case .info:
                continue
            }
        }
        return findings
    }

    /// How much slower (positive) the machine was after point `index` than
    /// before, from the runs' calibrations, with the t-test's p of that step;
    /// nil when the series is not a duration (ticks, ns, cycles) or a run
    /// lacks a calibration.
    static func machineShift(_ s: FigureSeries, at index: Int) -> (change: Double, pValue: Double)? {
        let unit = s.unit.lowercased()
        guard ["tick", "ticks", "ns", "cycle", "cycles"].contains(where: { unit == $0 || unit.hasPrefix($0 + "/") }) else { return nil }
        func values(_ points: ArraySlice<FigureSeries.Point>) -> [Double]? {
            var seen = Set<String>(), out: [Double] = []
            for p in points where seen.insert(p.run.runKey).inserted {
                guard let c = s.calibration[p.run.runKey] else { return nil }
                out += c
            }
            return out
        }
        guard let before = values(s.points[..<index]), let after = values(s.points[index...]),
              !before.isEmpty, !after.isEmpty else { return nil }
        let t = ChangePoints.TTest.compare(before[...], after[...])
        guard t.meanBefore > 0 else { return nil }
        return (t.meanAfter / t.meanBefore - 1, t.pValue.isNaN ? 1 : t.pValue)
    }

    /// Whether a row of `depends` is a function of the same things in both runs.
    static func comparable(_ a: StoredRun, _ b: StoredRun, _ depends: HostDependency) -> Bool {
        switch depends {
        case .none: return true
        case .cpu: return a.cpuIdentity == b.cpuIdentity
        case .kernel: return a.kernelIdentity == b.kernelIdentity
        case .cpuKernel: return a.cpuIdentity == b.cpuIdentity && a.kernelIdentity == b.kernelIdentity
        case .machine: return a.hostFingerprint == b.hostFingerprint
        }
    }
}

/// Numbers for people: integers without a fraction, others to 6 significant digits.
public enum StoreFormat {
    public static func number(_ v: Double) -> String {
        if v.isNaN || v.isInfinite { return "\(v)" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return String(format: "%.6g", v)
    }
}
