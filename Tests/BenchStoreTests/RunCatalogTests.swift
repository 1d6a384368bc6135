@testable import BenchCore
@testable import BenchStore
import Foundation
import Testing

@Suite struct RunCatalogTests {
    @Test func pruneKeepsReferencesLatestRunsBeingWrittenAndForeignFolders() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = StoreFixture.timing([1, 2])
        for i in 1...5 { try StoreFixture.folder(dir, "r\(i)", date: "2026-12-0\(i)T00:00:00Z", rows: rows) }
        try StoreFixture.folder(dir, "reference-old", date: "2026-11-01T00:00:00Z", rows: rows)
        let busy = try StoreFixture.folder(dir, "busy", date: "2026-11-02T00:00:00Z", rows: rows)
        try "\(getpid())\n".write(to: busy.appendingPathComponent(RunFolder.ownerFile), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("notes"), withIntermediateDirectories: true)
        try "x".write(to: dir.appendingPathComponent("notes/todo.txt"), atomically: true, encoding: .utf8)
        #expect(RunFolder.linkLatest(root: dir, runId: "r2") == nil)

        let catalog = RunCatalog.read(dir)
        #expect(catalog.latest == "r2")
        #expect(catalog.entries.map(\.name) == ["reference-old", "busy", "r1", "r2", "r3", "r4", "r5", "notes"])
        #expect(catalog.pruneSet(keep: 1).map(\.name) == ["r4", "r3", "r1"])
        #expect(catalog.pruneSet(keep: 10).isEmpty)
        for e in catalog.pruneSet(keep: 1) { try catalog.remove(e) }
        #expect(Set(RunCatalog.read(dir).entries.map(\.name)) == ["reference-old", "busy", "r2", "r5", "notes"])
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("notes/todo.txt").path))
        #expect(RunCatalog.read(dir).pruneSet(keep: 0).map(\.name) == ["r5"])
    }

    @Test func newestPairIsTheSameKindOnTheSameHost() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let rows = StoreFixture.timing([1, 2])
        try StoreFixture.folder(dir, "q1", date: "2026-12-01T00:00:00Z", host: "me", quick: true, rows: rows)
        try StoreFixture.folder(dir, "f1", date: "2026-12-02T00:00:00Z", host: "me", quick: false, rows: rows)
        try StoreFixture.folder(dir, "q2", date: "2026-12-03T00:00:00Z", host: "me", quick: true, rows: rows)
        try StoreFixture.folder(dir, "other", date: "2026-12-04T00:00:00Z", host: "them", quick: true, rows: rows)
        try StoreFixture.folder(dir, "q3", date: "2026-12-05T00:00:00Z", host: "me", quick: true, rows: rows, complete: false)
        let pair = RunCatalog.read(dir).newestPair(host: "me")
        #expect(pair?.baseline.name == "q1" && pair?.current.name == "q2")
        #expect(RunCatalog.read(dir).newestPair(host: "them") == nil)
    }
}
