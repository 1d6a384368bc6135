import BenchCompare
import BenchCore
import CSV
import Foundation

/// One run as the store keeps it.
public struct StoredRun: Sendable, Equatable {
    /// `ReportSchema.digest` of the run's environment.json: the same run
    /// added twice is one run, while two runs that share a run id (e.g. every
    /// CI run is `ci`) stay two.
    public var runKey: String
    public var runId: String
    /// ISO 8601, UTC.
    public var date: String
    public var hostFingerprint: String
    public var cpuIdentity: String
    public var kernel: String
    public var kernelIdentity: String
    public var kvmPlatform: String?
    public var toolVersion: String?
    public var gitCommit: String?
    public var gitDirty: Bool?
    public var quick: Bool?
    public var repetitions: Int?
    public var complete: Bool
    /// JSON object: suite parameters, filter, seed, command line.
    public var options: String

    /// "full" or "quick"; runs of different kinds are never compared.
    public var kind: String { quick == true ? "quick" : "full" }
    /// Commit with "+dirty" when the tree differed; "unknown" when not recorded.
    public var commitLabel: String { (gitCommit ?? "unknown") + (gitDirty == true ? "+dirty" : "") }
}

/// One row of a stored run: `StoredRow`'s columns plus the spread columns of the CSV.
public struct StoredRowRecord: Sendable, Equatable {
    public var suite: String, benchmark: String, params: String, metric: String
    public var repetition: Int
    public var source: FigureSource, gate: GateClass, depends: HostDependency, status: RowStatus
    /// In `unit`; nil when the row has no value (or it was NaN).
    public var value: Double?
    public var unit: String
    public var note: String
    public var n: Int?
    public var p25: Double?, p75: Double?, mad: Double?, stddev: Double?
    public var ci95Low: Double?, ci95High: Double?

    /// The identity rows are matched on (`ReportSchema.key`).
    public var key: String { ReportSchema.key(suite: suite, benchmark: benchmark, params: params, metric: metric) }
    /// `suite/benchmark/params/metric`, params omitted when empty.
    public var displayName: String {
        ([suite, benchmark] + (params.isEmpty ? [] : [params]) + [metric]).joined(separator: "/")
    }
}

/// The results store: the only writer is `add`; every reader goes through
/// the queries below, which return the same values on SQLite and PostgreSQL
/// (ordering is done here, not by the server's collation).
public final class ResultStore {
    public let db: SQLConnection
    public let location: StoreLocation

    /// Connects and brings the schema up to date.  `create`: make an SQLite
    /// file that does not exist yet (writers); readers refuse a missing one.
    public init(_ location: StoreLocation, create: Bool) throws {
        self.location = location
        if location.backend == .sqlite, create {
            let dir = URL(fileURLWithPath: location.text).deletingLastPathComponent()
            try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        }
        db = try location.connect(create: create)
        try StoreSchema.migrate(db)
    }

    deinit { db.close() }

    /// Tests only: `add` fails after storing this many rows of a run, as a
    /// lost connection would.
    var failAfterRows: Int?

    public enum AddOutcome: Sendable, Equatable {
        case added(rows: Int)
        case alreadyStored
    }

    /// Validates `folder` exactly as `compare` does (`ResultFolder.read`:
    /// schema, digests, row counts), refuses an incomplete run, and stores it
    /// with all its rows in one transaction: an error or a dropped connection
    /// leaves no part of it.  A run already stored is left as it is.
    public func add(_ url: URL) throws -> (run: StoredRun, outcome: AddOutcome) {
        let folder = try Self.validate(url)
        let envData = try Data(contentsOf: url.appendingPathComponent(EnvironmentRecord.fileName))
        let env = try JSONSerialization.jsonObject(with: envData) as? [String: Any] ?? [:]
        let run = Self.run(folder.info, env: env, key: ReportSchema.digest(envData))
        let records = try Self.records(folder)
        let outcome: AddOutcome = try db.transaction {
            let inserted = try db.execute("""
                INSERT INTO runs (run_key, run_id, date, host_fingerprint, cpu_identity, kernel, kernel_identity,
                    kvm_platform, tool_version, git_commit, git_dirty, build_configuration, quick, repetitions,
                    complete, options, environment)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (run_key) DO NOTHING
                """, [.text(run.runKey), .text(run.runId), .text(run.date), .text(run.hostFingerprint),
                      .text(run.cpuIdentity), .text(run.kernel), .text(run.kernelIdentity), SQLValue(run.kvmPlatform),
                      SQLValue(run.toolVersion), SQLValue(run.gitCommit), SQLValue(run.gitDirty),
                      SQLValue(env["build_configuration"] as? String), SQLValue(run.quick), SQLValue(run.repetitions),
                      SQLValue(run.complete), .text(run.options), .text(String(decoding: envData, as: UTF8.self))])
            guard inserted == 1 else { return .alreadyStored }
            for (i, w) in records.enumerated() {
                if let limit = failAfterRows, i == limit { throw storeError("injected failure after \(limit) rows") }
                try db.execute("""
                    INSERT INTO rows (run_key, suite, benchmark, params, metric, repetition, source, gate, depends,
                        status, value, unit, n, p25, p75, mad, stddev, ci95_low, ci95_high, note)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, [.text(run.runKey), .text(w.suite), .text(w.benchmark), .text(w.params), .text(w.metric),
                          .int(Int64(w.repetition)), .text(w.source.rawValue), .text(w.gate.rawValue),
                          .text(w.depends.rawValue), .text(w.status.rawValue), SQLValue(w.value), .text(w.unit),
                          SQLValue(w.n), SQLValue(w.p25), SQLValue(w.p75), SQLValue(w.mad), SQLValue(w.stddev),
                          SQLValue(w.ci95Low), SQLValue(w.ci95High), .text(w.note)])
            }
            return .added(rows: records.count)
        }
        return (run, outcome)
    }

    /// `ResultFolder.read` (what `compare` accepts) and a finished run.
    public static func validate(_ url: URL) throws -> ResultFolder {
        let folder = try ResultFolder.read(url, label: "run")
        guard folder.info.complete else {
            throw BenchError.baseline("run \(url.path) is not complete (interrupted, or a suite did not finish); not stored")
        }
        return folder
    }

    static func run(_ info: RunInfo, env: [String: Any], key: String) -> StoredRun {
        var options: [String: Any] = ["parameters": info.parameters]
        for k in ["filter", "seed", "command_line", "repetitions", "quick"] { if let v = env[k] { options[k] = v } }
        let optionsText = (try? JSONSerialization.data(withJSONObject: options, options: [.sortedKeys]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return StoredRun(runKey: key, runId: info.runId, date: info.date ?? "", hostFingerprint: info.hostFingerprint,
                         cpuIdentity: info.cpuIdentity, kernel: env["kernel"] as? String ?? info.kernelIdentity,
                         kernelIdentity: info.kernelIdentity, kvmPlatform: env["kvm_platform"] as? String,
                         toolVersion: info.toolVersion, gitCommit: info.gitCommit, gitDirty: env["git_dirty"] as? Bool,
                         quick: info.quick, repetitions: info.repetitions, complete: info.complete, options: optionsText)
    }

    /// The validated rows with the spread columns of their CSV (read again
    /// only for those columns: `ResultFolder` has checked the file's digest).
    static func records(_ folder: ResultFolder) throws -> [StoredRowRecord] {
        var spread: [String: [String: String]] = [:]
        for suite in folder.suites {
            let text = try String(contentsOf: folder.url.appendingPathComponent("\(suite).csv"), encoding: .utf8)
            let reader = try CSVReader(string: text, hasHeaderRow: true)
            let header = reader.headerRow ?? []
            while let fields = reader.next() {
                let d = Dictionary(zip(header, fields), uniquingKeysWith: { a, _ in a })
                let key = ReportSchema.key(suite: d["suite"] ?? "", benchmark: d["benchmark"] ?? "",
                                           params: d["params"] ?? "", metric: d["metric"] ?? "")
                spread["\(key)#\(d["repetition"] ?? "")"] = d
            }
        }
        return folder.rows.map { row in
            let d = spread["\(row.key)#\(row.repetition)"] ?? [:]
            func num(_ k: String) -> Double? { d[k].flatMap { $0.isEmpty ? nil : Double($0) } }
            return StoredRowRecord(suite: row.suite, benchmark: row.benchmark, params: row.params, metric: row.metric,
                                   repetition: row.repetition, source: row.source, gate: row.gate, depends: row.depends,
                                   status: row.status, value: row.value.flatMap { $0.isNaN ? nil : $0 }, unit: row.unit,
                                   note: row.note, n: d["n"].flatMap { Int($0) }, p25: num("p25"), p75: num("p75"),
                                   mad: num("mad"), stddev: num("stddev"), ci95Low: num("ci95_low"), ci95High: num("ci95_high"))
        }
    }

    static let runColumns = """
        run_key, run_id, date, host_fingerprint, cpu_identity, kernel, kernel_identity, kvm_platform, tool_version,
        git_commit, git_dirty, quick, repetitions, complete, options
        """

    static func decodeRun(_ v: ArraySlice<SQLValue>) -> StoredRun {
        let c = Array(v)
        return StoredRun(runKey: c[0].text ?? "", runId: c[1].text ?? "", date: c[2].text ?? "",
                         hostFingerprint: c[3].text ?? "", cpuIdentity: c[4].text ?? "", kernel: c[5].text ?? "",
                         kernelIdentity: c[6].text ?? "", kvmPlatform: c[7].text, toolVersion: c[8].text,
                         gitCommit: c[9].text, gitDirty: c[10].bool, quick: c[11].bool,
                         repetitions: c[12].int.map { Int($0) }, complete: c[13].bool ?? false, options: c[14].text ?? "{}")
    }

    /// Every stored run, oldest first (date, then run id, then key).
    public func runs() throws -> [StoredRun] {
        try db.query("SELECT \(Self.runColumns) FROM runs", []).map { Self.decodeRun($0[...]) }
            .sorted { ($0.date, $0.runId, $0.runKey) < ($1.date, $1.runId, $1.runKey) }
    }

    /// The rows of one stored run, in suite, key and repetition order.
    public func rows(of runKey: String) throws -> [StoredRowRecord] {
        try db.query("""
            SELECT suite, benchmark, params, metric, repetition, source, gate, depends, status, value, unit, note,
                   n, p25, p75, mad, stddev, ci95_low, ci95_high
            FROM rows WHERE run_key = ?
            """, [.text(runKey)]).compactMap(Self.decodeRow)
            .sorted { ($0.key, $0.repetition) < ($1.key, $1.repetition) }
    }

    /// How many suites each stored run holds (run key -> count).
    public func suiteCounts() throws -> [String: Int] {
        var out: [String: Int] = [:]
        for r in try db.query("SELECT run_key, COUNT(DISTINCT suite) FROM rows GROUP BY run_key", []) {
            out[r[0].text ?? ""] = Int(r[1].int ?? 0)
        }
        return out
    }

    /// Every stored row with its run's key (unordered; `History` orders).
    public func allRows() throws -> [(runKey: String, row: StoredRowRecord)] {
        try db.query("""
            SELECT suite, benchmark, params, metric, repetition, source, gate, depends, status, value, unit, note,
                   n, p25, p75, mad, stddev, ci95_low, ci95_high, run_key
            FROM rows
            """, []).compactMap { c in Self.decodeRow(c).map { (c[19].text ?? "", $0) } }
    }

    static func decodeRow(_ c: [SQLValue]) -> StoredRowRecord? {
        guard let source = c[5].text.flatMap(FigureSource.init), let gate = c[6].text.flatMap(GateClass.init),
              let depends = c[7].text.flatMap(HostDependency.init), let status = c[8].text.flatMap(RowStatus.init) else { return nil }
        return StoredRowRecord(suite: c[0].text ?? "", benchmark: c[1].text ?? "", params: c[2].text ?? "",
                               metric: c[3].text ?? "", repetition: Int(c[4].int ?? 0), source: source, gate: gate,
                               depends: depends, status: status, value: c[9].double, unit: c[10].text ?? "",
                               note: c[11].text ?? "", n: c[12].int.map { Int($0) }, p25: c[13].double, p75: c[14].double,
                               mad: c[15].double, stddev: c[16].double, ci95Low: c[17].double, ci95High: c[18].double)
    }

    /// A stored run as `compare` and `summary` read a folder, with its
    /// environment.json as a dictionary; `url` is the store's location
    /// (redacted) and the run id.
    public func folder(of run: StoredRun) throws -> (folder: ResultFolder, record: [String: Any]) {
        let text = try db.query("SELECT environment FROM runs WHERE run_key = ?", [.text(run.runKey)]).first?.first?.text ?? "{}"
        let record = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
        let rows = try rows(of: run.runKey).map {
            StoredRow.make(suite: $0.suite, benchmark: $0.benchmark, params: $0.params, metric: $0.metric, repetition: $0.repetition,
                      source: $0.source, gate: $0.gate, depends: $0.depends, status: $0.status, value: $0.value,
                      unit: $0.unit, note: $0.note)
        }
        var info = RunInfo(runId: run.runId, hostFingerprint: run.hostFingerprint, swiftVersion: record["swift_version"] as? String,
                           toolVersion: run.toolVersion, gitCommit: run.gitCommit, date: run.date, quick: run.quick,
                           repetitions: run.repetitions, tscHz: (record["tsc_hz"] as? NSNumber)?.doubleValue,
                           cpuIdentity: run.cpuIdentity, kernelIdentity: run.kernelIdentity,
                           suitesSelected: record["suites_selected"] as? [String] ?? [], suiteFiles: [:], complete: run.complete,
                           parameters: record["parameters"] as? [String: String] ?? [:])
        info.filter = record["filter"] as? String
        // Where `benchmark run` wrote it by default; an in-memory store has no place of its own.
        let url = URL(fileURLWithPath: location.text == ":memory:" ? "Results" : location.redacted).appendingPathComponent(run.runId)
        return (ResultFolder.make(url: url, info: info, suites: Set(rows.map(\.suite)).sorted(), rows: rows), record)
    }

    /// Every run and row as text lines in a fixed order: two stores holding
    /// the same runs give the same lines, whatever their backends.
    public func canonicalDump() throws -> [String] {
        var lines: [String] = []
        for run in try runs() {
            lines.append("run \(run)")
            for r in try rows(of: run.runKey) { lines.append("row \(run.runKey) \(r)") }
        }
        return lines
    }
}
