import Foundation

/// `<suite>.json` (with `--format json`): google/benchmark's JSON layout, so
/// its `tools/compare.py`, github-action-benchmark's `googlecpp` tool and
/// Bencher's `cpp_google` adapter read our timings.
///
/// Those readers treat every entry of `benchmarks` as a time (compare.py
/// reads `real_time` and `cpu_time` of every non-aggregate entry for its
/// geometric mean; the other two read `real_time` and `time_unit` of every
/// entry), so only *timings* go there:
///
/// - `benchmarks`: rows with status ok, a finite value in a time unit
///   (`ticks`, converted with the run's TSC frequency, or `ns`, `us`, `ms`,
///   `s`) and source `measured` or `proxy`, unless a repetition of the same
///   name is negative (a difference of timings, not a duration).  One `run_type: "iteration"`
///   entry per row and repetition, named `suite/benchmark/params/metric`
///   (params omitted when empty; whitespace replaced by `_`), with
///   `real_time` = `cpu_time` = the median in `time_unit` "ns" (one pinned
///   thread: wall and CPU time are the same measurement), `iterations` =
///   the sample count, `family_index` per suite benchmark and
///   `per_family_instance_index` per name within it.  With more than one
///   repetition, only `run_type: "aggregate"` entries (`aggregate_name`
///   mean and median, from `SuiteReport.aggregates`), as google/benchmark
///   writes them with `--benchmark_report_aggregates_only`; the standard
///   deviation is a counter (`stddev_ns`) of the median entry, never an
///   entry.  github-action-benchmark's `googlecpp` reader (src/extract.ts,
///   src/write/findAlerts.ts) turns every entry into `{name, value:
///   real_time}` and compares each with the *first* previous entry of its
///   name at current / previous > 2 (its default 200 %): repetitions
///   sharing a name compare each one with the previous run's first, and a
///   `_stddev` entry that was 0 gives a ratio of infinity, so both raised
///   alerts between two runs of the same code.
/// - `xfd_bench_rows`: every other row (sizes, counts, ratios, model
///   outputs, skipped and failed rows with their reason), a key the three
///   readers ignore.  A skipped row is never a zero time.
/// - Every entry of both lists carries `source`, `depends` and `gate`.
/// - `context`: google/benchmark's keys (`date`, `host_name`, `executable`,
///   `num_cpus`, `mhz_per_cpu` = TSC MHz, `cpu_scaling_enabled`, `caches`
///   (empty: not probed), `load_avg` from the environment record,
///   `library_build_type`, `json_schema_version` 1) plus ours (`run_id`,
///   `host_fingerprint`, `tsc_hz`, `cpu_brand`, `tool_version`, `git_commit`,
///   `schema_version`, `repetitions`, `quick`, `suite`).
public struct GoogleBenchmarkJSONReporter: Reporter {
    public init() {}
    public var format: String { "json" }

    /// Nanoseconds per unit for units that are times; nil for others.
    /// `tscHz` is ticks per second.
    public static func nanosecondsPerUnit(_ unit: String, tscHz: Double) -> Double? {
        switch unit {
        case "ticks", "tick": return tscHz > 0 && tscHz.isFinite ? 1e9 / tscHz : nil
        case "ns": return 1
        case "us", "µs": return 1e3
        case "ms": return 1e6
        case "s": return 1e9
        default: return nil
        }
    }

    /// `suite/benchmark/params/metric` (params omitted when empty), with
    /// whitespace replaced by `_`: readers split names on spaces.
    public static func name(_ r: ResultRow) -> String {
        let params = r.params.description
        let parts = [r.suite, r.benchmark] + (params.isEmpty ? [] : [params]) + [r.metric]
        return String(parts.joined(separator: "/").map { $0.isWhitespace ? "_" : $0 })
    }

    /// The row's figure in nanoseconds when it is a timing these readers
    /// may see: ok, finite, a time unit, measured directly or via a proxy.
    public static func nanoseconds(_ r: ResultRow, tscHz: Double) -> Double? {
        guard r.status == .ok, r.source == .measured || r.source == .proxy,
              let v = r.value, let scale = nanosecondsPerUnit(r.unit, tscHz: tscHz) else { return nil }
        let ns = v * scale
        return ns.isFinite ? ns : nil
    }

    public func write(_ report: SuiteReport, to dir: URL) throws -> [String] {
        let env = report.environment
        let repetitions = report.rows.map(\.repetition).max() ?? 1
        var order: [String] = []
        var byName: [String: [(row: ResultRow, ns: Double)]] = [:]
        var others: [[String: Any]] = []
        for r in report.rows {
            guard let ns = Self.nanoseconds(r, tscHz: env.tscHz) else {
                others.append(Self.otherEntry(r))
                continue
            }
            let n = Self.name(r)
            if byName[n] == nil { order.append(n) }
            byName[n, default: []].append((r, ns))
        }
        // A difference of timings can be negative: not a duration, and a
        // geometric mean over it is NaN.  Such a name stays out whole.
        for n in order where byName[n]?.contains(where: { $0.ns < 0 }) == true {
            others += byName[n]?.map { Self.otherEntry($0.row) } ?? []
            byName[n] = nil
        }
        var families: [String: Int] = [:]
        var instances: [String: Int] = [:]
        var benchmarks: [[String: Any]] = []
        for n in order {
            guard let rows = byName[n], let first = rows.first?.row else { continue }
            let family = families[first.benchmark] ?? families.count
            families[first.benchmark] = family
            let instance = instances[first.benchmark, default: 0]
            instances[first.benchmark] = instance + 1
            let common: [String: Any] = [
                "run_name": n, "family_index": family, "per_family_instance_index": instance,
                "threads": 1, "time_unit": "ns",
                "source": first.source.rawValue, "depends": first.depends.rawValue,
                "gate": first.gate.rawValue,
                "label": "source=\(first.source.rawValue); depends=\(first.depends.rawValue); unit=\(first.unit)",
            ]
            let scale = rows[0].ns / (rows[0].row.value ?? 1)
            let aggregates = scale.isFinite ? report.aggregates[first.key] ?? [] : []
            // One figure: its entry.  More: the aggregates stand for them (see above).
            for (r, ns) in rows where aggregates.isEmpty {
                var e = common
                e["name"] = n
                e["run_type"] = "iteration"
                e["repetitions"] = repetitions
                e["repetition_index"] = r.repetition - 1
                e["iterations"] = max(1, r.summary?.count ?? 1)
                e["real_time"] = ns
                e["cpu_time"] = ns
                e[r.unit] = r.value ?? 0  // the figure in its own unit, as a user counter
                benchmarks.append(e)
            }
            let stddev = aggregates.first { $0.name == "stddev" }
            for agg in aggregates where agg.name != "stddev" {
                var e = common
                e["name"] = "\(n)_\(agg.name)"
                e["run_type"] = "aggregate"
                e["aggregate_name"] = agg.name
                e["aggregate_unit"] = "time"
                e["repetitions"] = agg.count
                e["iterations"] = agg.count
                e["real_time"] = agg.value * scale
                e["cpu_time"] = agg.value * scale
                e[first.unit] = agg.value
                if agg.name == "median", let stddev { e["stddev_ns"] = stddev.value * scale }
                benchmarks.append(e)
            }
        }
        let context: [String: Any] = [
            "date": env.date,
            "host_name": env.hostname,
            "executable": env.commandLine.first ?? "benchmark",
            "num_cpus": env.onlineCPUs,
            "mhz_per_cpu": env.tscHz.isFinite ? (env.tscHz / 1e6).rounded() : 0,
            "cpu_scaling_enabled": !(env.governor == "performance" || env.governor.hasPrefix("unknown")),
            "caches": [Any](),
            "load_avg": env.loadAverage ?? [],
            "library_build_type": env.buildConfiguration ?? EnvironmentRecord.buildConfiguration,
            "json_schema_version": 1,
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
        let json: [String: Any] = ["context": context, "benchmarks": benchmarks, "xfd_bench_rows": others]
        let name = "\(report.suite).json"
        try AtomicFile.writeJSON(json, to: dir.appendingPathComponent(name))
        return [name]
    }

    /// A row that is not a timing: every column, the value null when absent.
    static func otherEntry(_ r: ResultRow) -> [String: Any] {
        var e: [String: Any] = [
            "name": name(r), "suite": r.suite, "benchmark": r.benchmark, "params": r.params.description,
            "metric": r.metric, "repetition": r.repetition, "source": r.source.rawValue,
            "depends": r.depends.rawValue, "gate": r.gate.rawValue, "status": r.status.rawValue,
            "unit": r.unit, "note": r.note,
        ]
        if let v = r.value, v.isFinite { e["value"] = v } else { e["value"] = NSNull() }
        return e
    }
}
