import BenchCore
import Foundation

/// A markdown summary of a comparison for a pull-request comment: result
/// first, then counts, the rows that are not unchanged, warnings, and the
/// info rows folded away.
public enum MarkdownReport {
    public static func render(_ r: ComparisonReport) -> String {
        let status = r.exitStatus
        let icon = status == .ok ? "✅" : (status == .regression ? "❌" : "⚠️")
        var md = "## Benchmark comparison: \(icon) \(ReportText.result(r))\n\n"
        md += "- Baseline: `\(r.baselinePath)` (\(ReportText.runLine(r.baseline)))\n"
        md += "- Current: `\(r.currentPath)` (\(ReportText.runLine(r.current)))\n"
        md += "- Host: `\(r.current.hostFingerprint)`\n"
        md += "- Rule: \(ReportText.rule(r.options))\n\n"
        if !r.warnings.isEmpty {
            md += r.warnings.map { "> **Warning:** \(escape($0))\n" }.joined(separator: ">\n") + "\n"
        }
        md += "| " + Verdict.allCases.map(\.rawValue).joined(separator: " | ") + " |\n"
        md += "|" + Verdict.allCases.map { _ in "---:" }.joined(separator: "|") + "|\n"
        md += "| " + Verdict.allCases.map { "\(r.counts[$0] ?? 0)" }.joined(separator: " | ") + " |\n\n"

        let sec = ReportText.sections(r)
        if !sec.gated.isEmpty {
            md += table(sec.gated, r.options)
        } else {
            md += "No gated row changed.\n"
        }
        for s in r.suitesNotRun { md += "\nSuite `\(s)` was not selected in the current run (not gated)." }
        for s in r.suitesOnlyInCurrent { md += "\nSuite `\(s)` is only in the current run." }
        if !r.suitesNotRun.isEmpty || !r.suitesOnlyInCurrent.isEmpty { md += "\n" }
        if !sec.hostDiffers.isEmpty {
            md += details("\(sec.hostDiffers.count) host-dependent row(s) on a different host, reported, not gated",
                          sec.hostDiffers, r.options)
        }
        if !sec.ungated.isEmpty {
            md += details("\(sec.ungated.count) timing row(s) changed or inconclusive, not gated (--only-exact)",
                          sec.ungated, r.options)
        }
        if !sec.oneSided.isEmpty {
            md += "\n<details><summary>\(sec.oneSided.count) row(s) on one side only (not gated)</summary>\n\n"
            md += sec.oneSided.prefix(maxRows).map { "- \($0.verdict.rawValue): `\($0.name)`\n" }.joined()
            if sec.oneSided.count > maxRows { md += "- ... \(sec.oneSided.count - maxRows) more\n" }
            md += "\n</details>\n"
        }
        if !sec.info.isEmpty {
            md += details("\(sec.info.count) info row(s), reported, not gated (largest changes first)", sec.info, r.options)
        }
        return md
    }

    /// Folded sections list at most this many rows, so the summary fits a
    /// pull-request comment (GitHub's limit is 65,536 characters).
    public static var maxRows = 60

    static func details(_ summary: String, _ rows: [RowComparison], _ o: CompareOptions) -> String {
        var md = "\n<details><summary>\(summary)</summary>\n\n" + table(Array(rows.prefix(maxRows)), o)
        if rows.count > maxRows { md += "\n... \(rows.count - maxRows) more rows: run `benchmark compare --all`\n" }
        return md + "\n</details>\n"
    }

    static func table(_ rows: [RowComparison], _ o: CompareOptions) -> String {
        var md = "| verdict | row | baseline | current | change | p | reps | detail |\n"
        md += "|---|---|---:|---:|---:|---:|---:|---|\n"
        for c in rows {
            md += "| " + ReportText.cells(c, o).enumerated().map { i, cell in
                i == 1 ? "`\(cell)`" : escape(cell)
            }.joined(separator: " | ") + " |\n"
        }
        return md
    }

    /// Escapes characters that break a table cell or start markup.
    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: "<", with: "&lt;")
    }
}
