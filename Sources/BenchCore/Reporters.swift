import Foundation

/// Everything a reporter needs about one finished suite.
public struct SuiteReport: Sendable {
    public var suite: String
    /// Rows of every repetition, in order.
    public var rows: [ResultRow]
    public var environment: EnvironmentRecord
    /// Statistics over the repetitions of each row, by `ResultRow.key`.
    public var aggregates: [String: [RepetitionAggregate]]

    /// Aggregates the repetitions and converts every row's ticks with the
    /// environment's TSC frequency and ticks per core cycle: reporters
    /// only format what this holds.
    public init(suite: String, rows: [ResultRow], environment: EnvironmentRecord) {
        self.suite = suite; self.environment = environment
        self.rows = rows.map {
            $0.withTickConversions(tscHz: environment.tscHz, ticksPerCoreCycle: environment.ticksPerCoreCycle)
        }
        aggregates = RepetitionAggregate.over(rows)
    }
}

/// Writes one finished suite's files into the run folder.  Reporters are
/// independent of the runner and of the timing core: adding one touches
/// neither.  Every file must be written with `AtomicFile`.
public protocol Reporter {
    /// Format name used by `--format` ("csv", "json").
    var format: String { get }
    /// Writes the files; returns their names.
    func write(_ report: SuiteReport, to dir: URL) throws -> [String]
}

/// RFC 4180 field quoting: quote when the field has a comma, quote, CR or LF;
/// double inner quotes.
public enum CSV {
    public static func field(_ s: String) -> String {
        if s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) {
            return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return s
    }

    public static func line(_ fields: [String]) -> String {
        fields.map(field).joined(separator: ",") + "\r\n"
    }

    /// Shortest text that reads back as the same Double; empty for nil.
    public static func number(_ v: Double?) -> String {
        guard let v else { return "" }
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }
}

/// `<suite>.csv`: one row per suite x benchmark x parameters x metric x repetition.
public struct CSVReporter: Reporter {
    public init() {}
    public var format: String { "csv" }

    public func write(_ report: SuiteReport, to dir: URL) throws -> [String] {
        var out = CSV.line(ReportSchema.columns)
        let env = report.environment
        for r in report.rows {
            let s = r.summary
            let stats: [Double?] = [s?.min, s?.p5, s?.p25, s?.median, s?.p75, s?.p95, s?.p99, s?.max,
                                    s?.mean, s?.stddev, s?.mad, s?.ciLow, s?.ciHigh]
            out += CSV.line([
                "\(ReportSchema.version)", env.runId, r.suite, r.benchmark, r.params.description,
                r.metric, "\(r.repetition)", r.source.rawValue, r.gate.rawValue, r.depends.rawValue,
                r.status.rawValue,
                CSV.number(r.value), r.unit, s.map { "\($0.count)" } ?? "",
            ] + stats.map(CSV.number) + [
                s.map { "\($0.outliers)" } ?? "", r.migrationsDropped.map(String.init) ?? "",
                CSV.number(r.medianNanoseconds), CSV.number(r.medianCoreCyclesEst),
                r.note,
            ])
        }
        let name = "\(report.suite).csv"
        try AtomicFile.write(out, to: dir.appendingPathComponent(name))
        return [name]
    }
}

/// `<suite>.samples.csv.gz` (with `--samples`): every raw per-operation
/// sample, gzip-compressed CSV with one line per row and repetition:
///
///     run_id,suite,benchmark,params,metric,repetition,unit,count,samples
///
/// `samples` holds `count` numbers in `unit`, separated by single spaces, in
/// the order they were taken (shortest text that reads back as the same
/// double).  One line per row instead of one per sample keeps
/// `benchmark all --repetitions 5 --samples` well under 50 MB.  Readers:
/// `tools/results.py` (`load_samples`), or `zcat` and any CSV reader.
public struct SamplesReporter: Reporter {
    public init() {}
    public var format: String { "samples" }
    public static let columns = ["run_id", "suite", "benchmark", "params", "metric", "repetition",
                                 "unit", "count", "samples"]

    public func write(_ report: SuiteReport, to dir: URL) throws -> [String] {
        var out = CSV.line(Self.columns)
        for r in report.rows where !r.samples.isEmpty {
            out += CSV.line([report.environment.runId, r.suite, r.benchmark, r.params.description,
                             r.metric, "\(r.repetition)", r.unit, "\(r.samples.count)",
                             r.samples.map { CSV.number($0) }.joined(separator: " ")])
        }
        let name = "\(report.suite).samples.csv.gz"
        try AtomicFile.write(Data(try Gzip.compress(Array(out.utf8))), to: dir.appendingPathComponent(name))
        return [name]
    }
}
