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
        for (runKey, r) in try store.allRows() where r.status == .ok || r.status == .failed {
            guard let run = runs[runKey] else { continue }
            if let host, !run.hostFingerprint.contains(host) { continue }
            if let filter, filter.firstMatch(in: r.displayName, range: NSRange(r.displayName.startIndex..., in: r.displayName)) == nil { continue }
            let id = "\(run.hostFingerprint)\u{1}\(run.kind)\u{1}\(r.key)"
            if groups[id] == nil {
                groups[id] = FigureSeries(host: run.hostFingerprint, kind: run.kind, suite: r.suite, benchmark: r.benchmark,
                                          params: r.params, metric: r.metric, unit: r.unit, gate: r.gate, source: r.source,
                                          depends: r.depends, points: [])
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

    /// What the gate found in one series.
    public struct Finding: Sendable {
        public enum Kind: String, Sendable { case regression, improvement, exactChanged = "exact changed", nowFailing = "now failing" }
        public var series: FigureSeries
        public var kind: Kind
        public var detail: String
        /// Gated findings fail the gate (exit 2); improvements are reported.
        public var fails: Bool { kind != .improvement }
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
                let detail = String(format: "%@ -> %@ %@ (%+.1f %%, p=%.2g) from run %@ (commit %@)",
                                    StoreFormat.number(cp.stats.meanBefore), StoreFormat.number(cp.stats.meanAfter), s.unit,
                                    cp.stats.forwardChange * 100, cp.stats.pValue, run.runId, run.commitLabel)
                findings.append(Finding(series: s, kind: worse ? .regression : .improvement, detail: detail))
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
