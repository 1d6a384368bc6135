import CSV
import Foundation
import Testing
@testable import BenchCore

@Suite struct ReportTests {
    func tempDir() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("xfdbench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
        return d
    }

    static func environment() -> EnvironmentRecord {
        EnvironmentRecord(
            schemaVersion: 1, runId: "r1", toolVersion: "t", gitCommit: nil, date: "d",
            commandLine: ["benchmark"], kernel: "k", hostname: "h", cpuVendor: "v", cpuFamily: 1,
            cpuModel: 2, cpuStepping: 3, cpuBrand: "b", microcode: nil, hypervisor: nil, features: [:],
            xcr0: nil, xsaveStandardSize: nil, xsaveCompactedSize: nil, tscHz: 2e9,
            tscMethod: "m", tscCalibratedHz: 2e9, ticksPerCoreCycle: 0.5, ticksPerCoreCycleMethod: "m",
            emptyRegionTicksMedian: 49, migrationProbe: "p", pinnedCPU: 0, onlineCPUs: 2,
            governor: "g", smt: "s", swiftVersion: "6", quick: true, repetitions: 1, seed: 1,
            hostFingerprint: "fp", cpuIdentity: "cpu", kernelIdentity: "6.18", suitesSelected: ["s"],
            parameters: [:])
    }

    @Test func csvQuoting() {
        #expect(CSV.field("plain") == "plain")
        #expect(CSV.field("a,b") == "\"a,b\"")
        #expect(CSV.field("say \"hi\"") == "\"say \"\"hi\"\"\"")
        #expect(CSV.field("two\nlines") == "\"two\nlines\"")
        #expect(CSV.number(3) == "3")
        #expect(CSV.number(0.25) == "0.25")
        #expect(CSV.number(nil) == "")
    }

    @Test func csvRoundTripThroughAnRFC4180Reader() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let awkward = "comma, \"quote\" and\nnewline"
        let rows: [ResultRow] = [
            .figure("s", "size", ["cpu": "spr", "set": "+AVX"], metric: "bytes", 11008, unit: "bytes",
                    source: .model, depends: .none, note: awkward),
            .timing("s", "op", ["k": "1"], metric: "ticks", TimingSamples(perOp: [1, 2, 3, 4, 100])),
            .skipped("s", "amx", metric: "ticks", unit: "ticks", depends: .cpu, reason: "no AMX, here"),
        ]
        let files = try CSVReporter().write(SuiteReport(suite: "s", rows: rows, environment: Self.environment()), to: dir)
        #expect(files == ["s.csv"])
        let text = try String(contentsOf: dir.appendingPathComponent("s.csv"), encoding: .utf8)
        let reader = try CSVReader(string: text, hasHeaderRow: true)
        #expect(reader.headerRow! == ReportSchema.columns)
        var parsed: [[String: String]] = []
        while reader.next() != nil {
            var d: [String: String] = [:]
            for c in ReportSchema.columns { d[c] = reader[c] }
            parsed.append(d)
        }
        #expect(parsed.count == 3)
        #expect(parsed[0]["note"] == awkward)
        #expect(parsed[0]["params"] == "cpu=spr;set=+AVX")
        #expect(parsed[0]["value"] == "11008" && parsed[0]["source"] == "model" && parsed[0]["gate"] == "exact")
        #expect(parsed[1]["median"] == "3" && parsed[1]["outliers"] == "1" && parsed[1]["gate"] == "timing")
        #expect(parsed[1]["median_ns"] == "1.5")          // 3 ticks at 2 GHz
        #expect(parsed[1]["median_core_cycles_est"] == "6") // 3 ticks / 0.5 ticks per cycle
        #expect(parsed[2]["status"] == "skipped" && parsed[2]["value"] == "" && parsed[2]["note"] == "no AMX, here")
        #expect(Params.parse(parsed[0]["params"]!) == ["cpu": "spr", "set": "+AVX"])
    }

    @Test func atomicWriteLeavesNoTemporaryFile() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("f.csv")
        try AtomicFile.write("one", to: url)
        try AtomicFile.write("two", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "two")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["f.csv"])
    }

    @Test func atomicWriteIntoMissingFolderFailsCleanly() throws {
        let url = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/f.csv")
        #expect(throws: BenchError.self) { try AtomicFile.write("x", to: url) }
    }

    @Test func environmentRecordRoundTrips() throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Self.environment().write(to: dir)
        let back = try EnvironmentRecord.read(from: dir)
        #expect(back.runId == "r1" && back.hostFingerprint == "fp" && back.tscHz == 2e9)
    }

    @Test func slowdownKnobParsing() throws {
        let env = [SlowdownKnob.variable: "harness/add-chain-1000=0.10"]
        #expect(try SlowdownKnob.fraction(suite: "harness", benchmark: "add-chain-1000", environment: env) == 0.10)
        #expect(try SlowdownKnob.fraction(suite: "harness", benchmark: "timer", environment: env) == 0)
        #expect(try SlowdownKnob.fraction(suite: "harness", benchmark: "x", environment: [:]) == 0)
        #expect(throws: BenchError.self) {
            try SlowdownKnob.fraction(suite: "a", benchmark: "b", environment: [SlowdownKnob.variable: "a/b=lots"])
        }
        // An unknown target is refused, not silently ignored.
        #expect(throws: BenchError.self) {
            try SlowdownKnob.validate(environment: [SlowdownKnob.variable: "rdmsr-exit/self-check=0.5"])
        }
        try SlowdownKnob.validate(environment: env)
        try SlowdownKnob.validate(environment: [:])
    }
}

@Suite struct TimingKernelTests {
    // Structure only: these machines are shared, so no test asserts a duration.
    @Test func measureReturnsTheRequestedSamples() {
        let kernel = TimingKernel(features: CPUDescription.host().features)
        var calls: [Int] = []
        let m = kernel.measure(inner: 4, samples: 10, warmup: 2) { n in calls.append(n) }
        #expect(m.perOp.count + m.migrationsDropped >= 10)
        #expect(m.perOp.count == 10 || m.migrationsDropped > 0)
        #expect(m.inner == 4)
        #expect(Array(calls.prefix(2)) == [4, 4])                 // warm-up
        #expect(Set(calls.dropFirst(2)) == [4, 8])                // K and 2K regions
        #expect(m.shortRegions.count == m.perOp.count && m.longRegions.count == m.perOp.count)
    }

    @Test func eventsRunSetupBeforeEachEvent() {
        let kernel = TimingKernel(features: CPUDescription.host().features)
        var log: [String] = []
        let m = kernel.events(count: 3, floor: 0, setup: { log.append("s\($0)") }) { log.append("e\($0)") }
        #expect(log == ["s0", "e0", "s1", "e1", "s2", "e2"])
        #expect(m.perOp.count + m.migrationsDropped == 3)
    }
}

/// The atomic writer replaces the destination by renaming a finished file
/// over it; it never opens the destination for writing.
@Suite struct AtomicReplaceTests {
    @Test func destinationIsReplacedNotRewritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xfdbench-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = dir.appendingPathComponent("r.csv")
        let held = dir.appendingPathComponent("held.csv")
        try AtomicFile.write("old contents", to: url)
        // A second name for the old file, as a reader holding it open has:
        // written in place, it would see the new bytes (or half of them).
        #expect(link(url.path, held.path) == 0)
        try AtomicFile.write("new", to: url)
        #expect(try String(contentsOf: url, encoding: .utf8) == "new")
        #expect(try String(contentsOf: held, encoding: .utf8) == "old contents")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["held.csv", "r.csv"])
    }
}

/// The console orders rows by the suite's hint; the rows themselves (what
/// the files get) are left as the suite made them.
@Suite struct ConsoleOrderTests {
    static func row(_ b: String, _ m: String) -> ResultRow {
        .figure("s", b, metric: m, 1, unit: "bytes", source: .model, depends: .none)
    }

    @Test func rowsFollowTheFirstEntryTheyMatchAndKeepRunOrderWithin() {
        let rows = [Self.row("c", "x"), Self.row("a", "y"), Self.row("b", "z"), Self.row("a", "per_op"),
                    Self.row("d", "w"), Self.row("a", "q")]
        let shown = ConsoleReport.ordered(rows, by: ["a/per_op", "a", "b"]).map { $0.benchmark + "/" + $0.metric }
        #expect(shown == ["a/per_op", "a/y", "a/q", "b/z", "c/x", "d/w"])
        #expect(ConsoleReport.ordered(rows, by: []).map(\.metric) == rows.map(\.metric))
    }
}
