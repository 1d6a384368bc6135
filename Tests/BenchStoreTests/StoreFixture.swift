@testable import BenchCore
import Foundation

/// Run folders for the store's tests, written with the production record
/// and reporters: the environment of the committed quick reference with the
/// fields a test varies replaced.
enum StoreFixture {
    static let package = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let referenceQuick = package.appendingPathComponent("Results/reference-quick")
    static let reference = package.appendingPathComponent("Results/reference")

    static func tempDir() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("xfdbench-store-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `root/runId`: one CSV per suite of `rows`, environment.json
    /// recording each (complete unless `complete` is false).
    @discardableResult
    static func folder(_ root: URL, _ runId: String, date: String, commit: String = "0123456789ab",
                       host: String = "GenuineIntel|6-207-2|Test|0x1|KVMKVMKVM|2cpu", quick: Bool = true,
                       rows: [ResultRow], complete: Bool = true) throws -> URL {
        let dir = root.appendingPathComponent(runId)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var env = try EnvironmentRecord.read(from: referenceQuick)
        env.runId = runId; env.date = date; env.gitCommit = commit; env.gitDirty = false; env.quick = quick
        env.hostFingerprint = host
        let suites = Set(rows.map(\.suite)).sorted()
        env.suitesSelected = suites
        env.suites = [:]
        for suite in suites {
            let own = rows.filter { $0.suite == suite }
            _ = try CSVReporter().write(SuiteReport(suite: suite, rows: own, environment: env), to: dir)
            env.suites[suite] = try Runner.fileRecord(dir.appendingPathComponent("\(suite).csv"), rows: own.count)
        }
        env.complete = complete
        try env.write(to: dir)
        return dir
    }

    /// One timing row per value (repetitions 1, 2, ...).
    static func timing(_ values: [Double], benchmark: String = "add-chain", params: Params = [:],
                       unit: String = "ticks", suite: String = "s") -> [ResultRow] {
        values.enumerated().map { i, v in
            var r = ResultRow(suite: suite, benchmark: benchmark, params: params, metric: "op", source: .measured,
                              gate: .timing, depends: .machine, value: v, unit: unit,
                              summary: Summary([v * 0.99, v, v * 1.01]))
            r.repetition = i + 1
            return r
        }
    }

    static func exact(_ value: Double, benchmark: String = "size", status: RowStatus = .ok, suite: String = "s") -> ResultRow {
        var r = ResultRow.figure(suite, benchmark, metric: "bytes", value, unit: "bytes", source: .model, gate: .exact, depends: .none)
        r.status = status
        return r
    }
}
