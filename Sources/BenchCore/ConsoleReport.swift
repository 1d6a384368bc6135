import Foundation

/// The human summary on stdout: the suite's highlights, then a table of the
/// last repetition's rows (long suites are cut; the CSV has everything).
public enum ConsoleReport {
    public static var maxRows = 40

    /// `order` is the suite's `consoleOrder`.
    public static func print(_ report: SuiteReport, highlights: [String], order: [String] = []) {
        let last = report.rows.map(\.repetition).max() ?? 1
        // Rows the runner adds (`_timer`, `_calibration`) are in the CSV only.
        let rows = ordered(report.rows.filter { $0.repetition == last && !$0.benchmark.hasPrefix("_") }, by: order)
        var out = "\n== \(report.suite) ==\n"
        for f in failedChecks(report.rows) + disturbedChecks(report.rows) { out += "  \(f)\n" }
        for h in highlights { out += "  \(h)\n" }
        if !rows.isEmpty {
            out += table(Array(rows.prefix(maxRows)))
            if rows.count > maxRows {
                out += "  ... \(rows.count - maxRows) more rows in \(report.suite).csv\n"
            }
        }
        StandardStreams.out(out)
    }

    /// `rows` sorted by the first entry of `order` each matches (a
    /// `benchmark/metric` or a benchmark name), unmatched last; stable.
    static func ordered(_ rows: [ResultRow], by order: [String]) -> [ResultRow] {
        guard !order.isEmpty else { return rows }
        func rank(_ r: ResultRow) -> Int {
            order.firstIndex { $0 == r.benchmark + "/" + r.metric || $0 == r.benchmark } ?? order.count
        }
        return rows.enumerated().map { (rank: rank($0.element), offset: $0.offset, row: $0.element) }
            .sorted { ($0.rank, $0.offset) < ($1.rank, $1.offset) }.map(\.row)
    }

    /// One "CHECK FAILED" line per failed self-check, every repetition.
    public static func failedChecks(_ rows: [ResultRow]) -> [String] {
        rows.filter { $0.status == .failed }.map { r in
            "CHECK FAILED: \(checkName(r)) (repetition \(r.repetition)) = \(r.value.map(format) ?? "none") \(r.unit): \(r.note)"
        }
    }

    /// One "CHECK DISTURBED" line per timed self-check the machine moved
    /// under (`TimedCheck`), every repetition.
    public static func disturbedChecks(_ rows: [ResultRow]) -> [String] {
        rows.filter { $0.status == .disturbed }.map { r in
            "CHECK DISTURBED: \(checkName(r)) (repetition \(r.repetition)) = \(r.value.map(format) ?? "none") \(r.unit): \(r.note)"
        }
    }

    /// `suite/benchmark/params/metric` of a check row, params left out when empty.
    public static func checkName(_ r: ResultRow) -> String {
        [r.suite, r.benchmark, r.params.description, r.metric].filter { !$0.isEmpty }.joined(separator: "/")
    }

    static func table(_ rows: [ResultRow]) -> String {
        let header = ["benchmark", "params", "metric", "value", "unit", "p5..p95", "source"]
        let body: [[String]] = rows.map { r in
            let value: String
            switch r.status {
            case .ok: value = r.value.map(format) ?? ""
            case .skipped: value = "skipped"
            case .error: value = "error"
            case .failed: value = "FAILED " + (r.value.map(format) ?? "")
            case .disturbed: value = "DISTURBED " + (r.value.map(format) ?? "")
            }
            let spread = r.summary.map { "\(format($0.p5))..\(format($0.p95))" } ?? (r.status == .ok ? "" : r.note)
            return [r.benchmark, r.params.description, r.metric, value, r.unit, spread, r.source.rawValue]
        }
        var widths = header.map(\.count)
        for line in body { for (i, c) in line.enumerated() { widths[i] = max(widths[i], min(c.count, 60)) } }
        func render(_ cells: [String]) -> String {
            "  " + cells.enumerated().map { i, c in
                let c = c.count > 60 ? String(c.prefix(57)) + "..." : c
                return c.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }
        return render(header) + body.map(render).joined()
    }

    /// Up to 4 significant digits, no exponent for ordinary magnitudes.
    public static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e12 { return String(Int64(v)) }
        let a = abs(v)
        if a >= 100 { return String(format: "%.1f", v) }
        if a >= 1 { return String(format: "%.2f", v) }
        return String(format: "%.3g", v)
    }
}
