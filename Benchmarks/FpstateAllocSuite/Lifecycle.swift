import BenchCore
import Foundation

/// Latency samples of one allocator and policy, in ticks.
struct PolicyLatency {
    var create = TimingSamples(perOp: []), setCpuid = TimingSamples(perOp: [])
    var firstUse = TimingSamples(perOp: []), destroy = TimingSamples(perOp: [])
    var source: FigureSource
}

/// The `lifecycle` benchmark: per allocator and policy, whole fleets of
/// `latency-vcpus` vCPUs run create -> KVM_SET_CPUID2 -> run -> first use ->
/// destroy, every vCPU with AMX in CPUID and using it, so each yields one
/// sample per event.
///
/// Rounds are interleaved (`roundPlan`): round r runs one fleet of every
/// allocator and policy, in the timing kernel's rotated order, before
/// round r + 1 starts.  On a shared machine a slow phase of a few seconds
/// then moves every distribution a little instead of moving a few of them
/// entirely, which keeps medians comparable between runs; the rotation
/// keeps one cell from always running first, just after the previous
/// round's last.
final class LifecycleBenchmark {
    /// One allocator x policy: its counting wrapper, simulator and samples.
    final class Cell {
        let label: String, policy: Policy
        let allocator: StateAllocator
        let counting: CountingAllocator
        let copier: StateCopier
        let sim: FleetSimulator
        var latency: PolicyLatency
        var error: Error?

        init(label: String, allocator: StateAllocator, policy: Policy, ctx: SuiteContext, sizes: FpstateSizes) {
            self.label = label; self.policy = policy; self.allocator = allocator
            counting = CountingAllocator(allocator)
            copier = StateCopier(host: ctx.host, sizes: sizes, alignment: allocator.alignment)
            sim = FleetSimulator(sizes: sizes, allocator: counting, copier: copier,
                                 kernel: ctx.kernel, floor: ctx.emptyRegionTicks)
            latency = PolicyLatency(source: allocator.source)
        }

        /// One fleet; its samples are kept as round `r`'s, or dropped for
        /// the warm-up (`r` < 0).  After a failure the cell stops.
        func round(_ plan: FleetPlan, _ r: Int) {
            guard error == nil else { return }
            do {
                let o = try sim.run(plan, policy: policy)
                guard r >= 0 else { return }
                latency.create.append(o.create, round: r); latency.setCpuid.append(o.setCpuid, round: r)
                latency.firstUse.append(o.firstUse, round: r); latency.destroy.append(o.destroy, round: r)
            } catch {
                self.error = error
            }
        }
    }

    let suite: String
    let ctx: SuiteContext
    let cfg: FpstateAllocConfig
    let cells: [Cell]
    let skipped: [(label: String, reason: String)]

    init(suite: String, ctx: SuiteContext, cfg: FpstateAllocConfig,
         allocators: [FpstateAllocBenchmarks.AllocatorEntry]) {
        self.suite = suite; self.ctx = ctx; self.cfg = cfg
        cells = allocators.flatMap { e -> [Cell] in
            guard let a = e.allocator else { return [] }
            return Policy.allCases.map { Cell(label: e.label, allocator: a, policy: $0, ctx: ctx, sizes: cfg.sizes) }
        }
        skipped = allocators.filter { $0.allocator == nil }.map { ($0.label, $0.skipReason ?? "unavailable") }
    }

    /// Progress steps `run` takes: one warm-up step, one per round.
    var steps: Int { 1 + cfg.rounds }

    /// Latencies of cells that finished, by allocator label and policy.
    var latencies: [String: [Policy: PolicyLatency]] {
        var out: [String: [Policy: PolicyLatency]] = [:]
        for c in cells where c.error == nil { out[c.label, default: [:]][c.policy] = c.latency }
        return out
    }

    /// `rounds` fleets of `latency-vcpus` vCPUs per cell: one sample per
    /// vCPU and event.
    var roundPlan: RoundPlan {
        RoundPlan(rounds: cfg.rounds, samples: cfg.rounds * cfg.latencyVCPUs)
    }

    func fleet(vcpus: Int) -> FleetPlan {
        FleetPlan(vcpus: vcpus, cpuidPercent: 100, adoptionPercent: 100, seed: ctx.seed)
    }

    func run() throws -> [ResultRow] {
        let rounds = roundPlan
        let s = cfg.sizes
        // Heap allocators: room for two fleets' peak, kept resident (see HeapPin).
        var seen = Set<String>()
        let pins = cells.filter { seen.insert($0.label).inserted }.map {
            HeapPin($0.allocator, bytes: 2 * cfg.latencyVCPUs * (s.expandedBufferBytes + s.defaultBufferBytes),
                    blockBytes: s.expandedBufferBytes)
        }
        defer { pins.forEach { $0.release() } }

        try ctx.progress.step("lifecycle warm-up")
        let warmup = fleet(vcpus: rounds.samples(inRound: 0))
        for c in cells { c.round(warmup, -1) }  // allocator caches, code paths, heap
        for r in 0..<rounds.rounds {
            try ctx.progress.step("lifecycle round \(r + 1)/\(rounds.rounds)")
            let plan = fleet(vcpus: rounds.samples(inRound: r))
            for j in cells.indices { cells[rounds.caseIndex(j, inRound: r, of: cells.count)].round(plan, r) }
        }
        var rows = skipped.map {
            ResultRow.skipped(suite, "lifecycle", params([("allocator", $0.label)]), metric: "create_ticks",
                              unit: "ticks", depends: .machine, reason: $0.reason)
        }
        for c in cells { rows += self.rows(c) }
        return rows
    }

    func params(_ extra: [(String, String)]) -> Params {
        Params([("cpu-model", cfg.sizes.cpu), ("kernel", cfg.kernel.label)] + extra)
    }

    func rows(_ c: Cell) -> [ResultRow] {
        let p = params([("allocator", c.label), ("policy", c.policy.rawValue)])
        if let e = c.error {
            return [ResultRow(suite: suite, benchmark: "lifecycle", params: p, metric: "create_ticks",
                              source: c.allocator.source, gate: .timing, depends: .machine, status: .error, value: nil, unit: "ticks",
                              note: "\(e); live buffers after cleanup: \(c.counting.live)")] + countRows(p, c.counting)
        }
        let s = cfg.sizes
        let heap = c.allocator.pageGranular ? "" : "; warm heap: kept resident between fleets by a pin above them (no page faults; cold-heap has the case without)"
        let fleet = "\(cfg.latencyVCPUs) vCPUs x \(cfg.rounds) interleaved fleets after 1 warm-up fleet; one event per region, run's empty region subtracted" + heap
        let createBytes = c.policy == .eagerAtCreate ? s.expandedBufferBytes : s.defaultBufferBytes
        let realloc = "fpstate_realloc: allocate \(s.expandedBufferBytes) B + first touch (\(FpstateSizes.pages(s.expandedBufferBytes)) pages), XCOMP_BV store, free old \(s.defaultBufferBytes) B, no copy"
        var rows = [timingRow(p, "create_ticks", c.latency.create, c.allocator, "allocate \(createBytes) B + zero/first touch; \(fleet)")]
        if !c.latency.setCpuid.perOp.isEmpty {
            rows.append(timingRow(p, "set_cpuid_ticks", c.latency.setCpuid, c.allocator,
                                  "expansion at KVM_SET_CPUID2, guest fpstate not in use, no register work: \(realloc); \(fleet)"))
        }
        if !c.latency.firstUse.perOp.isEmpty {
            rows.append(timingRow(p, "first_use_ticks", c.latency.firstUse, c.allocator,
                                  "expansion in the #NM trap path, guest fpstate in use: \(realloc), plus XRSTOR from the old buffer (\(c.copier.label); the TIF_NEED_FPU_LOAD case, an upper bound); exits and XFD_ERR handling not included; \(fleet)"))
        }
        var destroy = timingRow(p, "destroy_ticks", c.latency.destroy, c.allocator, "release of the final buffer; \(fleet)")
        if !c.allocator.pageGranular {
            // A heap free is ~7 TSC steps (~24 ticks each): its median moves by
            // whole steps between runs, so it is reported, not gated.
            destroy.gate = .info
            destroy.note += "; a few TSC steps long: quantised, not gated"
        }
        rows.append(destroy)
        // Counts grow with the number of fleets run (fewer with --quick): that
        // configuration is part of their identity.
        var counted = p
        counted.pairs += [(key: "vcpus", value: "\(cfg.latencyVCPUs)"), (key: "fleets", value: "\(1 + cfg.rounds)")]
        return rows + countRows(counted, c.counting)
    }

    func timingRow(_ p: Params, _ metric: String, _ m: TimingSamples, _ alloc: StateAllocator, _ note: String) -> ResultRow {
        let label = alloc.source == .proxy ? "\(alloc.name) stands in for the kernel's vzalloc; " : ""
        return .timing(suite, "lifecycle", p, metric: metric, m, source: alloc.source, note: label + note)
    }

    func countRows(_ p: Params, _ c: CountingAllocator) -> [ResultRow] {
        LeakCount.rows(suite, "lifecycle", p, c)
    }
}

/// Allocation and release counts of a counting allocator: equal counts and
/// no buffer left show every buffer was freed.  `unfreed_buffers` is a check
/// (expected 0): a release the system refused (munmap failing) keeps its
/// buffer counted.  Deterministic, so gated exactly.
enum LeakCount {
    static func rows(_ suite: String, _ benchmark: String, _ p: Params, _ c: CountingAllocator) -> [ResultRow] {
        [
            .figure(suite, benchmark, p, metric: "allocations", Double(c.allocations), unit: "count",
                    source: .measured, gate: .exact, depends: .none, note: "successful allocations, warm-up included"),
            .figure(suite, benchmark, p, metric: "frees", Double(c.frees), unit: "count",
                    source: .measured, gate: .exact, depends: .none, note: "releases the system accepted, warm-up included"),
            .check(suite, benchmark, p, metric: "unfreed_buffers", Double(c.live), expected: 0, tolerance: 0,
                   unit: "count", source: .measured, gate: .exact, depends: .none,
                   note: "allocations - accepted releases after the last fleet was destroyed (\(c.failedFrees) releases refused)"),
        ]
    }
}
