import BenchCore
import Foundation

/// The human summary: sizes, per-policy time and memory tables.
enum Highlights {
    static func sizes(_ cfg: FpstateAllocConfig) -> [String] {
        let s = cfg.sizes
        let fmt = s.compacted ? "compacted (XSAVES)" : "standard (XSAVE)"
        return [
            "buffer sizes for cpu-model \(s.cpu) under Linux \(s.kernel) rules (model), \(fmt) format, \(FpstateSizes.headerBytes)-byte header:",
            "  default  \(s.defaultBufferBytes) B = \(FpstateSizes.headerBytes) + \(s.defaultRegisterBytes) (mask 0x\(String(s.defaultMask, radix: 16)), \(FpstateSizes.pages(s.defaultBufferBytes)) page(s))",
            "  at vCPU creation: \(FpstateSizes.headerBytes + s.createRegisterBytesUntil6_14) B under 5.17-6.14, \(FpstateSizes.headerBytes + s.createRegisterBytesFrom6_15) B from 6.15",
            "  expanded \(s.expandedBufferBytes) B = \(FpstateSizes.headerBytes) + \(s.expandedRegisterBytes) (mask 0x\(String(s.fullMask, radix: 16)), \(FpstateSizes.pages(s.expandedBufferBytes)) page(s))",
        ]
    }

    /// p50 / p95 / p99 of each event, per allocator and policy, in ticks.
    static func timeTable(_ lat: [String: [Policy: PolicyLatency]], order: [String],
                          ctx: SuiteContext) -> [String] {
        var out = [String(format: "latency per event, ticks p50/p95/p99 (1 tick = %.3f ns; page fault ~6-8k ticks):", ctx.tsc.nsPerTick)]
        func cell(_ m: TimingSamples) -> String {
            guard let s = m.summary else { return "-" }
            return String(format: "%.0f/%.0f/%.0f", s.median, s.p95, s.p99)
        }
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
        for label in order {
            guard let byPolicy = lat[label] else { continue }
            let src = byPolicy.values.first?.source ?? .measured
            out.append("  [\(label)\(src == .proxy ? ", proxy for vzalloc" : "")]")
            out.append("  " + pad("policy", 17) + pad("create", 20) + pad("set_cpuid", 20) + pad("first_use", 20) + "destroy")
            for p in Policy.allCases {
                guard let l = byPolicy[p] else { continue }
                out.append("  " + pad(p.rawValue, 17) + pad(cell(l.create), 20) + pad(cell(l.setCpuid), 20)
                           + pad(cell(l.firstUse), 20) + cell(l.destroy))
            }
        }
        return out
    }

    /// Fleet resident memory per policy and adoption level at the largest fleet.
    static func memoryTable(_ cfg: FpstateAllocConfig, _ sweep: [FpstateAllocBenchmarks.SweepKey: FleetMemory]) -> [String] {
        guard let n = cfg.vcpus.max() else { return [] }
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
        var out = ["resident memory at \(n) vCPUs, KiB (mmap pages counted with mincore, checked against the page-rounding model)",
                   "  " + pad("policy", 17) + cfg.adoption.map { pad("adopt " + FpstateAllocConfig.pct($0) + "%", 14) }.joined()]
        for p in Policy.allCases {
            var line = "  " + pad(p.rawValue, 17)
            for a in cfg.adoption {
                let m = sweep[.init(policy: p, vcpus: n, adoption: a)]
                // A page-granular fleet whose mincore failed shows the error, not the model.
                let bytes = m.flatMap { $0.residentModel == nil ? $0.requested : $0.residentMeasured }
                let v = bytes.map { String(format: "%.0f", Double($0) / 1024) } ?? "error"
                line += pad(v, 14)
            }
            out.append(line)
        }
        return out
    }
}
