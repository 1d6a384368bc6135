import BenchCore
import Foundation

/// `benchmark summary RUN`: the three answers of a result folder with their
/// key figures, each figure's source, the host and kernel, and the command
/// that reproduces the run.  Plain text of at most 72 columns (what fits a
/// mailing-list reply) or markdown for a pull request, from the same lines.
public enum RunSummary {
    /// One figure and where it comes from.
    struct Figure {
        var label: String
        var value: String
        var source: String
    }

    /// One answered question.
    struct Answer {
        var title: String
        var verdict: String
        var figures: [Figure]
        var missing: String?
    }

    /// The summary of `folder`; `record` is its environment.json as a
    /// dictionary (for the host's words and the command line).
    public static func text(_ folder: ResultFolder, record: [String: Any], markdown: Bool) -> String {
        let answers = [fleet(folder.rows), fpstate(folder.rows), xsave(folder.rows)]
        let brand = record["cpu_brand"] as? String ?? "unknown CPU"
        let kernel = record["kernel"] as? String ?? folder.info.kernelIdentity
        let command = (record["command_line"] as? [String]).map { args in
            (["benchmark"] + args.dropFirst()).joined(separator: " ")
        } ?? "benchmark all"
        let header = "xfd-bench run \(folder.info.runId)"
        let host = "host: \(brand); \(kernel)"
        let tool = "tool \(folder.info.toolVersion ?? "?"), commit \(folder.info.gitCommit ?? "?")"
            + ((folder.info.quick ?? false) ? ", --quick" : "")
        if markdown {
            var out = "### \(header)\n\n\(host)  \n\(tool)\n\n"
            for (i, a) in answers.enumerated() {
                out += "**\(i + 1). \(a.title)** \(a.missing ?? a.verdict)\n\n"
                if !a.figures.isEmpty {
                    out += "| figure | value | source |\n|---|---:|---|\n"
                    for f in a.figures { out += "| \(f.label) | \(f.value) | \(f.source) |\n" }
                    out += "\n"
                }
            }
            out += "Reproduce: `\(command)`, then `benchmark summary \(folder.url.path)`\n"
            return out
        }
        var out: [String] = [header, host, tool, ""]
        for (i, a) in answers.enumerated() {
            out += wrap("\(i + 1). \(a.title)", indent: "   ")
            out += wrap(a.missing ?? a.verdict, indent: "   ", first: "   ")
            for f in a.figures {
                out += wrap("\(f.label): \(f.value) [\(f.source)]", indent: "     ", first: "   - ")
            }
            out.append("")
        }
        out += wrap("Reproduce: \(command)", indent: "  ")
        out += wrap("then: benchmark summary \(folder.url.path)", indent: "  ")
        return out.joined(separator: "\n") + "\n"
    }

    /// Words of `text` in lines of at most `width` columns; a word longer
    /// than a line is cut.
    static func wrap(_ text: String, width: Int = 72, indent: String, first: String = "") -> [String] {
        var lines: [String] = []
        var line = first
        for word in text.split(separator: " ") {
            var w = String(word)
            let prefix = lines.isEmpty && line == first ? first : indent
            if line.count > prefix.count, line.count + 1 + w.count > width {
                lines.append(line)
                line = indent
            }
            while line.count + w.count > width, w.count > 1 {
                let room = max(1, width - line.count)
                lines.append(line + w.prefix(room))
                w = String(w.dropFirst(room))
                line = indent
            }
            line += (line == indent || line == first ? "" : " ") + w
        }
        if line != indent && line != first || lines.isEmpty { lines.append(line) }
        return lines
    }

    /// Rows of the last repetition with a value, matching `suite/benchmark/metric`.
    static func rows(_ all: [StoredRow], _ suite: String, _ benchmark: String, _ metric: String) -> [StoredRow] {
        let matching = all.filter {
            $0.suite == suite && $0.benchmark == benchmark && $0.metric == metric && $0.status == .ok && $0.value != nil
        }
        let last = matching.map(\.repetition).max() ?? 1
        return matching.filter { $0.repetition == last }
    }

    static func number(_ v: Double, digits: Int = 1) -> String {
        if v == v.rounded() && abs(v) < 1e12 { return String(Int64(v)) }
        return String(format: "%.\(digits)f", v)
    }

    /// 1024 -> "1,024".
    static func grouped(_ n: Int) -> String {
        let f = NumberFormatter()
        f.numberStyle = .decimal; f.groupingSeparator = ","; f.locale = Locale(identifier: "en_US_POSIX")
        return f.string(from: NSNumber(value: n)) ?? String(n)
    }

    static func sources(_ rows: [StoredRow]) -> String {
        Set(rows.map(\.source.rawValue)).sorted().joined(separator: "+")
    }

    /// (a) fleet overhead of each XFD policy.
    static func fleet(_ all: [StoredRow]) -> Answer {
        let title = "XFD interception: fleet overhead of each policy"
        let rows = rows(all, "rdmsr-exit", "fleet", "overhead_pct")
        guard !rows.isEmpty else {
            return Answer(title: title, verdict: "", figures: [], missing: "no rdmsr-exit fleet rows in this run")
        }
        func param(_ r: StoredRow, _ key: String) -> String? { Params.parse(r.params)[key] }
        let costs = Set(rows.compactMap { param($0, "rdmsr") })
        // A measured stand-in first, then a mid-range swept cost.
        let chosen = ["proxy-rdtscp", "proxy-rdpid"].filter(costs.contains).prefix(1)
            + (costs.compactMap(Double.init).sorted().first { $0 >= 100 }.map { [CSV.number($0)] } ?? [])
        var figures: [Figure] = []
        var verdicts: [String] = []
        for cost in chosen {
            let at = rows.filter { param($0, "rdmsr") == cost }.sorted { ($0.value ?? 0) < ($1.value ?? 0) }
            let label = cost.hasPrefix("proxy")
                ? "RDMSR stand-in (\(cost.dropFirst("proxy-".count).uppercased()), not RDMSR itself)"
                : "RDMSR = \(cost) cycles (injected)"
            for r in at {
                figures.append(Figure(label: "\(label), \(param(r, "policy") ?? "?")",
                                      value: number(r.value ?? 0, digits: 2) + " %", source: r.source.rawValue))
            }
            // The winner against the runner-up, not against the worst policy.
            if at.count >= 2, let b = at[0].value, let r = at[1].value {
                verdicts.append("at \(label) \(param(at[0], "policy") ?? "?") costs least (\(number(b, digits: 2)) %; runner-up \(param(at[1], "policy") ?? "?") \(number(r, digits: 2)) %)")
            } else if let only = at.first, let b = only.value {
                verdicts.append("at \(label) only \(param(only, "policy") ?? "?") was run (\(number(b, digits: 2)) %)")
            }
        }
        let fleet = rows.first.flatMap { param($0, "fleet") } ?? "default"
        return Answer(title: title, verdict: "Fleet \(fleet): " + verdicts.joined(separator: "; ") + ".",
                      figures: figures)
    }

    /// (b) memory and latency of each fpstate allocation policy.
    static func fpstate(_ all: [StoredRow]) -> Answer {
        let title = "fpstate allocation: memory saved against latency added"
        let memory = rows(all, "fpstate-alloc", "memory", "resident_bytes_per_vcpu")
        let lifecycle = all.filter { $0.suite == "fpstate-alloc" && $0.benchmark == "lifecycle" && $0.status == .ok }
        guard !memory.isEmpty || !lifecycle.isEmpty else {
            return Answer(title: title, verdict: "", figures: [], missing: "no fpstate-alloc rows in this run")
        }
        func param(_ r: StoredRow, _ key: String) -> String? { Params.parse(r.params)[key] }
        var figures: [Figure] = []
        let adoption = memory.contains { param($0, "adoption") == "10" } ? "10" : memory.first.flatMap { param($0, "adoption") }
        // One named fleet size, the largest run: the per-vCPU figure of a
        // small fleet rounds its adopters (2 of 16 is 12.5 %, not 10 %).
        let vcpus = memory.compactMap { param($0, "vcpus").flatMap(Int.init) }.max()
        let fleetWords = vcpus.map { "\(grouped($0)) vCPUs" } ?? "the fleet"
        var perPolicy: [(String, Double)] = []
        for policy in Set(memory.compactMap { param($0, "policy") }).sorted() {
            let r = memory.filter {
                param($0, "policy") == policy && param($0, "adoption") == adoption && param($0, "vcpus").flatMap(Int.init) == vcpus
            }
            guard let row = r.first, let v = row.value else { continue }
            perPolicy.append((policy, v))
            figures.append(Figure(label: "\(policy), \(fleetWords), \(adoption ?? "?")% AMX: memory per vCPU",
                                  value: number(v / 1024) + " KiB", source: sources(r)))
        }
        let latency = lifecycle.filter { param($0, "allocator") == "malloc" && $0.unit == "ticks" }
        for r in latency where ["set_cpuid_ticks", "first_use_ticks", "create_ticks"].contains(r.metric)
            && r.repetition == (latency.map(\.repetition).max() ?? 1) {
            figures.append(Figure(label: "\(param(r, "policy") ?? "?"), \(r.metric.replacingOccurrences(of: "_ticks", with: "")) (malloc)",
                                  value: number(r.value ?? 0) + " ticks", source: r.source.rawValue))
        }
        var verdict = ""
        if let least = perPolicy.min(by: { $0.1 < $1.1 }), let most = perPolicy.max(by: { $0.1 < $1.1 }), most.1 > 0 {
            verdict = "At \(fleetWords) and \(adoption ?? "?")% AMX adoption \(least.0) holds \(number(least.1 / 1024)) KiB per vCPU against \(number(most.1 / 1024)) KiB for \(most.0) (\(number(100 * (1 - least.1 / most.1), digits: 0)) % less); it pays its expansion on first use instead."
        }
        return Answer(title: title, verdict: verdict, figures: figures)
    }

    /// (c) XSAVE buffer growth per CPU.
    static func xsave(_ all: [StoredRow]) -> Answer {
        let title = "XSAVE growth per CPU (Linux kernel buffer)"
        let growth = rows(all, "xsave", "linux-buffer", "growth_bytes")
        guard !growth.isEmpty else {
            return Answer(title: title, verdict: "", figures: [], missing: "no xsave linux-buffer rows in this run")
        }
        let factors = rows(all, "xsave", "linux-buffer", "growth_factor")
        let defaults = rows(all, "xsave", "linux-buffer", "kernel_default_bytes")
        let expanded = rows(all, "xsave", "linux-buffer", "kernel_expanded_bytes")
        var figures: [Figure] = []
        for g in growth {
            func same(_ list: [StoredRow]) -> Double? { list.first { $0.params == g.params }?.value }
            let cpu = Params.parse(g.params)["cpu"] ?? g.params
            let sizes = same(defaults).flatMap { from in same(expanded).map { "\(number(from)) -> \(number($0)) B, " } } ?? ""
            let factor = same(factors).map { " (x\(number($0, digits: 2)))" } ?? ""
            figures.append(Figure(label: cpu, value: "\(sizes)+\(number(g.value ?? 0)) B\(factor)",
                                  source: g.source.rawValue))
        }
        let grows = growth.filter { ($0.value ?? 0) > 0 }.map { Params.parse($0.params)["cpu"] ?? $0.params }
        let verdict = grows.isEmpty
            ? "No recorded CPU grows its buffer."
            : "Only \(grows.joined(separator: ", ")) grow\(grows.count == 1 ? "s" : ""): the AMX tile state; the others keep one size."
        return Answer(title: title, verdict: verdict, figures: figures)
    }
}
