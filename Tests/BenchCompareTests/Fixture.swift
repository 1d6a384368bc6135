@testable import BenchCore
import Foundation

/// Synthetic result folders written with the real reporters.
enum Fixture {
    static let host = "GenuineIntel|6-143-8|Test CPU|0x2b000000|bare-metal|8cpu"

    /// A fresh, empty temporary folder.
    static func tempDir() -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("bench-compare-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func environment(runId: String, fingerprint: String = host, swift: String = "6.3+",
                            tscHz: Double = 2e9, cpuIdentity: String = "GenuineIntel 6-143-8 xcr0=0x602e7",
                            kernel: String = "6.18.0", suites: [String] = [], quick: Bool = false) throws -> EnvironmentRecord {
        let json: [String: Any] = [
            "schema_version": ReportSchema.version, "run_id": runId, "tool_version": "test", "git_commit": "abc",
            "date": "2025-01-01T00:00:00Z", "command_line": ["benchmark", "run"], "kernel": "Linux",
            "hostname": "testhost", "cpu_vendor": "GenuineIntel", "cpu_family": 6, "cpu_model": 143,
            "cpu_stepping": 8, "cpu_brand": "Test CPU", "features": ["amx_tile": true],
            "tsc_hz": tscHz, "tsc_method": "cpuid", "tsc_calibrated_hz": tscHz,
            "ticks_per_core_cycle_method": "test", "empty_region_ticks_median": 40,
            "migration_probe": "rdtscp", "pinned_cpu": 0, "online_cpus": 8, "governor": "performance",
            "smt": "off", "swift_version": swift, "quick": quick, "repetitions": 5, "seed": 1,
            "host_fingerprint": fingerprint, "cpu_identity": cpuIdentity, "kernel_identity": kernel,
            "suites_selected": suites, "parameters": [String: String](), "suites": [String: Any](),
            "complete": false,
        ]
        // Read back through the production decoder.
        let dir = tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try JSONSerialization.data(withJSONObject: json)
            .write(to: dir.appendingPathComponent(EnvironmentRecord.fileName))
        return try EnvironmentRecord.read(from: dir)
    }

    /// A host as `compare` sees it: the identities rows may depend on.
    struct HostKind {
        var fingerprint: String
        var cpuIdentity: String
        var kernel = "6.18.0"
    }

    static let intelHost = HostKind(fingerprint: host, cpuIdentity: "GenuineIntel 6-143-8 xcr0=0x602e7")

    /// Writes `root/runId` as `benchmark run` does: one CSV per suite in
    /// `rows` (or `selected`, when given: suites without rows did not
    /// finish), then environment.json recording each file.
    @discardableResult
    static func folder(_ root: URL, _ runId: String, _ rows: [ResultRow], fingerprint: String = host,
                       swift: String = "6.3+", on hostKind: HostKind? = nil, selected: [String]? = nil,
                       quick: Bool = false) throws -> URL {
        let dir = root.appendingPathComponent(runId)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let kind = hostKind ?? HostKind(fingerprint: fingerprint, cpuIdentity: intelHost.cpuIdentity)
        let finished = Set(rows.map(\.suite)).sorted()
        let suites = selected ?? finished
        var env = try environment(runId: runId, fingerprint: kind.fingerprint, swift: swift,
                                  cpuIdentity: kind.cpuIdentity, kernel: kind.kernel, suites: suites, quick: quick)
        for suite in finished {
            let own = rows.filter { $0.suite == suite }
            _ = try CSVReporter().write(SuiteReport(suite: suite, rows: own, environment: env), to: dir)
            env.suites[suite] = try Runner.fileRecord(dir.appendingPathComponent("\(suite).csv"), rows: own.count)
        }
        env.complete = Set(suites) == Set(finished)
        try env.write(to: dir)
        return dir
    }

    /// Records every CSV of `dir` in its environment.json as it is now, as
    /// if the damage had been written by the run itself: what remains to
    /// catch it are the CSV checks.
    static func rerecord(_ dir: URL) throws {
        var env = try EnvironmentRecord.read(from: dir)
        for suite in env.suites.keys {
            let file = dir.appendingPathComponent("\(suite).csv")
            let rows = env.suites[suite]!.rows
            env.suites[suite] = try Runner.fileRecord(file, rows: rows)
        }
        try env.write(to: dir)
    }

    /// A timing row per repetition, `values[i]` the median of repetition i + 1.
    static func timing(_ benchmark: String, metric: String = "op", unit: String = "ticks",
                       _ values: [Double], suite: String = "s") -> [ResultRow] {
        values.enumerated().map { i, v in
            var r = ResultRow(suite: suite, benchmark: benchmark, metric: metric, source: .measured,
                              gate: .timing, depends: .machine, value: v, unit: unit,
                              summary: Summary([v * 0.99, v, v * 1.01]))
            r.repetition = i + 1
            return r
        }
    }

    /// An exact figure repeated `reps` times.
    static func exact(_ benchmark: String, metric: String = "size", _ value: Double, reps: Int = 5,
                      suite: String = "s", depends: HostDependency = .none) -> [ResultRow] {
        (1...reps).map { rep in
            var r = ResultRow.figure(suite, benchmark, metric: metric, value, unit: "bytes",
                                     source: depends == .none ? .model : .measured, gate: .exact, depends: depends)
            r.repetition = rep
            return r
        }
    }

    /// An info figure repeated `reps` times.
    static func info(_ benchmark: String, _ value: Double, reps: Int = 5, suite: String = "s") -> [ResultRow] {
        (1...reps).map { rep in
            var r = ResultRow.figure(suite, benchmark, metric: "derived", value, unit: "ticks", source: .measured,
                                     depends: .machine)
            r.repetition = rep
            return r
        }
    }

    static let steady: [Double] = [1000, 1004, 998, 1002, 1001]
    static let steadyAgain: [Double] = [1003, 999, 1001, 1000, 1002]
    static let tenPercentSlower: [Double] = [1100, 1104, 1098, 1102, 1101]
}
