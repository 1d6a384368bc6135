@testable import BenchCore
@testable import BenchStore
import BenchCompare
import Foundation
import Testing

/// The PostgreSQL server `.ci/run` starts; under CI=true its absence fails
/// the tests that need it instead of skipping them.
enum TestServer {
    static let urlVariable = "XFD_BENCH_TEST_PG_URL"
    static var url: String? { ProcessInfo.processInfo.environment[urlVariable].flatMap { $0.isEmpty ? nil : $0 } }
    static var inCI: Bool { ProcessInfo.processInfo.environment["CI"] == "true" }
}

@Suite struct ResultStoreTests {
    /// The backends under test: SQLite always, PostgreSQL when a URL is given.
    static func stores(_ dir: URL) throws -> [ResultStore] {
        var out = [try ResultStore(StoreLocation(dir.appendingPathComponent("h.sqlite").path), create: true)]
        if let url = TestServer.url { out.append(try freshPostgres(url)) }
        return out
    }

    /// A PostgreSQL store in a schema of its own (tests run in parallel),
    /// selected through the URL as a user would (`options=-c search_path=...`).
    static func freshPostgres(_ url: String) throws -> ResultStore {
        let schema = "t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        let db = try PostgresConnection(StoreLocation(url))
        try db.execute("CREATE SCHEMA \(schema)", [])
        db.close()
        let separator = url.contains("?") ? "&" : "?"
        return try ResultStore(StoreLocation(url + separator + "options=-c%20search_path%3D\(schema)"), create: true)
    }

    static let awkward = "o'brien; DROP TABLE runs; -- \"quoted\" ? $1 \\ 'x'"

    @Test func addIsIdempotentAndEveryStringRoundTripsVerbatim() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var rows = StoreFixture.timing([100, 101, 99], params: ["mode": "a'b", "sql": "x;DELETE FROM rows"])
        for i in rows.indices { rows[i].note = Self.awkward }
        let runId = "run 'one'; DROP TABLE rows;--"
        let folder = try StoreFixture.folder(dir, runId, date: "2026-12-01T00:00:00Z", rows: rows)
        for store in try Self.stores(dir) {
            let first = try store.add(folder)
            #expect(first.outcome == .added(rows: 3))
            #expect(try store.add(folder).outcome == .alreadyStored, "\(store.location.backend)")
            let runs = try store.runs()
            #expect(runs.count == 1)
            #expect(runs.first?.runId == runId)
            let stored = try store.rows(of: try #require(runs.first).runKey)
            #expect(stored.count == 3)
            #expect(stored.allSatisfy { $0.note == Self.awkward })
            #expect(stored.first?.params == "mode=a'b;sql=x;DELETE FROM rows")
            #expect(stored.map(\.value) == [100, 101, 99])
            #expect(stored.first?.p25 != nil && stored.first?.mad != nil)
        }
    }

    @Test func incompleteOrCorruptRunsAreRefusedAndNothingIsStored() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ResultStore(StoreLocation(dir.appendingPathComponent("h.sqlite").path), create: true)
        let partial = try StoreFixture.folder(dir, "partial", date: "2026-12-01T00:00:00Z",
                                              rows: StoreFixture.timing([1, 2]), complete: false)
        #expect(throws: BenchError.self) { try store.add(partial) }
        let damaged = try StoreFixture.folder(dir, "damaged", date: "2026-12-01T00:00:00Z", rows: StoreFixture.timing([1, 2]))
        let csv = damaged.appendingPathComponent("s.csv")
        try (try String(contentsOf: csv, encoding: .utf8) + "x").write(to: csv, atomically: true, encoding: .utf8)
        do {
            _ = try store.add(damaged)
            Issue.record("a modified report was stored")
        } catch let e as BenchError {
            #expect(e.status == .baseline)
            #expect(e.description.contains("does not match environment.json"))
        }
        #expect(try store.runs().isEmpty)
    }

    @Test func aFailureMidIngestLeavesNoPartOfTheRun() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let folder = try StoreFixture.folder(dir, "r", date: "2026-12-01T00:00:00Z", rows: StoreFixture.timing([1, 2, 3]))
        for store in try Self.stores(dir) {
            store.failAfterRows = 2
            #expect(throws: BenchError.self) { try store.add(folder) }
            #expect(try store.runs().isEmpty)
            #expect(try store.db.query("SELECT COUNT(*) FROM rows", [])[0][0].int == 0)
            store.failAfterRows = nil
            #expect(try store.add(folder).outcome == .added(rows: 3))
        }
    }

    @Test func migrationsRunOnceAndANewerStoreIsRefused() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let location = try StoreLocation("sqlite:" + dir.appendingPathComponent("h.sqlite").path)
        _ = try ResultStore(location, create: true)
        let store = try ResultStore(location, create: false)
        let versions = try store.db.query("SELECT version FROM schema_migrations", []).compactMap { $0[0].int }
        #expect(versions == StoreSchema.migrations.map { Int64($0.version) })
        try store.db.execute("INSERT INTO schema_migrations (version, summary) VALUES (?, ?)", [.int(999), .text("future")])
        #expect(throws: BenchError.self) { _ = try ResultStore(location, create: false) }
    }

    @Test func aPasswordNeverAppearsInWhatIsShown() throws {
        let secret = "s3cr%40t;x"
        let location = try StoreLocation("postgresql://bench:\(secret)@127.0.0.1:1/db?password=other&sslmode=disable")
        #expect(location.backend == .postgresql)
        #expect(!location.redacted.contains("s3cr") && !location.redacted.contains("other"))
        #expect(!location.redact("failed for s3cr@t;x and \(secret)").contains("s3cr"))
        do {
            _ = try PostgresConnection(location, timeoutSeconds: 2)
            Issue.record("connected to port 1")
        } catch let e as BenchError {
            #expect(!e.description.contains("s3cr") && !e.description.contains("other"), "\(e.description)")
        }
        #expect(throws: BenchError.self) { _ = try StoreLocation("mysql://u:pw@h/db") }
    }

    /// The committed reference runs and a series at two commits give the
    /// same dump and the same series on both backends.
    @Test func bothBackendsReturnIdenticalResults() throws {
        guard let url = TestServer.url else {
            if TestServer.inCI { Issue.record("CI=true but \(TestServer.urlVariable) is not set: .ci/run could not start PostgreSQL") }
            return
        }
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let sqlite = try ResultStore(StoreLocation(dir.appendingPathComponent("h.sqlite").path), create: true)
        let pg = try Self.freshPostgres(url)
        var folders = [StoreFixture.referenceQuick, StoreFixture.reference]
        for (i, v) in [100.0, 101, 111].enumerated() {
            folders.append(try StoreFixture.folder(dir, "r\(i)", date: "2026-12-0\(i + 1)T00:00:00Z", commit: i < 2 ? "aaaa" : "bbbb",
                                                   rows: StoreFixture.timing([v, v + 0.5, v - 0.5]) + [StoreFixture.exact(64)]))
        }
        for f in folders {
            _ = try sqlite.add(f)
            _ = try pg.add(f)
        }
        let a = try sqlite.canonicalDump(), b = try pg.canonicalDump()
        #expect(a.count == b.count && a.count > 1000)
        let firstDifference = zip(a, b).first { $0 != $1 }
        #expect(firstDifference == nil, "\(String(describing: firstDifference))")
        let sa = try History.series(sqlite).map { "\($0.host) \($0.name) \($0.points.map(\.value))" }
        let sb = try History.series(pg).map { "\($0.host) \($0.name) \($0.points.map(\.value))" }
        #expect(sa == sb)
    }
}
