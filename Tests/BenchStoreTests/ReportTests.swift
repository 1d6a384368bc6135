@testable import BenchCore
@testable import BenchStore
import Foundation
import Testing

@Suite struct ReportTests {
    /// The site from the committed references plus a two-commit series:
    /// every page, each question page with its figures, linked rows, a chart.
    @Test func theSiteHasEveryPageAndEveryFigureLinksToItsRow() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try ResultStore(StoreLocation(dir.appendingPathComponent("h.sqlite").path), create: true)
        _ = try store.add(StoreFixture.reference)
        _ = try store.add(StoreFixture.referenceQuick)
        for (i, v) in [100.0, 101, 99].enumerated() {
            var rows = StoredFixtureRows.awkward(v)
            rows[0].repetition = 1
            _ = try store.add(try StoreFixture.folder(dir, "r\(i)", date: "2026-12-0\(i + 1)T00:00:00Z", commit: "c\(i)", rows: rows))
        }
        let site = dir.appendingPathComponent("site")
        let files = try HTMLReport.write(store, to: site)
        #expect(files.contains("index.html") && files.contains("hosts.html"))
        #expect((1...HTMLReport.questions.count).allSatisfy { files.contains("question-\($0).html") })
        #expect(files.contains("history-s.html") && files.contains("suite-xsave-h1.html"))
        let index = try String(contentsOf: site.appendingPathComponent("index.html"), encoding: .utf8)
        #expect(index.contains("1. XFD interception") && index.contains("3. XSAVE growth per CPU"))
        for n in 1...HTMLReport.questions.count {
            let q = try String(contentsOf: site.appendingPathComponent("question-\(n).html"), encoding: .utf8)
            #expect(q.contains("href=\"suite-") && q.contains("[model]") || q.contains("[measured]"), "question \(n)")
        }
        let history = try String(contentsOf: site.appendingPathComponent("history-s.html"), encoding: .utf8)
        #expect(history.contains("<svg") && history.contains("<polyline"))
        // Markup in a note is text, not markup.
        let suite = try String(contentsOf: site.appendingPathComponent(files.first { $0.hasPrefix("suite-s-") }!), encoding: .utf8)
        #expect(suite.contains("&lt;script&gt;") && !suite.contains("<script>"))
        let all = try files.map { try String(contentsOf: site.appendingPathComponent($0), encoding: .utf8) }.joined()
        #expect(!all.contains("href=\"http") && !all.contains("src=\"http") && !all.contains("//cdn"))
    }

    /// Headless Chromium loads every page without a console message, and
    /// the checker fails on an injected script error and on a broken link.
    @Test func chromiumLoadsEveryPageAndTheCheckCatchesFaults() throws {
        let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard chromium != nil else {
            if TestServer.inCI { Issue.record("no chromium: run tools/install-deps.sh") }
            return
        }
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let site = dir.appendingPathComponent("site")
        let made = try Program.benchmark(["report", StoreFixture.referenceQuick.path, "--html", site.path])
        #expect(made.status == 0, "\(made.stderr)")
        let check = StoreFixture.package.appendingPathComponent("tools/check-report.py").path
        let shot = dir.appendingPathComponent("index.png").path
        let clean = try Program.run(URL(fileURLWithPath: "/usr/bin/python3"), [check, site.path, "--screenshot", shot])
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect((try? FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int).flatMap { $0 } ?? 0 > 10_000)
        let hosts = site.appendingPathComponent("hosts.html")
        let original = try String(contentsOf: hosts, encoding: .utf8)
        try original.replacingOccurrences(of: "<body>", with: "<body><script>console.error('injected')</script>")
            .write(to: hosts, atomically: true, encoding: .utf8)
        let scripted = try Program.run(URL(fileURLWithPath: "/usr/bin/python3"), [check, site.path])
        #expect(scripted.status == 1 && scripted.stdout.contains("hosts.html: console"), "\(scripted.stdout)")
        try original.replacingOccurrences(of: "<body>", with: "<body><a href=\"suite-nowhere.html#x\">x</a><img src=\"https://cdn.example/x.png\">")
            .write(to: hosts, atomically: true, encoding: .utf8)
        let broken = try Program.run(URL(fileURLWithPath: "/usr/bin/python3"), [check, site.path])
        #expect(broken.status == 1 && broken.stdout.contains("no such page") && broken.stdout.contains("off the site"), "\(broken.stdout)")
    }
}

enum StoredFixtureRows {
    /// A timing row whose note holds markup and quotes.
    static func awkward(_ v: Double) -> [ResultRow] {
        var rows = StoreFixture.timing([v, v + 1, v - 1])
        for i in rows.indices { rows[i].note = "<script>alert('x')</script> & \"q\"" }
        return rows
    }
}
