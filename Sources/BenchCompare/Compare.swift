import BenchCore
import Foundation

/// The comparison of two result folders: every row's verdict, the warnings,
/// and the exit status a CI job acts on.
public struct ComparisonReport: Sendable {
    public var baseline: RunInfo
    public var current: RunInfo
    public var baselinePath: String
    public var currentPath: String
    public var options: CompareOptions
    /// Sorted by suite, then name.
    public var rows: [RowComparison]
    /// Suites present on one side only (their rows are also in `rows`).
    public var suitesOnlyInBaseline: [String]
    public var suitesOnlyInCurrent: [String]
    public var warnings: [String]

    /// Baseline suites the current run did not select.
    public var suitesNotRun: [String] {
        suitesOnlyInBaseline.filter { suite in rows.contains { $0.suite == suite && $0.verdict == .notRun } }
    }

    /// Rows per verdict.
    public var counts: [Verdict: Int] {
        var c: [Verdict: Int] = [:]
        for r in rows { c[r.verdict, default: 0] += 1 }
        return c
    }

    /// Gated rows per verdict (what the exit status is decided on).
    public func gatedCount(_ v: Verdict) -> Int { rows.filter { $0.gated && $0.verdict == v }.count }

    /// 2 when a gated row regressed or is missing; else 3 when
    /// `failOnInconclusive` and a gated row is inconclusive; else 0.
    public var exitStatus: ExitStatus {
        if gatedCount(.regressed) + gatedCount(.missing) > 0 { return .regression }
        if options.failOnInconclusive && gatedCount(.inconclusive) > 0 { return .inconclusive }
        return .ok
    }
}

/// `benchmark compare`: reads two result folders and decides per row.
public enum Comparison {
    /// Reads both folders and compares them.  Throws `BenchError.baseline`
    /// (exit 4) for an unreadable or incompatible folder or a host mismatch
    /// without `allowHostMismatch`; `BenchError.badInput` for a missing
    /// current folder or bad options.
    public static func run(baseline: URL, current: URL, options: CompareOptions) throws -> ComparisonReport {
        try options.validate()
        let b = try ResultFolder.read(baseline, label: "baseline")
        let c = try ResultFolder.read(current, label: "current")
        return try compare(b, c, options: options)
    }

    /// Compares two folders already read.
    public static func compare(_ b: ResultFolder, _ c: ResultFolder, options: CompareOptions) throws -> ComparisonReport {
        var warnings: [String] = []
        if let bq = b.info.quick, let cq = c.info.quick, bq != cq {
            throw BenchError.baseline("baseline \(bq ? "is" : "is not") a --quick run and current \(cq ? "is" : "is not"): their rows differ in run length; compare runs made with the same options")
        }
        if b.info.hostFingerprint != c.info.hostFingerprint {
            let what = "host fingerprints differ: baseline '\(b.info.hostFingerprint)', current '\(c.info.hostFingerprint)'"
            if options.requireSameHost {
                throw BenchError.baseline("\(what) (--require-same-host)")
            }
            warnings.append(what + ": timing rows and rows that depend on the machine are reported, not gated")
        }
        for dependency in [HostDependency.cpu, .kernel] {  // cpu+kernel is one of these
            if let why = b.info.differs(from: c.info, on: dependency), !warnings.contains(where: { $0.hasPrefix(why) }) {
                warnings.append("\(why): rows that depend on it are reported, not gated")
            }
        }
        if !c.info.complete {
            let unfinished = c.info.suitesSelected.filter { c.info.suiteFiles[$0] == nil }
            warnings.append("current run is incomplete: \(unfinished.joined(separator: ", ")) did not finish")
        }
        if b.info.parameters != c.info.parameters {
            func text(_ p: [String: String]) -> String {
                p.isEmpty ? "defaults" : p.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            }
            warnings.append("suite parameters differ: baseline \(text(b.info.parameters)), current \(text(c.info.parameters))")
        }
        warnings += SpeedStates.warnings(baseline: b.rows, current: c.rows)
        if b.info.swiftVersion != c.info.swiftVersion {
            warnings.append("toolchains differ: baseline Swift \(b.info.swiftVersion ?? "?"), current Swift \(c.info.swiftVersion ?? "?")")
        }

        let bRows = Dictionary(grouping: b.rows, by: \.key)
        let cRows = Dictionary(grouping: c.rows, by: \.key)
        var out: [RowComparison] = []
        // Compiled once; ResultFolder.read has already refused a pattern that does not compile.
        let filter = c.info.filter.flatMap { try? BenchmarkFilter($0) }
        for key in Set(bRows.keys).union(cRows.keys) {
            switch (bRows[key], cRows[key]) {
            case let (bs?, cs?):
                out.append(VerdictRules.compare(baseline: bs, current: cs, options: options,
                                                hostDifference: { b.info.differs(from: c.info, on: $0) }))
            case let (bs?, nil):
                out.append(absent(bs, baseline: b.info, current: c.info, filter: filter))
            case let (nil, cs?):
                var row = oneSided(cs, .onlyInCurrent)
                if cs.contains(where: { $0.status == .failed }) {
                    // A new self-check that fails is a regression like any failing check.
                    row.verdict = .regressed
                    row.gated = true
                    row.detail = "new self-check failed: \(cs.first!.note)"
                }
                out.append(row)
            case (nil, nil):
                break
            }
        }
        out.sort { ($0.suite, $0.name) < ($1.suite, $1.name) }
        SpeedStates.qualify(&out, differing: SpeedStates.differing(baseline: b.rows, current: c.rows))

        let timing = out.filter { $0.gate == .timing && !$0.baselineValues.isEmpty && !$0.currentValues.isEmpty
            && $0.verdict != .hostDiffers }
        if let fewest = timing.map({ min($0.baselineValues.count, $0.currentValues.count) }).min(),
           fewest < options.recommendedRepetitions {
            let bReps = timing.map(\.baselineValues.count).min()!, cReps = timing.map(\.currentValues.count).min()!
            warnings.append("timing rows have as few as \(bReps) baseline and \(cReps) current repetitions; "
                + "\(options.recommendedRepetitions) or more each are recommended (run with --repetitions \(options.recommendedRepetitions)); "
                + "with fewer than 4 each no change can be significant at alpha 0.05")
        }
        for key in options.thresholdOverrides.keys.sorted() where !out.contains(where: { r in
            key == r.suite || key == "\(r.suite)/\(r.metric)" || key == "\(r.suite)/\(r.benchmark)/\(r.metric)"
        }) {
            // A threshold that names nothing would gate nothing: refused, not warned.
            let names = Set(out.flatMap { [$0.suite, "\($0.suite)/\($0.metric)", "\($0.suite)/\($0.benchmark)/\($0.metric)"] })
            throw BenchError.badInput("--threshold-for \(key): no suite, SUITE/METRIC or SUITE/BENCHMARK/METRIC of that name in either folder"
                + DidYouMean.hint(key, among: names.sorted()))
        }

        return ComparisonReport(
            baseline: b.info, current: c.info, baselinePath: b.url.path, currentPath: c.url.path,
            options: options, rows: out,
            suitesOnlyInBaseline: Set(b.suites).subtracting(c.suites).sorted(),  // not run or unfinished
            suitesOnlyInCurrent: Set(c.suites).subtracting(b.suites).sorted(),
            warnings: warnings)
    }

    /// A baseline row the current run lacks.  Missing is a failure unless
    /// the current run did not select the suite, the row is info, or what
    /// the row depends on differs (another CPU has other rows).
    static func absent(_ rows: [StoredRow], baseline: RunInfo, current: RunInfo,
                       filter: BenchmarkFilter?) -> RowComparison {
        let r = rows.first!
        var out = oneSided(rows, .onlyInBaseline)
        if !current.suitesSelected.contains(r.suite) {
            out.verdict = .notRun
            out.detail = "suite \(r.suite) was not selected in the current run"
        } else if let f = filter, !f.keeps(suite: r.suite, benchmark: r.benchmark, params: r.params, metric: r.metric) {
            out.verdict = .notRun
            out.detail = "not selected by the current run's --filter \(f.pattern)"
        } else if r.gate == .info && !VerdictRules.isCheck(rows) {
            out.detail = "info row"
        } else if let why = baseline.differs(from: current, on: r.depends) {
            out.verdict = .hostDiffers
            out.detail = "depends on \(r.depends.rawValue): \(why)"
        } else {
            out.verdict = .missing
            out.gated = true
            out.detail = current.suiteFiles[r.suite] == nil
                ? "suite \(r.suite) did not finish in the current run"
                : "the current run of suite \(r.suite) has no such row"
            if r.gate == .info { out.detail += " (a self-check: gated on its presence whatever its value's gate)" }
        }
        return out
    }

    static func oneSided(_ rows: [StoredRow], _ verdict: Verdict) -> RowComparison {
        let r = rows.first!
        let values = rows.filter { $0.status == .ok }.compactMap(\.value).filter(\.isFinite)
        return RowComparison(
            key: r.key, name: r.displayName, suite: r.suite, benchmark: r.benchmark, metric: r.metric,
            gate: r.gate, unit: r.unit, verdict: verdict,
            gated: false,
            baselineValues: verdict == .onlyInBaseline ? values : [],
            currentValues: verdict == .onlyInCurrent ? values : [],
            baselineMedian: verdict == .onlyInBaseline ? VerdictRules.median(values) : nil,
            currentMedian: verdict == .onlyInCurrent ? VerdictRules.median(values) : nil,
            relativeChange: nil, pValue: nil, thresholdPercent: nil, detail: "")
    }
}
