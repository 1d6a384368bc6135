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

        let (listed, info, missing) = ReportText.sections(r)
        if !listed.isEmpty {
            md += table(listed, r.options)
        } else {
            md += "No gated row changed.\n"
        }
        for s in r.suitesOnlyInBaseline { md += "\nSuite `\(s)` is only in the baseline." }
        for s in r.suitesOnlyInCurrent { md += "\nSuite `\(s)` is only in the current run." }
        if !r.suitesOnlyInBaseline.isEmpty || !r.suitesOnlyInCurrent.isEmpty { md += "\n" }
        if !missing.isEmpty {
            md += "\n<details><summary>\(missing.count) row(s) on one side only (not gated)</summary>\n\n"
            md += missing.map { "- \($0.verdict.rawValue): `\($0.name)`\n" }.joined() + "\n</details>\n"
        }
        if !info.isEmpty {
            md += "\n<details><summary>\(info.count) info row(s), reported, not gated</summary>\n\n"
            md += table(info, r.options) + "\n</details>\n"
        }
        return md
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
