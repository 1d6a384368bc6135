import Foundation

/// `<suite>.smaller-is-better.json` (with `--format smaller-is-better`):
/// github-action-benchmark's `customSmallerIsBetter` input, a JSON array of
/// `{name, value, unit, range, extra}`.
///
/// The same timings as `GoogleBenchmarkJSONReporter` puts in `benchmarks`
/// (ok, measured or proxy, a time unit), one entry per name: `value` is the
/// median over repetitions (the only repetition's figure with one) in ns;
/// `range` is "± stddev" over repetitions, or "± MAD" of the samples with
/// one repetition; `extra` states source, depends and repetitions.  Sizes,
/// model outputs and skipped rows are not timings and are left out: a
/// dashboard would draw them as times.
public struct SmallerIsBetterJSONReporter: Reporter {
    public init() {}
    public var format: String { "smaller-is-better" }

    public func write(_ report: SuiteReport, to dir: URL) throws -> [String] {
        let tscHz = report.environment.tscHz
        var order: [String] = []
        var byName: [String: [(row: ResultRow, ns: Double)]] = [:]
        for r in report.rows {
            guard let ns = GoogleBenchmarkJSONReporter.nanoseconds(r, tscHz: tscHz) else { continue }
            let n = GoogleBenchmarkJSONReporter.name(r)
            if byName[n] == nil { order.append(n) }
            byName[n, default: []].append((r, ns))
        }
        var entries: [[String: Any]] = []
        for n in order {
            guard let rows = byName[n], let first = rows.first, let v = first.row.value,
                  v != 0 || first.ns == 0, rows.allSatisfy({ $0.ns >= 0 }) else { continue }
            let scale = v == 0 ? 1 : first.ns / v
            let aggregates = report.aggregates[first.row.key] ?? []
            let median = aggregates.first { $0.name == "median" }.map { $0.value * scale } ?? first.ns
            let spread = aggregates.first { $0.name == "stddev" }.map { $0.value * scale }
                ?? (first.row.summary?.mad).map { $0 * scale }
            var e: [String: Any] = [
                "name": n, "value": median, "unit": "ns",
                "extra": "source=\(first.row.source.rawValue); depends=\(first.row.depends.rawValue); repetitions=\(rows.count)",
            ]
            if let spread, spread.isFinite { e["range"] = "± \(CSV.number(spread))" }
            entries.append(e)
        }
        let name = "\(report.suite).smaller-is-better.json"
        try AtomicFile.writeJSON(entries, to: dir.appendingPathComponent(name))
        return [name]
    }
}
