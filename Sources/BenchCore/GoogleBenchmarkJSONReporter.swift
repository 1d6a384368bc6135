import Foundation

/// `<suite>.json` (with `--format json`): google/benchmark's JSON layout, so
/// its `tools/compare.py` and dashboards that read that format take our
/// results.
///
/// - `context`: google/benchmark's keys (`date`, `host_name`, `executable`,
///   `num_cpus`, `mhz_per_cpu` = TSC MHz, `cpu_scaling_enabled`, `caches`
///   (empty: not probed), `load_avg`, `library_build_type`) plus ours
///   (`run_id`, `host_fingerprint`, `tsc_hz`, `cpu_brand`, `tool_version`,
///   `git_commit`, `schema_version`, `repetitions`, `quick`).
/// - `benchmarks`: one `run_type: "iteration"` entry per row and repetition,
///   named `suite/benchmark/params/metric` (params omitted when empty).
///   Rows in time units (`ticks`, converted with the run's TSC frequency,
///   or `ns`, `us`, `ms`, `s`) carry `real_time` = `cpu_time` = the median
///   in `time_unit` "ns" (a single thread on a pinned CPU: wall and CPU
///   time are the same measurement) and `iterations` = the sample count.
///   Other rows (sizes, counts, ratios) carry no `real_time`: compare.py
///   skips them rather than reading a size as a time.  Every entry has the
///   counter `value` (the figure in its own unit); `label` states
///   `unit=...; source=...; gate=...`.  Rows that are not ok have
///   `error_occurred` and `error_message`.
/// - With more than one repetition, `run_type: "aggregate"` entries
///   (`aggregate_name` mean, median, stddev) over the repetitions follow
///   each time row, as google/benchmark writes them.
public struct GoogleBenchmarkJSONReporter: Reporter {
    public init() {}
    public var format: String { "json" }

    /// Nanoseconds per unit for units that are times; nil for others.
    /// `tscHz` is ticks per second.
    public static func nanosecondsPerUnit(_ unit: String, tscHz: Double) -> Double? {
        switch unit {
        case "ticks", "tick": return tscHz > 0 ? 1e9 / tscHz : nil
        case "ns": return 1
        case "us", "µs": return 1e3
        case "ms": return 1e6
        case "s": return 1e9
        default: return nil
        }
    }

    public static func name(_ r: ResultRow) -> String {
        let params = r.params.description
        return ([r.suite, r.benchmark] + (params.isEmpty ? [] : [params]) + [r.metric]).joined(separator: "/")
    }

    public func write(_ report: SuiteReport, to dir: URL) throws -> [String] {
        let env = report.environment
        let repetitions = report.rows.map(\.repetition).max() ?? 1
        var benchmarks: [[String: Any]] = []
        var familyIndex: [String: Int] = [:]
        var order: [String] = []
        var byName: [String: [ResultRow]] = [:]
        for r in report.rows {
            let n = Self.name(r)
            if byName[n] == nil { order.append(n); familyIndex[n] = familyIndex.count }
            byName[n, default: []].append(r)
        }
        for n in order {
            let rows = byName[n]!
            for r in rows {
                benchmarks.append(entry(r, name: n, family: familyIndex[n]!, repetitions: repetitions, env: env))
            }
            if repetitions > 1 { benchmarks += aggregates(rows, name: n, family: familyIndex[n]!, env: env) }
        }
        #if DEBUG
        let buildType = "debug"
        #else
        let buildType = "release"
        #endif
        var loads = [Double](repeating: 0, count: 3)
        let loadCount = getloadavg(&loads, 3)
        let context: [String: Any] = [
            "date": env.date,
            "host_name": env.hostname,
            "executable": env.commandLine.first ?? "benchmark",
            "num_cpus": env.onlineCPUs,
            "mhz_per_cpu": Int((env.tscHz / 1e6).rounded()),
            "cpu_scaling_enabled": !(env.governor == "performance" || env.governor.hasPrefix("unknown")),
            "caches": [Any](),
            "load_avg": loadCount > 0 ? Array(loads.prefix(Int(loadCount))) : [],
            "library_build_type": buildType,
            "run_id": env.runId,
            "host_fingerprint": env.hostFingerprint,
            "tsc_hz": env.tscHz,
            "cpu_brand": env.cpuBrand,
            "tool_version": env.toolVersion,
            "git_commit": env.gitCommit ?? "",
            "schema_version": ReportSchema.version,
            "repetitions": repetitions,
            "quick": env.quick,
            "suite": report.suite,
        ]
        let json: [String: Any] = ["context": context, "benchmarks": benchmarks]
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: json, options: [.prettyPrinted, .sortedKeys])
        } catch {
            throw BenchError.output("cannot encode \(report.suite).json: \(error.localizedDescription)")
        }
        let name = "\(report.suite).json"
        try AtomicFile.write(data + Data("\n".utf8), to: dir.appendingPathComponent(name))
        return [name]
    }

    /// One iteration entry.
    func entry(_ r: ResultRow, name: String, family: Int, repetitions: Int, env: EnvironmentRecord) -> [String: Any] {
        var e: [String: Any] = [
            "name": name,
            "run_name": name,
            "run_type": "iteration",
            "family_index": family,
            "per_family_instance_index": 0,
            "repetitions": repetitions,
            "repetition_index": r.repetition - 1,
            "threads": 1,
            "iterations": r.summary?.count ?? 1,
            "label": "unit=\(r.unit); source=\(r.source.rawValue); gate=\(r.gate.rawValue)",
        ]
        if let v = r.value, v.isFinite { e["value"] = v }
        if r.status != .ok {
            e["error_occurred"] = true
            e["error_message"] = "\(r.status.rawValue): \(r.note)"
        }
        if let scale = Self.nanosecondsPerUnit(r.unit, tscHz: env.tscHz) {
            let ns = (r.value ?? 0) * scale
            e["real_time"] = ns.isFinite ? ns : 0
            e["cpu_time"] = ns.isFinite ? ns : 0
            e["time_unit"] = "ns"
        }
        return e
    }

    /// mean, median and stddev over the repetitions of one time row.
    func aggregates(_ rows: [ResultRow], name: String, family: Int, env: EnvironmentRecord) -> [[String: Any]] {
        guard let unit = rows.first?.unit, let scale = Self.nanosecondsPerUnit(unit, tscHz: env.tscHz) else { return [] }
        let values = rows.filter { $0.status == .ok }.compactMap(\.value).filter(\.isFinite)
        guard values.count >= 2 else { return [] }
        let s = Summary(values)
        return [("mean", s.mean), ("median", s.median), ("stddev", s.stddev)].map { agg, v in
            [
                "name": "\(name)_\(agg)",
                "run_name": name,
                "run_type": "aggregate",
                "aggregate_name": agg,
                "aggregate_unit": "time",
                "family_index": family,
                "per_family_instance_index": 0,
                "repetitions": rows.count,
                "threads": 1,
                "iterations": values.count,
                "real_time": v * scale,
                "cpu_time": v * scale,
                "time_unit": "ns",
                "value": v,
                "label": "unit=\(unit); over \(values.count) repetition medians",
            ] as [String: Any]
        }
    }
}
