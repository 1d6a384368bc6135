import BenchCore
import Foundation

/// The stdout report of `benchmark compare`: what was compared, warnings,
/// verdict counts, every row that is not `unchanged` (every row with
/// `all`), the info rows, and the result line.
public enum TextReport {
    /// `all`: list unchanged rows too (in the first table).
    public static func render(_ r: ComparisonReport, all: Bool = false) -> String {
        var out = ""
        out += "baseline: \(r.baselinePath) (\(ReportText.runLine(r.baseline)))\n"
        out += "current:  \(r.currentPath) (\(ReportText.runLine(r.current)))\n"
        out += "host:     \(r.current.hostFingerprint)\n"
        out += "rule:     \(ReportText.rule(r.options))\n"
        for w in r.warnings { out += "warning: \(w)\n" }
        out += "\nverdicts: \(ReportText.counts(r))\n"

        let sec = ReportText.sections(r, includeUnchanged: all)
        if !sec.gated.isEmpty {
            out += "\n" + table(sec.gated, r.options)
        }
        if !sec.ungated.isEmpty {
            out += "\ntiming rows compared, not gated (--only-exact):\n" + table(sec.ungated, r.options)
        }
        for s in r.suitesNotRun { out += "suite \(s): not selected in the current run (not gated)\n" }
        for s in r.suitesOnlyInCurrent { out += "suite \(s): only in current\n" }
        if !sec.hostDiffers.isEmpty {
            if all {
                out += "\nhost-dependent rows on a different host (reported, not gated):\n" + table(sec.hostDiffers, r.options)
            } else {
                out += "\n\(sec.hostDiffers.count) host-dependent row(s) reported, not gated: what they depend on differs (listed with --all and in --markdown)\n"
            }
        }
        if !sec.oneSided.isEmpty {
            out += "\nrows on one side only (not gated):\n"
            for m in sec.oneSided { out += "  \(m.verdict.rawValue): \(m.name)\n" }
        }
        if !sec.info.isEmpty {
            if all {
                out += "\nreported, not gated (info):\n" + table(sec.info, r.options)
            } else {
                out += "\n\(sec.info.count) info row(s) reported, not gated: listed with --all and in --markdown\n"
            }
        }
        out += "\nresult: \(ReportText.result(r))\n"
        return out
    }

    static func table(_ rows: [RowComparison], _ o: CompareOptions) -> String {
        let header = ["verdict", "row", "baseline", "current", "change", "p", "reps", "detail"]
        let body = rows.map { ReportText.cells($0, o) }
        var widths = header.map(\.count)
        for line in body { for (i, c) in line.enumerated() where i < header.count - 1 { widths[i] = max(widths[i], c.count) } }
        func render(_ cells: [String]) -> String {
            "  " + cells.enumerated().map { i, c in
                i == cells.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingCharacters(in: .whitespaces) + "\n"
        }
        return render(header) + body.map(render).joined()
    }
}

/// Text pieces shared by the stdout and markdown reports.
enum ReportText {
    static func runLine(_ i: RunInfo) -> String {
        var parts = ["run \(i.runId)"]
        if let d = i.date { parts.append(d) }
        if let g = i.gitCommit { parts.append("git \(g)") }
        if let s = i.swiftVersion { parts.append("Swift \(s)") }
        if i.quick == true { parts.append("quick") }
        return parts.joined(separator: ", ")
    }

    static func rule(_ o: CompareOptions) -> String {
        let test = o.kolmogorovSmirnov ? "the smaller p of Mann-Whitney U and Kolmogorov-Smirnov" : "Mann-Whitney U"
        var overrides = ""
        if !o.thresholdOverrides.isEmpty {
            overrides = " (" + o.thresholdOverrides.sorted { $0.key < $1.key }
                .map { "\($0.key) \(Format.number($0.value))%" }.joined(separator: ", ") + ")"
        }
        let timing = o.onlyExact ? "timing rows are compared but not gated (--only-exact)"
            : "timing rows regress when the median of repetition medians moves by more than "
            + "\(Format.number(o.thresholdPercent))%\(overrides) the worse way and \(test) over the repetition medians gives p < \(Format.number(o.alpha))"
        return "exact rows must be equal; \(timing); info rows are not gated"
    }

    static func counts(_ r: ComparisonReport) -> String {
        let c = r.counts
        return Verdict.allCases.map { "\(c[$0] ?? 0) \($0.rawValue)" }.joined(separator: ", ")
    }

    /// Rows worth listing, by section.
    struct Sections {
        /// Gated rows that are not unchanged (all gated rows with `includeUnchanged`).
        var gated: [RowComparison]
        /// Timing rows not gated because of `onlyExact`, filtered the same way.
        var ungated: [RowComparison]
        /// Info rows, largest move first (`VerdictRules.changeSize`).
        var info: [RowComparison]
        /// Ungated rows on one side only, outside suites absent as a whole.
        var oneSided: [RowComparison]
        /// Host-dependent rows whose dependency differs between the runs.
        var hostDiffers: [RowComparison]
    }

    static func sections(_ r: ComparisonReport, includeUnchanged: Bool = false) -> Sections {
        let wholeSuites = Set(r.suitesOnlyInBaseline + r.suitesOnlyInCurrent)
        let shown = r.rows.filter {
            ![.info, .onlyInBaseline, .onlyInCurrent, .hostDiffers, .notRun].contains($0.verdict)
                && (includeUnchanged || $0.verdict != .unchanged)
        }
        // Largest move first, measured against the larger of the two
        // medians (0...2) with float noise as zero: a computed 1.87e-13 %
        // that became 0.526 % is a move from 0, not +2.8e14 %.  Rows
        // without both medians come last.
        let info = r.rows.filter { $0.verdict == .info }.enumerated().sorted { a, b in
            let x = VerdictRules.changeSize(a.element) ?? -1, y = VerdictRules.changeSize(b.element) ?? -1
            return x != y ? x > y : a.offset < b.offset
        }.map(\.element)
        let oneSided = r.rows.filter {
            ($0.verdict == .onlyInBaseline || $0.verdict == .onlyInCurrent) && !wholeSuites.contains($0.suite)
        }
        return Sections(gated: shown.filter(\.gated), ungated: shown.filter { !$0.gated }, info: info,
                        oneSided: oneSided, hostDiffers: r.rows.filter { $0.verdict == .hostDiffers })
    }

    /// verdict, row, baseline, current, change, p, reps, detail.
    static func cells(_ c: RowComparison, _ o: CompareOptions) -> [String] {
        let verdict = c.verdict.rawValue + (c.gated || c.verdict == .info ? "" : " (not gated)")
        return [verdict, c.name, Format.value(c.baselineMedian, unit: c.unit),
                Format.value(c.currentMedian, unit: c.unit),
                c.relativeChange.map(Format.percent) ?? (fromZero(c) ? "from 0" : "-"),
                c.pValue.map(Format.p) ?? "-",
                "\(c.baselineValues.count)v\(c.currentValues.count)", c.detail]
    }

    /// A row whose baseline median is zero at the comparison's resolution
    /// and whose current median is not: its change has no relative size.
    static func fromZero(_ c: RowComparison) -> Bool {
        guard let b = c.baselineMedian, let m = c.currentMedian else { return false }
        return VerdictRules.isZero(b, against: m) && !VerdictRules.isZero(m, against: b)
    }

    static func result(_ r: ComparisonReport) -> String {
        let status = r.exitStatus
        switch status {
        case .regression:
            let missing = r.gatedCount(.missing)
            return "FAIL: \(r.gatedCount(.regressed)) gated row(s) regressed"
                + (missing > 0 ? ", \(missing) missing from the current run" : "") + " (exit \(status.rawValue))"
        case .inconclusive:
            return "INCONCLUSIVE: \(r.gatedCount(.inconclusive)) gated row(s) need more repetitions (exit \(status.rawValue))"
        default:
            let inc = r.gatedCount(.inconclusive)
            return "PASS: no gated row regressed" + (inc > 0 ? "; \(inc) inconclusive (not failing without --fail-on-inconclusive)" : "")
                + " (exit \(status.rawValue))"
        }
    }
}
