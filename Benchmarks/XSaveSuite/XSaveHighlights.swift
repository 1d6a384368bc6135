import BenchCore
import Foundation

/// The AMX save/restore time a host without AMX can only estimate: the
/// recorded AMX image size divided by the host's measured bytes per tick
/// for its largest dirty image.  A linear model with one measured input;
/// every row is `source=model`, `gate=info`, and says it is an estimate.
enum AMXEstimate {
    static let suite = "xsave"

    static func rows(recorded: [XSaveSizeModel], timing t: XSaveHostTiming) -> (rows: [ResultRow], lines: [String]) {
        let amxModels = recorded.filter { $0.featureSet(.amxTileData).supported }
        guard let set = t.measuredSets.last else { return ([], []) }
        guard !amxModels.isEmpty else {
            return ([.skipped(suite, "amx-estimate", ["cpu": "none"], metric: "xsave_ticks", unit: "ticks",
                              source: .model, depends: .none, reason: "no recorded CPU with AMX selected by cpu-model")], [])
        }
        var rows: [ResultRow] = []
        var lines: [String] = []
        // (metric, op whose measured rate is used, format of the AMX image)
        let ops: [(String, TimedOp, Bool)] = [("xsave_ticks", .xsave, false), ("xsavec_ticks", .xsavec, true),
                                              ("xrstor_ticks", .xrstor, false)]
        for m in amxModels {
            let f = m.featureSet(.amxTileData)
            var est: [String: Double] = [:]
            for (metric, op, compacted) in ops {
                let p: Params = ["cpu": m.cpuID, "set": f.set.label, "rate-from": "host \(set.label) dirty \(op.rawValue)"]
                guard let ticks = t.median(set, .dirty, op), let bytes = t.probes.bytes(set, .dirty, op),
                      ticks > 0 else {
                    rows.append(.skipped(suite, "amx-estimate", p, metric: metric, unit: "ticks", source: .model,
                                         depends: .machine, reason: "the host has no measured \(op.rawValue) rate to scale"))
                    continue
                }
                let image = compacted ? f.compactedSize : f.standardSize
                let value = Double(image) / (Double(bytes) / ticks)
                est[metric] = value
                rows.append(.figure(suite, "amx-estimate", p, metric: metric, value, unit: "ticks", source: .model,
                                    gate: .info,
                                    depends: .machine, note: String(format: "estimate, not measured: %d-byte AMX image / host rate %.2f bytes/tick (%d bytes written in %.1f ticks); proportional model with no fixed cost, so the host's fixed per-instruction cost is scaled up too (high for XRSTOR); tile data may move at a different rate",
                                                 image, Double(bytes) / ticks, bytes, ticks)))
            }
            if let s = est["xsave_ticks"], let r = est["xrstor_ticks"] {
                rows.append(.figure(suite, "amx-estimate", ["cpu": m.cpuID, "set": f.set.label], metric: "pair_ticks",
                                    s + r, unit: "ticks", source: .model, gate: .info,
                                    depends: .machine, note: "estimate, not measured: xsave_ticks + xrstor_ticks"))
                lines.append(String(format: "%@ AMX image (%d B): XSAVE+XRSTOR ~%.0f ticks (estimate, not measured: scaled from this host's bytes/tick)",
                                    m.cpuID, f.standardSize, s + r))
            }
        }
        return (rows, lines)
    }
}

/// The lines printed for people after the suite.
enum Highlights {
    /// AVX-to-AMX growth per CPU, in the standard format.
    static func growth(models: [XSaveSizeModel], host: XSaveSizeModel?, rules: LinuxXStateRules) -> [String] {
        var lines: [String] = []
        for m in models + (host.map { [$0] } ?? []) {
            let avx = m.featureSet(.avx), amx = m.featureSet(.amxTileData)
            let linux = m.linux(rules)
            if amx.supported {
                lines.append(String(format: "%@: +AVX %d B -> +AMX %d B standard (+%d B, x%.2f); compacted %d -> %d B; Linux " + rules.kernel.release + " task buffer %d -> %d B expanded (x%.2f); signal frame %d -> %d B (SIGSTKSZ 8192)",
                                    m.cpuID, avx.standardSize, amx.standardSize, amx.standardSize - avx.standardSize,
                                    Double(amx.standardSize) / Double(avx.standardSize),
                                    avx.compactedSize, amx.compactedSize, linux.defaultBytes, linux.expandedBytes,
                                    linux.growthFactor, linux.sigframeDefault, linux.sigframeExpanded))
            } else {
                let all = m.standardSizeForXCR0
                lines.append(String(format: "%@: no AMX; +AVX %d B -> all of XCR0 %d B standard (x%.2f), compacted %d B; Linux " + rules.kernel.release + " context size %d B; signal frame %d B",
                                    m.cpuID, avx.standardSize, all, Double(all) / Double(avx.standardSize),
                                    m.compactedSizeForXCR0, linux.contextBytes, linux.sigframeExpanded))
            }
        }
        return lines
    }

    /// Measured costs for the host's largest mask.
    static func hostCosts(_ t: XSaveHostTiming, ctx: SuiteContext) -> [String] {
        guard let set = t.measuredSets.last else { return ["host: no XSAVE timing ran"] }
        var lines: [String] = []
        for state in StateCondition.allCases {
            let parts = TimedOp.allCases.compactMap { op -> String? in
                guard let v = t.median(set, state, op) else { return nil }
                return String(format: "%@ %.0f (%.0f ns)", op.rawValue, v, ctx.nanoseconds(ticks: v))
            }
            lines.append("host \(set.label) (mask \(hex(t.masks[set] ?? 0))), \(state.rawValue), median ticks: "
                         + parts.joined(separator: ", "))
        }
        return lines
    }
}
