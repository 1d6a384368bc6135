@testable import BenchCore
import Foundation
import Testing

/// What the readers of google/benchmark JSON require of a file, from their
/// sources:
/// - google/benchmark tools/compare.py (gbench/util.py, gbench/report.py):
///   `context.json_schema_version`, when present, must be 1; every entry
///   needs `name`; `partition_benchmarks` reads `time_unit` of every entry
///   whose name is shared by a comparable entry, so all entries of one name
///   need it; `calculate_geomean` reads `real_time` and `cpu_time` of every
///   entry whose `run_type` is not "aggregate", scaled by a `time_unit` among
///   ns/us/ms/s (a missing key is the `KeyError: 'real_time'` users saw);
///   aggregate entries need `aggregate_name`; `sort_benchmark_results` orders
///   by `family_index`, `per_family_instance_index`, run type and
///   `repetition_index`.
/// - github-action-benchmark src/extract.ts, tool `googlecpp`: maps every
///   entry to `{name, value: real_time, unit: time_unit + "/iter", extra:
///   iterations, cpu_time, threads}`: each needs those five keys, a number
///   as `real_time`.  Tool `customSmallerIsBetter`: a JSON array of
///   `{name: string, value: number, unit: string, range?, extra?}` (zod).
/// - Bencher's `cpp_google` adapter (serde): `context.caches` an array of
///   objects; every entry a `name` of 1...1024 bytes, a finite number
///   `real_time` and a `time_unit` among ps, ns, us, µs, μs, ms, s.
enum ReaderRequirements {
    static let compareUnits: Set<String> = ["ns", "us", "ms", "s"]
    static let bencherUnits: Set<String> = ["ps", "ns", "us", "µs", "μs", "ms", "s"]

    static func finiteNumber(_ v: Any?) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return n.doubleValue.isFinite
    }

    /// Every requirement a google/benchmark-format file breaks, in words.
    static func googleViolations(_ object: Any) -> [String] {
        guard let json = object as? [String: Any] else { return ["top level is not an object"] }
        var out: [String] = []
        guard let context = json["context"] as? [String: Any] else { return ["no context object"] }
        if let v = context["json_schema_version"], (v as? NSNumber)?.intValue != 1 {
            out.append("compare.py: context.json_schema_version is not 1")
        }
        if !(context["caches"] is [[String: Any]]) { out.append("bencher: context.caches is not an array of objects") }
        guard let benchmarks = json["benchmarks"] as? [[String: Any]] else { return out + ["no benchmarks array"] }
        var unitsByName: [String: Set<String>] = [:]
        for (i, b) in benchmarks.enumerated() {
            let name = b["name"] as? String ?? ""
            let at = "benchmarks[\(i)] \(name)"
            if name.isEmpty || name.utf8.count > 1024 { out.append("\(at): name must be 1...1024 bytes") }
            if name.contains(where: \.isWhitespace) { out.append("\(at): name contains whitespace") }
            for key in ["real_time", "cpu_time"] where !finiteNumber(b[key]) {
                out.append("\(at): \(key) is not a finite number")
            }
            let unit = b["time_unit"] as? String ?? ""
            if !compareUnits.contains(unit) || !bencherUnits.contains(unit) {
                out.append("\(at): time_unit '\(unit)' is not one every reader converts")
            }
            unitsByName[name, default: []].insert(unit)
            if !finiteNumber(b["iterations"]) { out.append("\(at): iterations missing (googlecpp extra)") }
            if !finiteNumber(b["threads"]) { out.append("\(at): threads missing (googlecpp extra)") }
            for key in ["family_index", "per_family_instance_index"] where !finiteNumber(b[key]) {
                out.append("\(at): \(key) missing (compare.py ordering)")
            }
            let runType = b["run_type"] as? String
            if runType == "aggregate" {
                if (b["aggregate_name"] as? String ?? "").isEmpty { out.append("\(at): aggregate without aggregate_name") }
            } else if runType == "iteration" {
                for key in ["repetitions", "repetition_index"] where !finiteNumber(b[key]) {
                    out.append("\(at): \(key) missing")
                }
            } else {
                out.append("\(at): run_type is neither iteration nor aggregate")
            }
            for key in ["source", "depends"] where (b[key] as? String ?? "").isEmpty {
                out.append("\(at): no \(key)")
            }
        }
        for (name, units) in unitsByName where units.count > 1 {
            out.append("\(name): entries of one name in several time units")
        }
        return out
    }

    /// Every requirement a customSmallerIsBetter file breaks.
    static func customViolations(_ object: Any) -> [String] {
        guard let list = object as? [[String: Any]] else { return ["top level is not an array of objects"] }
        var out: [String] = []
        for (i, e) in list.enumerated() {
            if (e["name"] as? String ?? "").isEmpty { out.append("[\(i)]: no name") }
            if !finiteNumber(e["value"]) { out.append("[\(i)]: value is not a finite number") }
            if (e["unit"] as? String ?? "").isEmpty { out.append("[\(i)]: no unit") }
            for key in ["range", "extra"] where e[key] != nil && !(e[key] is String) {
                out.append("[\(i)]: \(key) is not a string")
            }
        }
        return out
    }
}

@Suite struct GoogleBenchmarkJSONTests {
    /// Timings, sizes, a model time, a skipped timing and a proxy timing,
    /// over two repetitions.
    static func rows() -> [ResultRow] {
        var rows = Fixture.timing("t", [1000, 1010]) + Fixture.exact("x", 8192, reps: 2)
        for rep in 1...2 {
            var skipped = ResultRow.skipped("s", "amx", metric: "op", unit: "ticks", depends: .cpu, reason: "no AMX")
            skipped.repetition = rep
            var model = ResultRow.figure("s", "exit model", ["policy": "always intercept"], metric: "overhead",
                                         1500, unit: "ticks", source: .model, depends: .none)
            model.repetition = rep
            var proxy = ResultRow(suite: "s", benchmark: "rdpid", metric: "op", source: .proxy, gate: .timing,
                                  depends: .machine, value: 40, unit: "ticks", summary: Summary([39, 40, 41]))
            proxy.repetition = rep
            rows += [skipped, model, proxy]
        }
        return rows
    }

    static func write(_ rows: [ResultRow], reporter: Reporter) throws -> (Any, URL) {
        let dir = Fixture.tempDir()
        let env = try Fixture.environment(runId: "r1", tscHz: 2e9)
        let names = try reporter.write(SuiteReport(suite: "s", rows: rows, environment: env), to: dir)
        let data = try Data(contentsOf: dir.appendingPathComponent(try #require(names.first)))
        return (try JSONSerialization.jsonObject(with: data), dir)
    }

    @Test func everyReaderAcceptsTheFile() throws {
        let (object, dir) = try Self.write(Self.rows(), reporter: GoogleBenchmarkJSONReporter())
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(ReaderRequirements.googleViolations(object) == [])
    }

    @Test func onlyMeasuredTimingsAreBenchmarks() throws {
        let (object, dir) = try Self.write(Self.rows(), reporter: GoogleBenchmarkJSONReporter())
        defer { try? FileManager.default.removeItem(at: dir) }
        let json = try #require(object as? [String: Any])
        let benchmarks = try #require(json["benchmarks"] as? [[String: Any]])
        let names = benchmarks.compactMap { $0["name"] as? String }
        // Two repetitions: the aggregates stand for them; no stddev entry.
        #expect(names == ["s/t/op_mean", "s/t/op_median", "s/rdpid/op_mean", "s/rdpid/op_median"])
        #expect(benchmarks.allSatisfy { $0["run_type"] as? String == "aggregate" })
        // 1000 and 1010 ticks at 2 GHz: median 502.5 ns; stddev 7.07 ticks as a counter.
        #expect((benchmarks[1]["real_time"] as? NSNumber)?.doubleValue == 502.5)
        #expect((benchmarks[1]["cpu_time"] as? NSNumber)?.doubleValue == 502.5)
        #expect(benchmarks[1]["aggregate_name"] as? String == "median")
        let stddev = try #require((benchmarks[1]["stddev_ns"] as? NSNumber)?.doubleValue)
        #expect(abs(stddev - 0.5 * 50.0.squareRoot()) < 1e-9)
        #expect((benchmarks[1]["iterations"] as? NSNumber)?.intValue == 2)
        #expect(benchmarks[1]["source"] as? String == "measured")
        #expect(benchmarks[2]["source"] as? String == "proxy")
        #expect((benchmarks[2]["family_index"] as? NSNumber)?.intValue == 1)

        let others = try #require(json["xfd_bench_rows"] as? [[String: Any]])
        #expect(others.count == 6)  // 2 sizes, 2 skipped, 2 model
        let skipped = try #require(others.first { $0["benchmark"] as? String == "amx" })
        #expect(skipped["value"] is NSNull)
        #expect(skipped["status"] as? String == "skipped")
        #expect(skipped["note"] as? String == "no AMX")
        #expect(skipped["depends"] as? String == "cpu")
        let model = try #require(others.first { $0["benchmark"] as? String == "exit model" })
        #expect(model["name"] as? String == "s/exit_model/policy=always_intercept/overhead")
        #expect(others.allSatisfy { $0["source"] is String && $0["depends"] is String })
    }

    @Test func oneRepetitionIsOneIterationEntry() throws {
        let (object, dir) = try Self.write(Fixture.timing("t", [1000]), reporter: GoogleBenchmarkJSONReporter())
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(ReaderRequirements.googleViolations(object) == [])
        let benchmarks = try #require((object as? [String: Any])?["benchmarks"] as? [[String: Any]])
        #expect(benchmarks.count == 1)
        #expect(benchmarks[0]["name"] as? String == "s/t/op" && benchmarks[0]["run_type"] as? String == "iteration")
        #expect((benchmarks[0]["real_time"] as? NSNumber)?.doubleValue == 500)
        #expect((benchmarks[0]["iterations"] as? NSNumber)?.intValue == 3)
        #expect((benchmarks[0]["repetition_index"] as? NSNumber)?.intValue == 0)
    }

    /// Two runs of the same code on a shared machine: one repetition in
    /// three twice as slow, and a figure whose repetitions agree exactly
    /// (standard deviation 0) in one run and not in the other.
    static func unchangedPair() -> (baseline: [ResultRow], current: [ResultRow]) {
        (Fixture.timing("t", [1000, 1900, 1010]) + Fixture.timing("z", [40, 40, 40]),
         Fixture.timing("t", [1005, 995, 2100]) + Fixture.timing("z", [40, 40, 41]))
    }

    static func extracted(_ rows: [ResultRow]) throws -> [GoogleCppReader.Bench] {
        let (object, dir) = try write(rows, reporter: GoogleBenchmarkJSONReporter())
        defer { try? FileManager.default.removeItem(at: dir) }
        return GoogleCppReader.extract(object)
    }

    @Test func anUnchangedPairRaisesNoGooglecppAlert() throws {
        let pair = Self.unchangedPair()
        let prev = try Self.extracted(pair.baseline), cur = try Self.extracted(pair.current)
        #expect(prev.map(\.name) == ["s/t/op_mean", "s/t/op_median", "s/z/op_mean", "s/z/op_median"])
        #expect(GoogleCppReader.alerts(current: cur, previous: prev).isEmpty)
        // The same runs written as before (every repetition under one name,
        // and a stddev entry) alert twice: a repetition against the first
        // previous one (2100 / 1000), and a stddev that was 0 (infinity).
        func perRepetition(_ rows: [ResultRow]) -> [GoogleCppReader.Bench] {
            rows.map { GoogleCppReader.Bench(name: "s/\($0.benchmark)/op", value: $0.value! / 2) }
                + Dictionary(grouping: rows, by: \.benchmark).sorted { $0.key < $1.key }.map { b, r in
                    GoogleCppReader.Bench(name: "s/\(b)/op_stddev", value: Summary(r.compactMap(\.value)).stddev / 2)
                }
        }
        let old = GoogleCppReader.alerts(current: perRepetition(pair.current), previous: perRepetition(pair.baseline))
        #expect(old.map(\.name) == ["s/t/op", "s/z/op_stddev"])
        #expect(old.last?.ratio == .infinity)
    }

    @Test func aRealSlowdownStillAlerts() throws {
        let prev = try Self.extracted(Fixture.timing("t", [1000, 1004, 998]))
        let cur = try Self.extracted(Fixture.timing("t", [2500, 2510, 2490]))
        #expect(GoogleCppReader.alerts(current: cur, previous: prev).map(\.name) == ["s/t/op_mean", "s/t/op_median"])
    }

    @Test func contextCarriesLoadAverageFromTheRecord() throws {
        let (object, dir) = try Self.write(Self.rows(), reporter: GoogleBenchmarkJSONReporter())
        defer { try? FileManager.default.removeItem(at: dir) }
        let context = try #require((object as? [String: Any])?["context"] as? [String: Any])
        #expect(context["load_avg"] is [Any])
        #expect((context["json_schema_version"] as? NSNumber)?.intValue == 1)
        #expect(context["run_id"] as? String == "r1")
    }

    /// The validator fails on each defect users met.
    @Test func validatorCatchesWhatReadersReject() throws {
        let (object, dir) = try Self.write(Self.rows(), reporter: GoogleBenchmarkJSONReporter())
        defer { try? FileManager.default.removeItem(at: dir) }
        var json = try #require(object as? [String: Any])
        var benchmarks = try #require(json["benchmarks"] as? [[String: Any]])
        benchmarks.append(["name": "s/x/size", "run_type": "iteration", "value": 8192])  // no real_time
        benchmarks[0]["name"] = "s/has space/op"
        benchmarks[2].removeValue(forKey: "aggregate_name")
        json["benchmarks"] = benchmarks
        let v = ReaderRequirements.googleViolations(json)
        #expect(v.contains { $0.contains("s/x/size") && $0.contains("real_time") })
        #expect(v.contains { $0.contains("whitespace") })
        #expect(v.contains { $0.contains("aggregate_name") })
        #expect(ReaderRequirements.customViolations([["name": "a", "unit": "ns"]]) == ["[0]: value is not a finite number"])
    }

    @Test func smallerIsBetterFileMeetsTheCustomFormat() throws {
        let (object, dir) = try Self.write(Self.rows(), reporter: SmallerIsBetterJSONReporter())
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(ReaderRequirements.customViolations(object) == [])
        let list = try #require(object as? [[String: Any]])
        // One entry per timing: the median over repetitions.
        #expect(list.compactMap { $0["name"] as? String } == ["s/t/op", "s/rdpid/op"])
        #expect((list[0]["value"] as? NSNumber)?.doubleValue == 502.5)
        #expect(list[0]["unit"] as? String == "ns")
        #expect((list[0]["extra"] as? String)?.contains("source=measured") == true)
    }
}

/// github-action-benchmark's `googlecpp` reader and alert rule, written from
/// reading benchmark-action/github-action-benchmark: src/extract.ts
/// (`extractGoogleCppResult`, commit 8157ef49c686) maps *every* entry of
/// `benchmarks` to `{name: b.name, value: b.real_time}`, aggregates and
/// iterations alike; src/write/findAlerts.ts (commit 7605d51d372e) compares
/// each current bench with the first previous bench of the same name,
/// `ratio = current.value / prev.value` (`googlecpp` is smaller-is-better in
/// src/write/biggerIsBetter.ts), and alerts when `ratio > threshold`, 2.0
/// for the default `alert-threshold` of 200 %.  JavaScript's x / 0 is
/// Infinity and 0 / 0 NaN, as Swift's Double division.
enum GoogleCppReader {
    struct Bench: Equatable { var name: String; var value: Double }

    static func extract(_ object: Any) -> [Bench] {
        let list = (object as? [String: Any])?["benchmarks"] as? [[String: Any]] ?? []
        return list.map { Bench(name: $0["name"] as? String ?? "", value: ($0["real_time"] as? NSNumber)?.doubleValue ?? .nan) }
    }

    static func alerts(current: [Bench], previous: [Bench], threshold: Double = 2.0) -> [(name: String, ratio: Double)] {
        current.compactMap { cur in
            guard let prev = previous.first(where: { $0.name == cur.name }) else { return nil }
            let ratio = cur.value / prev.value
            return ratio > threshold ? (cur.name, ratio) : nil
        }
    }
}
