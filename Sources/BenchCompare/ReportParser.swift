import BenchCore
import CSV
import Foundation

/// Parses and validates one `<suite>.csv` written by `CSVReporter`.
///
/// CSV.swift's reader is lenient (it never reports a malformed record), so
/// the checks that catch damage are made here: the file must end with a
/// line break (every record the reporter writes does), every record must
/// have as many fields as the header, and every typed field must parse.
enum ReportParser {
    /// Returns the rows of `text`.  `path` names the file in error messages.
    /// Throws `BenchError.baseline` with one line on any defect.
    static func parse(_ text: String, path: String) throws -> [StoredRow] {
        func corrupt(_ why: String) -> BenchError { .baseline("\(path): \(why)") }
        guard !text.isEmpty else { throw corrupt("empty file (truncated?)") }
        guard text.utf8.last == UInt8(ascii: "\n") else { throw corrupt("does not end with a line break (truncated)") }
        let reader: CSVReader
        do {
            reader = try CSVReader(string: text, hasHeaderRow: true)
        } catch {
            throw corrupt("no header row (corrupt)")
        }
        guard let header = reader.headerRow else { throw corrupt("no header row (corrupt)") }
        guard header.contains("schema_version") else {
            throw corrupt("not a benchmark report (no schema_version column)")
        }
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[name] == nil { index[name] = i }

        var rows: [StoredRow] = []
        var seen = Set<String>()
        var record = 1
        while let fields = reader.next() {
            record += 1
            guard fields.count == header.count else {
                throw corrupt("record \(record) has \(fields.count) fields, the header \(header.count) (truncated or corrupt)")
            }
            func field(_ name: String) -> String { fields[index[name]!] }
            // The schema version is checked before the columns: a future
            // version may have renamed them.
            let version = field("schema_version")
            guard version == "\(ReportSchema.version)" else {
                if Int(version) != nil {
                    throw corrupt("unknown schema version \(version) (this tool reads \(ReportSchema.version))")
                }
                throw corrupt("record \(record): schema_version '\(version)' is not a number (corrupt)")
            }
            if let missing = ReportSchema.requiredColumns.first(where: { index[$0] == nil }) {
                throw corrupt("no '\(missing)' column (not a schema \(ReportSchema.version) report)")
            }
            guard let repetition = Int(field("repetition")), repetition >= 1 else {
                throw corrupt("record \(record): repetition '\(field("repetition"))' is not a positive integer")
            }
            guard let source = FigureSource(rawValue: field("source")) else {
                throw corrupt("record \(record): unknown source '\(field("source"))'")
            }
            guard let gate = GateClass(rawValue: field("gate")) else {
                throw corrupt("record \(record): unknown gate '\(field("gate"))'")
            }
            guard let status = RowStatus(rawValue: field("status")) else {
                throw corrupt("record \(record): unknown status '\(field("status"))'")
            }
            guard let depends = HostDependency(rawValue: field("depends")) else {
                throw corrupt("record \(record): unknown depends '\(field("depends"))'")
            }
            let valueText = field("value")
            var value: Double? = nil
            if !valueText.isEmpty {
                // "nan" and "inf" are what the writer prints for such doubles: kept.
                guard let v = Double(valueText) else {
                    throw corrupt("record \(record): value '\(valueText)' is not a number")
                }
                value = v
            } else if status == .ok || status == .failed || status == .disturbed {
                throw corrupt("record \(record): status \(status.rawValue) but no value (truncated or corrupt)")
            }
            let row = StoredRow(suite: field("suite"), benchmark: field("benchmark"), params: field("params"),
                                metric: field("metric"), repetition: repetition, source: source, gate: gate,
                                depends: depends, status: status, value: value, unit: field("unit"),
                                note: index["note"].map { fields[$0] } ?? "")
            guard !row.suite.isEmpty, !row.benchmark.isEmpty, !row.metric.isEmpty else {
                throw corrupt("record \(record): empty suite, benchmark or metric")
            }
            guard seen.insert("\(row.key)#\(repetition)").inserted else {
                throw corrupt("record \(record): \(row.displayName) repetition \(repetition) appears twice")
            }
            rows.append(row)
        }
        guard !rows.isEmpty else { throw corrupt("has a header but no rows (truncated?)") }
        return rows
    }
}
