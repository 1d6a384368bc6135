@testable import BenchCore
import Foundation
import Testing

@Suite struct GoogleBenchmarkJSONTests {
    @Test func writesGoogleBenchmarkLayout() throws {
        let dir = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = try Fixture.environment(runId: "r1", tscHz: 2e9)
        var rows = Fixture.timing("t", [1000, 1010]) + Fixture.exact("x", 8192, reps: 2)
        var skipped = ResultRow.skipped("s", "amx", metric: "op", unit: "ticks", depends: .cpu, reason: "no AMX")
        skipped.repetition = 1
        rows.append(skipped)
        let names = try GoogleBenchmarkJSONReporter().write(SuiteReport(suite: "s", rows: rows, environment: env), to: dir)
        #expect(names == ["s.json"])
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("s.json")))
        let json = try #require(object as? [String: Any])
        let context = try #require(json["context"] as? [String: Any])
        #expect(context["run_id"] as? String == "r1")
        #expect(context["host_fingerprint"] as? String == Fixture.host)
        #expect((context["num_cpus"] as? NSNumber)?.intValue == 8)
        #expect(context["library_build_type"] != nil)
        #expect(context["caches"] is [Any])
        let benchmarks = try #require(json["benchmarks"] as? [[String: Any]])

        let timing = benchmarks.filter { $0["name"] as? String == "s/t/op" }
        #expect(timing.count == 2)
        #expect(timing.allSatisfy { $0["run_type"] as? String == "iteration" && $0["time_unit"] as? String == "ns" })
        // 1000 ticks at 2 GHz = 500 ns.
        #expect((timing[0]["real_time"] as? NSNumber)?.doubleValue == 500)
        #expect((timing[0]["cpu_time"] as? NSNumber)?.doubleValue == 500)
        #expect((timing[1]["repetition_index"] as? NSNumber)?.intValue == 1)
        #expect((timing[0]["repetitions"] as? NSNumber)?.intValue == 2)

        let median = try #require(benchmarks.first { $0["name"] as? String == "s/t/op_median" })
        #expect(median["run_type"] as? String == "aggregate")
        #expect((median["real_time"] as? NSNumber)?.doubleValue == 502.5)

        // A size is a counter, not a time.
        let size = try #require(benchmarks.first { $0["name"] as? String == "s/x/size" })
        #expect(size["real_time"] == nil)
        #expect((size["value"] as? NSNumber)?.doubleValue == 8192)
        #expect((size["label"] as? String)?.contains("unit=bytes") == true)

        let amx = try #require(benchmarks.first { $0["name"] as? String == "s/amx/op" })
        #expect((amx["error_occurred"] as? NSNumber)?.boolValue == true)
        #expect((amx["error_message"] as? String)?.contains("no AMX") == true)
    }
}
