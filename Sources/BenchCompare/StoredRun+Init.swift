import BenchCore
import Foundation

// What other readers rebuild from a results store (BenchStore): the same
// values `ResultFolder.read` produces from a folder.  Factories, because the
// memberwise initialisers are internal and cannot be redeclared public.

extension StoredRow {
    public static func make(suite: String, benchmark: String, params: String, metric: String, repetition: Int,
                            source: FigureSource, gate: GateClass, depends: HostDependency, status: RowStatus,
                            value: Double?, unit: String, note: String) -> StoredRow {
        StoredRow(suite: suite, benchmark: benchmark, params: params, metric: metric, repetition: repetition,
                  source: source, gate: gate, depends: depends, status: status, value: value, unit: unit, note: note)
    }
}

extension ResultFolder {
    /// A run read from elsewhere than a folder; `url` names where it came from.
    public static func make(url: URL, info: RunInfo, suites: [String], rows: [StoredRow]) -> ResultFolder {
        ResultFolder(url: url, info: info, suites: suites, rows: rows)
    }
}
