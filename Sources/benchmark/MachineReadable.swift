import BenchCore
import Foundation

/// JSON text of an object, keys sorted; `{}` if it cannot be encoded.
func jsonText(_ object: Any) -> String {
    guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]) else {
        return "{}"
    }
    return String(decoding: data, as: UTF8.self)
}

/// `benchmark list --json`: suites, their benchmarks, parameters and
/// duration estimates, the recorded CPUs and the report formats.
enum ListJSON {
    static func object(_ suites: [BenchmarkSuite]) -> [String: Any] {
        [
            "suites": suites.map { s -> [String: Any] in
                var o: [String: Any] = [
                    "name": s.name, "summary": s.summary,
                    "benchmarks": s.benchmarks.map { ["name": $0.name, "help": $0.help] },
                    "parameters": s.parameters.map { ["name": $0.name, "default": $0.defaultValue, "help": $0.help,
                                                       "takes": $0.kind.description] },
                ]
                if let e = s.estimatedSeconds { o["estimated_seconds"] = ["quick": e.quick, "full": e.full] }
                return o
            },
            "cpu_models": CPUCatalog.all.map { ["id": $0.id, "name": $0.name] },
            "formats": ReportFormat.allValueStrings,
        ]
    }
}

/// `benchmark env --json`: what `benchmark env` prints, as one object.
enum EnvJSON {
    static func object(cpu: CPUDescription, tsc: TSCFrequency) -> [String: Any] {
        let facts = EnvironmentRecord.hostFacts()
        var o: [String: Any] = [
            "cpu_vendor": cpu.vendor, "cpu_family": cpu.family, "cpu_model": cpu.model,
            "cpu_stepping": cpu.stepping, "cpu_brand": cpu.brand,
            "microcode": cpu.microcode ?? NSNull(), "hypervisor": cpu.hypervisorVendor ?? NSNull(),
            "kernel": facts.kernel, "kernel_identity": EnvironmentRecord.kernelIdentity(),
            "hostname": facts.hostname, "online_cpus": facts.onlineCPUs,
            "current_cpu": Affinity.currentCPU(), "governor": facts.governor, "smt": facts.smt,
            "tsc_hz": tsc.hz, "tsc_method": tsc.method.rawValue, "tsc_calibrated_hz": tsc.calibratedHz,
            "features": Dictionary(uniqueKeysWithValues: cpu.features.list),
            "xcr0": cpu.xcr0.map { "0x" + String($0, radix: 16) } ?? NSNull(),
            "cpu_identity": cpu.identity,
            "host_fingerprint": EnvironmentRecord.fingerprint(cpu: cpu, onlineCPUs: facts.onlineCPUs),
            "load_average": EnvironmentRecord.loadAverage(),
        ]
        if let x = cpu.xsave {
            o["xsave"] = [
                "standard_bytes": x.standardSize(for: x.enabledMask),
                "compacted_bytes": x.compactedSize(for: x.enabledMask),
                "cpuid_standard_bytes": x.reportedStandardSizeForXCR0,
                "components": x.components.map { c -> [String: Any] in
                    ["index": c.index, "name": c.name, "bytes": c.size, "standard_offset": c.standardOffset,
                     "align64": c.aligned64, "xfd": c.xfdCapable, "supervisor": c.supervisor,
                     "enabled": x.enabledMask >> UInt64(c.index) & 1 == 1]
                },
            ]
        }
        return o
    }
}

/// `--dry-run`: what a run would do and roughly how long, without running.
enum DryRun {
    static func text(_ options: RunOptions, _ suites: [BenchmarkSuite]) throws -> String {
        // The same checks, in the same order, as the run it stands for.
        try Runner.checkHost()
        try Runner.configure(suites, options: options, host: CPUDescription.host())
        let plan = options.filter?.plan(suites) ?? suites.map { ($0, $0.benchmarks.map(\.name)) }
        let reps = options.repetitions
        var out = "would run \(plan.count) suite\(plan.count == 1 ? "" : "s")"
            + (options.quick ? " --quick" : "") + ", \(reps) repetition\(reps == 1 ? "" : "s")"
            + (options.filter.map { ", filter '\($0.pattern)'" } ?? "") + ":\n"
        var total = 0.0
        var unknown: [String] = []
        for (suite, benchmarks) in plan {
            let all = suite.benchmarks.count
            let which = benchmarks.count == all ? "all \(all) benchmarks" : "\(benchmarks.joined(separator: ", ")) (\(benchmarks.count) of \(all))"
            var line = "  \(suite.name): \(which)"
            if let e = suite.estimatedSeconds {
                let seconds = (options.quick ? e.quick : e.full) * Double(reps)
                total += seconds
                line += ", ~\(duration(seconds))"
            } else {
                unknown.append(suite.name)
                line += ", duration unknown"
            }
            out += line + "\n"
        }
        out += "about \(duration(total)) in all"
            + (unknown.isEmpty ? "" : " plus \(unknown.joined(separator: ", "))")
            + " (estimates for a 2-vCPU VM; a filter that selects part of a suite may still take most of it)\n"
        if let filter = options.filter, filter.named(suites) == nil {
            out += "the filter names no benchmark: every one runs, and the run fails (exit 1, nothing kept) if it keeps no row\n"
        }
        out += "nothing was run or written\n"
        return out
    }

    /// "40 s", "3 min", "1.5 h".
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite, seconds >= 0 else { return "?" }
        if seconds < 90 { return "\(Int(seconds.rounded(.up))) s" }
        if seconds < 5400 { return "\(Int((seconds / 60).rounded())) min" }
        return String(format: "%.1f h", seconds / 3600)
    }
}
