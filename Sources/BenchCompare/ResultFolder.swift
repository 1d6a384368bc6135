import BenchCore
import CSV
import Foundation

/// The run facts `compare` needs from `environment.json`.  Only these keys
/// are read, so records from any schema-compatible tool version load.
public struct RunInfo: Sendable, Equatable {
    public var runId: String
    public var schemaVersion: Int
    /// CPU identity; results are comparable only under the same one.
    public var hostFingerprint: String
    public var swiftVersion: String?
    public var toolVersion: String?
    public var gitCommit: String?
    public var date: String?
    public var quick: Bool?
    /// Whole-suite repetitions the run was asked for.
    public var repetitions: Int?
    /// TSC frequency in Hz (ticks per second).
    public var tscHz: Double?

    public init(runId: String, schemaVersion: Int, hostFingerprint: String, swiftVersion: String? = nil,
                toolVersion: String? = nil, gitCommit: String? = nil, date: String? = nil,
                quick: Bool? = nil, repetitions: Int? = nil, tscHz: Double? = nil) {
        self.runId = runId; self.schemaVersion = schemaVersion; self.hostFingerprint = hostFingerprint
        self.swiftVersion = swiftVersion; self.toolVersion = toolVersion; self.gitCommit = gitCommit
        self.date = date; self.quick = quick; self.repetitions = repetitions; self.tscHz = tscHz
    }
}

/// One row of a `<suite>.csv` report, as written by `CSVReporter`.
public struct StoredRow: Sendable, Equatable {
    public var suite: String
    public var benchmark: String
    /// Parameters in their written form, `key=value;key=value`.
    public var params: String
    public var metric: String
    /// 1-based repetition.
    public var repetition: Int
    public var source: FigureSource
    public var gate: GateClass
    public var status: RowStatus
    /// The figure (the median for timing rows), in `unit`; nil when not ok.
    public var value: Double?
    public var unit: String
    public var note: String

    /// The identity rows are matched on; the same shape as `ResultRow.key`.
    public var key: String { "\(suite)|\(benchmark)|\(params)|\(metric)" }

    /// `suite/benchmark/params/metric` (params omitted when empty), for people.
    public var displayName: String {
        ([suite, benchmark] + (params.isEmpty ? [] : [params]) + [metric]).joined(separator: "/")
    }
}

/// A result folder written by `benchmark run`: `environment.json` plus one
/// `<suite>.csv` per suite (`*.samples.csv` and other files are ignored).
public struct ResultFolder: Sendable {
    public var url: URL
    public var info: RunInfo
    /// Suites found, sorted by name.
    public var suites: [String]
    /// Every row of every suite, every repetition, in file order.
    public var rows: [StoredRow]

    /// Columns a report must have; others are allowed and ignored.
    static let requiredColumns = ["schema_version", "suite", "benchmark", "params", "metric",
                                  "repetition", "source", "gate", "status", "value", "unit"]

    /// Reads and validates a folder.  `label` ("baseline", "current") starts
    /// every error message.
    ///
    /// Throws `BenchError.badInput` when `url` does not exist or is not a
    /// folder, and `BenchError.baseline` (exit 4) when it is not a readable,
    /// schema-compatible result folder: no `environment.json`, no reports,
    /// a truncated or corrupt CSV, an unknown schema version.
    public static func read(_ url: URL, label: String) throws -> ResultFolder {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            if label == "baseline" {
                throw BenchError.baseline("baseline \(url.path) does not exist")
            }
            throw BenchError.badInput("\(label) \(url.path) does not exist")
        }
        guard isDir.boolValue else {
            throw BenchError.baseline("\(label) \(url.path) is not a folder (expected a result folder such as Results/<run-id>)")
        }
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
        } catch {
            throw BenchError.baseline("\(label) \(url.path) cannot be listed: \(error.localizedDescription)")
        }
        if names.filter({ !$0.hasPrefix(".") }).isEmpty {
            throw BenchError.baseline("\(label) \(url.path) is empty (no environment.json, no reports)")
        }
        let info = try readInfo(url, label: label)
        let reports = names.filter { $0.hasSuffix(".csv") && !$0.hasSuffix(".samples.csv") && !$0.hasPrefix(".") }
        guard !reports.isEmpty else {
            throw BenchError.baseline("\(label) \(url.path) holds no <suite>.csv reports")
        }
        var rows: [StoredRow] = []
        var suites: [String] = []
        for name in reports {
            let suite = String(name.dropLast(4))
            let fileURL = url.appendingPathComponent(name)
            let data: Data
            do { data = try Data(contentsOf: fileURL) } catch {
                throw BenchError.baseline("\(label) \(fileURL.path) cannot be read: \(error.localizedDescription)")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw BenchError.baseline("\(label) \(fileURL.path) is not UTF-8 text (corrupt)")
            }
            rows += try ReportParser.parse(text, path: "\(label) \(fileURL.path)")
            suites.append(suite)
        }
        return ResultFolder(url: url, info: info, suites: suites, rows: rows)
    }

    /// Reads the keys of `environment.json` that `compare` uses.
    static func readInfo(_ dir: URL, label: String) throws -> RunInfo {
        let file = dir.appendingPathComponent(EnvironmentRecord.fileName)
        let where_ = "\(label) \(file.path)"
        guard FileManager.default.fileExists(atPath: file.path) else {
            throw BenchError.baseline("\(label) \(dir.path) has no environment.json (not a result folder written by `benchmark run`)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: try Data(contentsOf: file))
        } catch {
            throw BenchError.baseline("\(where_) is not valid JSON (truncated or corrupt)")
        }
        guard let json = object as? [String: Any] else {
            throw BenchError.baseline("\(where_) is not a JSON object")
        }
        guard let runId = json["run_id"] as? String,
              let fingerprint = json["host_fingerprint"] as? String,
              let schema = (json["schema_version"] as? NSNumber)?.intValue else {
            throw BenchError.baseline("\(where_) lacks run_id, host_fingerprint or schema_version")
        }
        guard schema == CSVReporter.schemaVersion else {
            throw BenchError.baseline("\(where_): unknown schema version \(schema) (this tool reads \(CSVReporter.schemaVersion))")
        }
        return RunInfo(runId: runId, schemaVersion: schema, hostFingerprint: fingerprint,
                       swiftVersion: json["swift_version"] as? String,
                       toolVersion: json["tool_version"] as? String,
                       gitCommit: json["git_commit"] as? String, date: json["date"] as? String,
                       quick: json["quick"] as? Bool,
                       repetitions: (json["repetitions"] as? NSNumber)?.intValue,
                       tscHz: (json["tsc_hz"] as? NSNumber)?.doubleValue)
    }
}
