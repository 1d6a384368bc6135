import BenchCore
import Foundation

/// Memory lazy expansion saves against the first-use latency it adds, per
/// AMX adoption level, at the largest fleet of the memory sweep.
///
/// Memory comes from the sweep (page-rounding model, equal to the mincore
/// count on this host's stand-in); latency from the lifecycle medians of one
/// allocator (mmap when selected).  Figures combining the two, or adding the
/// modelled #NM exit, are model figures and are not gated.
struct Crossover {
    typealias Latency = PolicyLatency
    let cfg: FpstateAllocConfig
    let latencies: [Policy: Latency]?
    let timingLabel: String?
    let timingSource: FigureSource
    let sweep: [FpstateAllocBenchmarks.SweepKey: FleetMemory]
    let tsc: TSCFrequency

    var fleet: Int { cfg.vcpus.max() ?? 1 }

    private func median(_ p: Policy, _ kp: KeyPath<Latency, TimingSamples>) -> Double? {
        latencies?[p].flatMap { $0[keyPath: kp].summary?.median }
    }
    var createDefault: Double? { median(.lazyOnTrap, \.create) }
    var createFull: Double? { median(.eagerAtCreate, \.create) }
    var expandAtCpuid: Double? { median(.expandAtCpuid, \.setCpuid) }
    var trap: Double? { median(.lazyOnTrap, \.firstUse) }

    /// Fleet memory of `policy` at `adoption`: resident when countable, else requested.
    func memory(_ policy: Policy, _ adoption: Double) -> Int? {
        sweep[.init(policy: policy, vcpus: fleet, adoption: adoption)].map { $0.residentModel ?? $0.requested }
    }

    func rows(suite: String, params base: Params) -> [ResultRow] {
        var rows: [ResultRow] = []
        let n = fleet
        let alloc = timingLabel ?? "none"
        for a in cfg.adoption {
            var p = base
            p.pairs += [(key: "vcpus", value: String(n)), (key: "adoption", value: FpstateAllocConfig.pct(a)),
                        (key: "cpuid-amx", value: FpstateAllocConfig.pct(cfg.cpuidPercent))]
            let adopters = FleetPlan.share(n, percent: a), exposed = FleetPlan.share(n, percent: cfg.cpuidPercent)
            guard let lazy = memory(.lazyOnTrap, a) else { continue }
            for baseline in [Policy.expandAtCpuid, .eagerAtCreate] {
                guard let b = memory(baseline, a) else { continue }
                var q = p
                q.pairs.append((key: "baseline", value: baseline.rawValue))
                rows.append(.figure(suite, "crossover", q, metric: "memory_saved_bytes", Double(b - lazy), unit: "bytes",
                                    source: .model, gate: .exact,
                                    depends: cfg.sizesDepend, note: "fleet resident bytes of \(baseline.rawValue) - lazy-on-trap (page-rounding model)"))
            }
            guard cfg.sizes.hasDynamicState else {
                rows.append(.skipped(suite, "crossover", p, metric: "first_use_added_ticks_fleet", unit: "ticks",
                                     source: .model, depends: cfg.sizesDepend, reason: "cpu-model \(cfg.sizes.cpu) has no XFD-capable component: nothing is expanded"))
                continue
            }
            guard let trap, let cd = createDefault, let cf = createFull, let ec = expandAtCpuid else {
                rows.append(.skipped(suite, "crossover", p, metric: "first_use_added_ticks_fleet", unit: "ticks",
                                     source: .model, depends: .machine, reason: "no lifecycle latencies (allocator failed or none selected)"))
                continue
            }
            let exit = cfg.trapCosts.ticks
            var measuredParams = p
            measuredParams.pairs.append((key: "allocator", value: alloc))
            rows.append(.figure(suite, "crossover", measuredParams, metric: "first_use_added_ticks_per_adopter", trap, unit: "ticks",
                                source: timingSource, gate: .info,
                                depends: .machine, note: "median first-use expansion, \(alloc) allocator; exits and XFD_ERR handling not included"))
            rows.append(.figure(suite, "crossover", p, metric: "first_use_added_ticks_per_adopter_with_exit", trap + exit,
                                unit: "ticks", source: .model, gate: .info,
                                depends: .machine, note: "median first-use expansion (\(alloc)) + " + cfg.trapCosts.note))
            rows.append(.figure(suite, "crossover", p, metric: "first_use_added_ticks_fleet", Double(adopters) * (trap + exit),
                                unit: "ticks", source: .model, gate: .info,
                                depends: .machine, note: "\(adopters) adopters x (median expansion + modelled trap costs)"))
            if adopters > 0, let e = memory(.expandAtCpuid, a), let l = memory(.lazyOnTrap, a) {
                let us = Double(adopters) * (trap + exit) * tsc.nsPerTick / 1000
                rows.append(.figure(suite, "crossover", p, metric: "kib_saved_per_added_us", Double(e - l) / 1024 / us,
                                    unit: "KiB/us", source: .model, gate: .info,
                                    depends: .machine, note: "memory saved vs expand-at-cpuid / fleet first-use latency added"))
            }
            let fleetTicks: [(Policy, Double, String)] = [
                (.eagerAtCreate, Double(n) * cf, "\(n) x create(full)"),
                (.expandAtCpuid, Double(n) * cd + Double(exposed) * ec, "\(n) x create(default) + \(exposed) x expansion at KVM_SET_CPUID2"),
                (.lazyOnTrap, Double(n) * cd + Double(adopters) * (trap + exit), "\(n) x create(default) + \(adopters) x (trap expansion + modelled trap costs)"),
            ]
            for (policy, ticks, how) in fleetTicks {
                var q = p
                q.pairs.append((key: "policy", value: policy.rawValue))
                rows.append(.figure(suite, "crossover", q, metric: "fleet_allocation_ticks", ticks, unit: "ticks",
                                    source: .model, gate: .info, depends: .machine, note: "from lifecycle medians (\(alloc)): \(how)"))
            }
        }
        return rows
    }

    func highlights() -> [String] {
        let n = fleet
        var out = ["crossover at \(n) vCPUs (lazy-on-trap vs expand-at-cpuid, cpuid-amx \(FpstateAllocConfig.pct(cfg.cpuidPercent))%; latency from \(timingLabel ?? "no") allocator):"]
        for a in cfg.adoption {
            guard let e = memory(.expandAtCpuid, a), let l = memory(.lazyOnTrap, a) else { continue }
            let adopters = FleetPlan.share(n, percent: a)
            let label = (FpstateAllocConfig.pct(a) + "%").padding(toLength: 4, withPad: " ", startingAt: 0)
            var line = "  adoption \(label): " + String(format: "saves %8.1f KiB (%4.1f%% of %.1f KiB)",
                              Double(e - l) / 1024,
                              e > 0 ? 100 * Double(e - l) / Double(e) : 0, Double(e) / 1024)
            if let trap, cfg.sizes.hasDynamicState {
                let per = (trap + cfg.trapCosts.ticks) * tsc.nsPerTick / 1000
                line += String(format: "; adds %.2f us per adopter (%.0f ticks expansion + %.0f modelled #NM exit, XFD_ERR handling, XFD_ERR-clear exit) x %d = %.3f ms",
                               per, trap, cfg.trapCosts.ticks, adopters, per * Double(adopters) / 1000)
                if adopters > 0 && e > l {
                    line += String(format: " -> %.1f KiB per us", Double(e - l) / 1024 / (per * Double(adopters)))
                }
            }
            out.append(line)
        }
        return out
    }
}
