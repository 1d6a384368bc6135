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
    /// What rows that depend on `cpu` / `kernel` are functions of.
    public var cpuIdentity: String
    public var kernelIdentity: String
    /// Suites the run was asked for, and those that finished (with the
    /// integrity record of each one's CSV).
    public var suitesSelected: [String]
    public var suiteFiles: [String: SuiteFileRecord]
    /// Every selected suite finished.
    public var complete: Bool
    /// Suite parameters the run was given.
    public var parameters: [String: String]
    /// The run's `--filter` pattern, when it was narrowed (checked to compile).
    public var filter: String? = nil

    public init(runId: String, schemaVersion: Int = ReportSchema.version, hostFingerprint: String,
                swiftVersion: String? = nil, toolVersion: String? = nil, gitCommit: String? = nil,
                date: String? = nil, quick: Bool? = nil, repetitions: Int? = nil, tscHz: Double? = nil,
                cpuIdentity: String, kernelIdentity: String, suitesSelected: [String],
                suiteFiles: [String: SuiteFileRecord], complete: Bool, parameters: [String: String] = [:]) {
        self.runId = runId; self.schemaVersion = schemaVersion; self.hostFingerprint = hostFingerprint
        self.swiftVersion = swiftVersion; self.toolVersion = toolVersion; self.gitCommit = gitCommit
        self.date = date; self.quick = quick; self.repetitions = repetitions; self.tscHz = tscHz
        self.cpuIdentity = cpuIdentity; self.kernelIdentity = kernelIdentity
        self.suitesSelected = suitesSelected; self.suiteFiles = suiteFiles; self.complete = complete
        self.parameters = parameters
    }

    /// Whether two runs agree on what a row of `dependency` is a function
    /// of; nil when they do, else the difference in words.
    public func differs(from other: RunInfo, on dependency: HostDependency) -> String? {
        func diff(_ what: String, _ a: String, _ b: String) -> String? {
            a == b ? nil : "\(what) differs: baseline '\(a)', current '\(b)'"
        }
        switch dependency {
        case .none: return nil
        case .cpu: return diff("CPU identity", cpuIdentity, other.cpuIdentity)
        case .kernel: return diff("kernel version", kernelIdentity, other.kernelIdentity)
        case .cpuKernel:
            return diff("CPU identity", cpuIdentity, other.cpuIdentity)
                ?? diff("kernel version", kernelIdentity, other.kernelIdentity)
        case .machine: return diff("host fingerprint", hostFingerprint, other.hostFingerprint)
        }
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
    public var depends: HostDependency
    public var status: RowStatus
    /// The figure (the median for timing rows), in `unit`; nil when not ok.
    public var value: Double?
    public var unit: String
    public var note: String

    /// The identity rows are matched on, as `ResultRow.key`.
    public var key: String { ReportSchema.key(suite: suite, benchmark: benchmark, params: params, metric: metric) }

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
        // A report environment.json does not record is another run's, or a
        // file written by hand: refuse rather than mix runs.
        for name in reports where info.suiteFiles[String(name.dropLast(4))] == nil {
            throw BenchError.baseline("\(label) \(url.appendingPathComponent(name).path) is not recorded in environment.json (a report of another run, or an unfinished suite)")
        }
        var rows: [StoredRow] = []
        for suite in info.suiteFiles.keys.sorted() {
            let record = info.suiteFiles[suite]!
            let fileURL = url.appendingPathComponent("\(suite).csv")
            let where_ = "\(label) \(fileURL.path)"
            guard let data = FileManager.default.contents(atPath: fileURL.path) else {
                throw BenchError.baseline("\(where_) is missing or unreadable, but environment.json records suite \(suite) as finished")
            }
            guard data.count == record.bytes, ReportSchema.digest(data) == record.digest else {
                throw BenchError.baseline("\(where_) does not match environment.json (\(data.count) bytes, \(record.bytes) recorded): truncated or modified")
            }
            guard let text = String(data: data, encoding: .utf8) else {
                throw BenchError.baseline("\(where_) is not UTF-8 text (corrupt)")
            }
            let parsed = try ReportParser.parse(text, path: where_)
            guard parsed.count == record.rows else {
                throw BenchError.baseline("\(where_) has \(parsed.count) rows, environment.json records \(record.rows)")
            }
            guard parsed.allSatisfy({ $0.suite == suite }) else {
                throw BenchError.baseline("\(where_) holds rows of another suite (corrupt)")
            }
            rows += parsed
        }
        if rows.isEmpty && info.suitesSelected.isEmpty {
            throw BenchError.baseline("\(label) \(url.path) records no suite (not a finished run)")
        }
        return ResultFolder(url: url, info: info, suites: info.suiteFiles.keys.sorted(), rows: rows)
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
              let schemaNumber = json["schema_version"] as? NSNumber else {
            throw BenchError.baseline("\(where_) lacks run_id, host_fingerprint or schema_version")
        }
        // Compared as a double, so 2.5 is not read as 2.
        guard schemaNumber.doubleValue == Double(ReportSchema.version) else {
            throw BenchError.baseline("\(where_): unknown schema version \(Format.number(schemaNumber.doubleValue)) (this tool reads \(ReportSchema.version))")
        }
        guard let cpuIdentity = json["cpu_identity"] as? String,
              let kernelIdentity = json["kernel_identity"] as? String,
              let selected = json["suites_selected"] as? [String],
              let complete = json["complete"] as? Bool,
              let suitesJSON = json["suites"] as? [String: Any] else {
            throw BenchError.baseline("\(where_) lacks cpu_identity, kernel_identity, suites_selected, suites or complete (corrupt)")
        }
        var files: [String: SuiteFileRecord] = [:]
        for (suite, value) in suitesJSON {
            guard let r = value as? [String: Any], let rows = (r["rows"] as? NSNumber)?.intValue,
                  let bytes = (r["bytes"] as? NSNumber)?.intValue, let digest = r["digest"] as? String else {
                throw BenchError.baseline("\(where_): the record of suite '\(suite)' is malformed (corrupt)")
            }
            files[suite] = SuiteFileRecord(rows: rows, bytes: bytes, digest: digest)
        }
        let filter = json["filter"] as? String
        if let pattern = filter {
            do { _ = try BenchmarkFilter(pattern) } catch {
                throw BenchError.baseline("\(where_): filter '\(pattern)' is not a valid pattern (corrupt)")
            }
        }
        var info = RunInfo(runId: runId, schemaVersion: ReportSchema.version, hostFingerprint: fingerprint,
                       swiftVersion: json["swift_version"] as? String,
                       toolVersion: json["tool_version"] as? String,
                       gitCommit: json["git_commit"] as? String, date: json["date"] as? String,
                       quick: json["quick"] as? Bool,
                       repetitions: (json["repetitions"] as? NSNumber)?.intValue,
                       tscHz: (json["tsc_hz"] as? NSNumber)?.doubleValue,
                       cpuIdentity: cpuIdentity, kernelIdentity: kernelIdentity, suitesSelected: selected,
                       suiteFiles: files, complete: complete,
                       parameters: json["parameters"] as? [String: String] ?? [:])
        info.filter = filter
        return info
    }
}
