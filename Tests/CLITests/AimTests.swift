import Foundation
import Testing
import BenchCore

/// `--filter`, `--dry-run`, `list --json`, `env --json` and the compact
/// samples file, through the built executable.
@Suite(.serialized) struct AimTests {
    @Test func listJSONNamesEverySuiteWithItsBenchmarks() throws {
        let r = try CLI.run(["list", "--json"])
        #expect(r.status == 0 && r.stderr.isEmpty)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let suites = try #require(json["suites"] as? [[String: Any]])
        #expect(suites.compactMap { $0["name"] as? String } == ["harness", "xsave", "kvm", "rdmsr-exit", "fpstate-alloc"])
        let harness = try #require(suites.first)
        let benchmarks = try #require(harness["benchmarks"] as? [[String: Any]])
        #expect(benchmarks.compactMap { $0["name"] as? String } == ["timer", "add-chain", "add-chain-1000"])
        #expect(suites.allSatisfy { $0["estimated_seconds"] is [String: Any] })
        #expect((json["formats"] as? [String])?.contains("json") == true)
        #expect((json["cpu_models"] as? [[String: Any]])?.contains { $0["id"] as? String == "spr" } == true)
    }

    @Test func envJSONDescribesTheHost() throws {
        let r = try CLI.run(["env", "--json"])
        #expect(r.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect((json["cpu_vendor"] as? String)?.isEmpty == false)
        #expect(json["features"] is [String: Any])
        #expect((json["tsc_hz"] as? NSNumber).map { $0.doubleValue > 0 } == true)
        #expect((json["kernel_identity"] as? String)?.isEmpty == false)
    }

    @Test func dryRunPrintsThePlanAndWritesNothing() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["all", "--dry-run", "--repetitions", "5", "--filter", "xsave/size", "--output", dir.path])
        #expect(r.status == 0)
        #expect(r.stdout.contains("would run 1 suite, 5 repetitions, filter 'xsave/size'"))
        #expect(r.stdout.contains("xsave: size-component, size-featureset, size-check (3 of 8)"))
        #expect(!r.stdout.contains("harness"))
        #expect(r.stdout.contains("nothing was run or written"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
    }

    @Test func dryRunStillRejectsBadInput() throws {
        let bad = try CLI.run(["run", "harness", "--dry-run", "--filter", "(unclosed"])
        #expect(bad.status == 1 && bad.stderr.contains("--filter"))
        let unknown = try CLI.run(["run", "harness", "--dry-run", "--set", "nosuch=1"])
        #expect(unknown.status == 1 && unknown.stderr.contains("nosuch"))
    }

    @Test func filterRunsOnlyTheNamedSuiteAndKeepsMatchingRows() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["all", "--quick", "--quiet", "--filter", "harness/timer", "--output", dir.path, "--run-id", "f"])
        #expect(r.status == 0, "\(r.stderr)")
        let run = dir.appendingPathComponent("f")
        let files = try FileManager.default.contentsOfDirectory(atPath: run.path).sorted()
        #expect(files == ["environment.json", "harness.csv"])
        let rows = try CLI.rows(run.appendingPathComponent("harness.csv"))
        #expect(!rows.isEmpty)
        // Besides the matching rows, only those the runner adds to every suite (`_timer`, `_calibration`).
        #expect(rows.allSatisfy { $0["benchmark"] == "timer" || $0["benchmark"]!.hasPrefix("_") })
    }

    @Test func compactSamplesReadBack() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["run", "harness", "--quick", "--quiet", "--samples", "--output", dir.path, "--run-id", "s"])
        #expect(r.status == 0)
        let gz = dir.appendingPathComponent("s/harness.samples.csv.gz")
        let bytes = try Data(contentsOf: gz)
        #expect(bytes.prefix(2) == Data([0x1f, 0x8b]))  // gzip magic
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["gzip", "-dc", gz.path]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let lines = text.split(separator: "\r\n")
        #expect(lines.first == "run_id,suite,benchmark,params,metric,repetition,unit,count,samples")
        for line in lines.dropFirst() {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false)
            let count = Int(fields[fields.count - 2])
            #expect(count == fields.last?.split(separator: " ").count)
        }
        #expect(lines.count > 1)
    }
}
