/// The report format: its version, its columns, the identity rows are
/// matched on, and the integrity record a reader verifies.  The CSV and JSON
/// writers, `environment.json` and `compare`'s reader all take these from
/// here, so a change is made once.
public enum ReportSchema {
    /// Bump when columns change meaning or order; readers refuse other versions.
    /// 2: `depends` column; environment.json records every suite file's
    /// rows, bytes and digest, the suites selected, and host identities.
    public static let version = 2

    public static let columns = [
        "schema_version", "run_id", "suite", "benchmark", "params", "metric", "repetition",
        "source", "gate", "depends", "status", "value", "unit", "n", "min", "p5", "p25", "median", "p75",
        "p95", "p99", "max", "mean", "stddev", "mad", "ci95_low", "ci95_high", "outliers",
        "migrations_dropped", "median_ns", "median_core_cycles_est", "note",
    ]

    /// Columns a reader needs; others are allowed and ignored.
    public static let requiredColumns = ["schema_version", "suite", "benchmark", "params", "metric",
                                         "repetition", "source", "gate", "depends", "status", "value",
                                         "unit"]

    /// The identity `compare` matches rows on: suite, benchmark, parameters
    /// (written form) and metric.
    public static func key(suite: String, benchmark: String, params: String, metric: String) -> String {
        "\(suite)|\(benchmark)|\(params)|\(metric)"
    }

    /// FNV-1a, 64-bit, as 16 hex digits: detects truncation and accidental
    /// edits of a report (not an adversary).
    public static func digest<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        let hex = String(h, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

/// What `environment.json` records about one finished suite's CSV, so a
/// reader can tell a complete file from a truncated or edited one.
public struct SuiteFileRecord: Codable, Sendable, Equatable {
    /// Data rows (every repetition), not counting the header.
    public var rows: Int
    public var bytes: Int
    /// `ReportSchema.digest` of the whole file.
    public var digest: String

    public init(rows: Int, bytes: Int, digest: String) {
        self.rows = rows; self.bytes = bytes; self.digest = digest
    }

    public init(rows: Int, contents: [UInt8]) {
        self.init(rows: rows, bytes: contents.count, digest: ReportSchema.digest(contents))
    }
}
