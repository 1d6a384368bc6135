import BuildInfo
@testable import BenchCore
@testable import BenchStore
import Foundation
import Testing

/// Runs the built `benchmark` executable (next to the test bundle, or
/// $BENCHMARK_BIN) and other programs.
enum Program {
    static var benchmark: URL {
        if let p = ProcessInfo.processInfo.environment["BENCHMARK_BIN"] { return URL(fileURLWithPath: p) }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("benchmark")
    }

    struct Result { var status: Int32; var stdout: String; var stderr: String }

    static func run(_ executable: URL, _ args: [String], in dir: URL? = nil, environment: [String: String]? = nil) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        if let dir { p.currentDirectoryURL = dir }
        if let environment { p.environment = environment }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        nonisolated(unsafe) var o = Data(), e = Data()
        let g = DispatchGroup()
        DispatchQueue.global().async(group: g) { o = out.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: g) { e = err.fileHandleForReading.readDataToEndOfFile() }
        p.waitUntilExit()
        g.wait()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static func benchmark(_ args: [String], environment: [String: String]? = nil) throws -> Result {
        try run(benchmark, args, environment: environment)
    }

    static func sh(_ script: String, in dir: URL) throws -> Result {
        try run(URL(fileURLWithPath: "/bin/sh"), ["-c", script], in: dir)
    }
}

@Suite struct BuiltCheckoutTests {
    static let script = StoreFixture.package.appendingPathComponent("tools/source-checkout.sh")

    func generate(_ dir: URL, _ out: URL) throws -> String {
        let r = try Program.run(URL(fileURLWithPath: "/bin/sh"), [Self.script.path, dir.path, out.path])
        #expect(r.status == 0, "\(r.stderr)")
        return try String(contentsOf: out, encoding: .utf8)
    }

    /// The generator records HEAD and whether `git status` lists anything,
    /// and leaves an unchanged file untouched (no rebuild).
    @Test func theGeneratorRecordsCommitAndDirtyFlag() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let repo = dir.appendingPathComponent("repo"), out = dir.appendingPathComponent("Gen.swift")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        #expect(try generate(repo, out).contains("commit: String? = nil"))
        let setup = try Program.sh("""
            git init -q . && git -c user.email=t@t -c user.name=t commit -q --allow-empty -m one && git rev-parse HEAD
            """, in: repo)
        #expect(setup.status == 0, "\(setup.stderr)")
        let head = setup.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let clean = try generate(repo, out)
        #expect(clean.contains("commit: String? = \"\(head)\"") && clean.contains("dirty: Bool? = false"))
        let before = try FileManager.default.attributesOfItem(atPath: out.path)[.modificationDate] as? Date
        usleep(20_000)
        _ = try generate(repo, out)
        #expect(try FileManager.default.attributesOfItem(atPath: out.path)[.modificationDate] as? Date == before)
        try "x".write(to: repo.appendingPathComponent("new.txt"), atomically: true, encoding: .utf8)
        #expect(try generate(repo, out).contains("dirty: Bool? = true"))
    }

    /// The tool reports the commit it was built from, wherever it runs: a
    /// copy inside another checkout (with another HEAD) says the same.
    @Test func versionIsFixedAtBuildTime() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let own = try Program.benchmark(["--version"])
        #expect(own.status == 0)
        if let commit = BuiltCheckout.commit { #expect(own.stdout.contains(String(commit.prefix(12)))) }
        let setup = try Program.sh("""
            git init -q . && git -c user.email=t@t -c user.name=t commit -q --allow-empty -m other && mkdir -p .build/debug \
            && cp '\(Program.benchmark.path)' .build/debug/benchmark && git rev-parse HEAD
            """, in: dir)
        #expect(setup.status == 0, "\(setup.stderr)")
        let otherHead = String(setup.stdout.trimmingCharacters(in: .whitespacesAndNewlines).prefix(12))
        let copy = try Program.run(dir.appendingPathComponent(".build/debug/benchmark"), ["--version"], in: dir)
        #expect(copy.stdout == own.stdout)
        #expect(!copy.stdout.contains(otherHead))
    }
}

@Suite struct StoreCommandTests {
    @Test func storeAddHistoryAndGateFromTheCommandLine() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var noise = SeededNoise(5)
        var folders: [String] = []
        for i in 0..<8 {
            let level = i == 7 ? 1100.0 : 1000
            folders.append(try StoreFixture.folder(dir, "r\(i)", date: "2026-12-0\(i + 1)T00:00:00Z", commit: i < 4 ? "aaaa" : "bbbb",
                                                   rows: StoreFixture.timing(noise.series(5, level: level, sigma: 0.01))).path)
        }
        let store = dir.appendingPathComponent("h.sqlite").path
        let quiet = try Program.benchmark(["store", "add", "--store", store] + folders.dropLast())
        #expect(quiet.status == 0, "\(quiet.stderr)")
        #expect(try Program.benchmark(["history", "--gate", "--store", store]).status == 0)
        let add = try Program.benchmark(["store", "add", "--store", store, folders.last!])
        #expect(add.stdout.contains("stored r7"))
        let gate = try Program.benchmark(["history", "--gate", "--store", store])
        #expect(gate.status == ExitStatus.regression.rawValue, "\(gate.stdout)")
        #expect(gate.stdout.contains("REGRESSION  s/add-chain/op"))
        let json = try Program.benchmark(["history", "--json", "--store", store, "--filter", "add-chain"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["series"] as? [[String: Any]])?.first?["runs"].map { ($0 as? [Any])?.count } == 8)
        // Bad input: one line, documented status; a missing store is not created.
        let missing = dir.appendingPathComponent("none.sqlite").path
        let r = try Program.benchmark(["history", "--store", missing])
        #expect(r.status == ExitStatus.usage.rawValue && !FileManager.default.fileExists(atPath: missing))
        #expect(try Program.benchmark(["history", "--filter", "(", "--store", store]).status == ExitStatus.usage.rawValue)
        let corrupt = try Program.benchmark(["store", "add", "--store", store, dir.path])
        #expect(corrupt.status == ExitStatus.baseline.rawValue)
        #expect(corrupt.stderr.split(separator: "\n").count == 1)
    }

    @Test func aStoreURLsPasswordIsNeverPrinted() throws {
        let url = "postgresql://bench:Sup3rSecret@127.0.0.1:1/db?connect_timeout=2"
        for args in [["history", "--store", url], ["store", "add", "--store", url, StoreFixture.referenceQuick.path], ["store", "dump"]] {
            var env = ProcessInfo.processInfo.environment
            env["XFD_BENCH_STORE"] = url
            let r = try Program.benchmark(args, environment: env)
            #expect(r.status == ExitStatus.output.rawValue, "\(args) \(r.stderr)")
            #expect(!(r.stdout + r.stderr).contains("Sup3rSecret"), "\(r.stderr)")
            #expect(r.stderr.contains("***"))
        }
    }

    @Test func runsListsAndPrunesFromTheCommandLine() throws {
        let dir = StoreFixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for i in 1...4 { try StoreFixture.folder(dir, "r\(i)", date: "2026-12-0\(i)T00:00:00Z", rows: StoreFixture.timing([1])) }
        try StoreFixture.folder(dir, "reference-x", date: "2026-11-01T00:00:00Z", rows: StoreFixture.timing([1]))
        _ = RunFolder.linkLatest(root: dir, runId: "r1")
        let list = try Program.benchmark(["runs", "--output", dir.path])
        #expect(list.status == 0)
        #expect(list.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
                == ["reference-x", "r1", "r2", "r3", "r4"])
        #expect(list.stdout.contains("r1 (latest)"))
        let dry = try Program.benchmark(["runs", "prune", "--keep", "1", "--dry-run", "--output", dir.path])
        #expect(dry.stdout.contains("would remove r3") && dry.stdout.contains("would remove r2"))
        #expect(RunCatalog.read(dir).entries.count == 5)
        #expect(try Program.benchmark(["runs", "prune", "--keep", "1", "--output", dir.path]).status == 0)
        #expect(Set(RunCatalog.read(dir).entries.map(\.name)) == ["reference-x", "r1", "r4"])
        #expect(try Program.benchmark(["runs", "prune", "--keep", "-1", "--output", dir.path]).status == ExitStatus.usage.rawValue)
    }
}
