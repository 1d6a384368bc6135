import BenchCore
import Foundation

/// `fpstate-alloc`: eager versus lazy allocation of a vCPU's register-state
/// buffer (Linux's guest `struct fpstate`), with real allocations.
///
/// - `sizes`: default and expanded buffer sizes from the XSAVE size model of
///   the chosen CPU (default Sapphire Rapids), header included;
/// - `lifecycle`: per allocator and policy, latency distributions of
///   creation, expansion at KVM_SET_CPUID2, expansion in the first-use trap
///   and destruction, from whole fleets run phase by phase; allocation and
///   free counts show every buffer is freed;
/// - `memory`: requested and resident bytes per fleet and per vCPU, for each
///   policy, fleet size and AMX adoption level (mmap, the vzalloc stand-in);
/// - `cold-heap`: the expanded buffer's creation on a heap whose free pages
///   were returned to the kernel (the cold case; `lifecycle` is warm);
/// - `numa-remote`: creation and touch cost on a remote node (skipped on one node);
/// - `crossover`: memory lazy expansion saves versus the first-use latency it adds.
public struct FpstateAllocBenchmarks: BenchmarkSuite {
    /// Measured on the reference machine kind (release build); see `--dry-run`.
    public var estimatedSeconds: DurationEstimate? { DurationEstimate(quick: 1.2, full: 2) }
    public init() {}
    public let name = "fpstate-alloc"
    public let summary = "eager vs lazy per-vCPU register-state buffers: real allocation latency, resident memory, NUMA placement"
    public let benchmarks = [
        BenchmarkInfo("sizes", "default / expanded fpstate buffer sizes from the CPU's XSAVE size model (+64-byte header)"),
        BenchmarkInfo("lifecycle", "create, KVM_SET_CPUID2 expansion, first-use trap expansion, destroy: latency per event, per allocator and policy"),
        BenchmarkInfo("cold-heap", "expanded-buffer creation on a heap whose free pages were returned (malloc_trim): the cold case next to lifecycle's warm heap"),
        BenchmarkInfo("memory", "requested and resident bytes per fleet and per vCPU: policy x vCPUs x AMX adoption"),
        BenchmarkInfo("numa-remote", "allocation and touch on a remote NUMA node (needs two nodes)"),
        BenchmarkInfo("crossover", "memory saved by lazy expansion vs the first-use latency it adds, per adoption level"),
        BenchmarkInfo("failure-mode", "per policy, with an allocator that fails the expanded size: where it fails and what the guest or VMM sees"),
    ]
    public var parameters: [SuiteParameter] { FpstateAllocConfig.parameters }

    /// Peak memory: both fleets' expanded buffers, about 3x for allocator
    /// bookkeeping and the per-event records (measured: 4096 + 4096 vCPUs
    /// of 11 KiB buffers peak at ~190 MB resident).
    public func configure(_ ctx: SuiteContext) throws {
        let cfg = try FpstateAllocConfig(ctx)
        try MemoryBudget.check(3 * ((cfg.vcpus.max() ?? 1) + cfg.latencyVCPUs) * cfg.sizes.expandedBufferBytes,
                               for: "vcpus=\(cfg.vcpus.max() ?? 1) and latency-vcpus=\(cfg.latencyVCPUs) of \(cfg.sizes.expandedBufferBytes)-byte buffers")
    }

    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        let cfg = try FpstateAllocConfig(ctx)
        let allocators = try makeAllocators(cfg)
        let lifecycle = LifecycleBenchmark(suite: name, ctx: ctx, cfg: cfg, allocators: allocators)
        ctx.progress.plan(total: 2 + lifecycle.steps + Policy.allCases.count + 3)
        var rows: [ResultRow] = []

        if ctx.isSelected(benchmark: "sizes") {
            try ctx.progress.step("sizes")
            rows += sizeRows(cfg)
        }

        // crossover weighs the lifecycle's first-use latency against the
        // memory sweep's savings: both run for it (their rows dropped by the
        // runner when only crossover is selected).
        let crossover = ctx.isSelected(benchmark: "crossover")
        if crossover || ctx.isSelected(benchmark: "lifecycle") {
            rows += try lifecycle.run()
        }
        let latencies = lifecycle.latencies

        if ctx.isSelected(benchmark: "cold-heap") {
            try ctx.progress.step("cold-heap")
            rows += try ColdHeap.rows(suite: name, ctx: ctx, cfg: cfg, allocators: allocators) { params(cfg, $0) }
        }

        var sweep: [SweepKey: FleetMemory] = [:]
        for policy in Policy.allCases where crossover || ctx.isSelected(benchmark: "memory") {
            try ctx.progress.step("memory \(policy.rawValue)")
            let (r, m) = memorySweep(ctx, cfg, policy)
            rows += r
            sweep.merge(m) { a, _ in a }
        }

        if ctx.isSelected(benchmark: "numa-remote") {
            try ctx.progress.step("numa-remote")
            rows += remoteRows(ctx, cfg)
        }

        let timingLabel = ["mmap", "numa", "posix-memalign", "malloc"].first { latencies[$0] != nil }
        let cross = Crossover(cfg: cfg, latencies: timingLabel.flatMap { latencies[$0] }, timingLabel: timingLabel,
                              timingSource: allocators.first { $0.label == timingLabel }?.allocator?.source ?? .measured,
                              sweep: sweep, tsc: ctx.tsc)
        if crossover {
            try ctx.progress.step("crossover")
            rows += cross.rows(suite: name, params: params(cfg, []))
        }

        if ctx.isSelected(benchmark: "failure-mode") {
            try ctx.progress.step("failure-mode")
            rows += FailureMode.rows(suite: name, ctx: ctx, cfg: cfg, params: params(cfg, []))
        }

        var highlights = Highlights.sizes(cfg)
        highlights += Highlights.timeTable(latencies, order: allocators.map(\.label), ctx: ctx)
        highlights += Highlights.memoryTable(cfg, sweep)
        highlights += cross.highlights()
        if let why = cfg.numaSkipReason { highlights.append("numa: skipped (\(why))") }
        return SuiteResult(rows: rows, highlights: highlights)
    }

    // MARK: - allocators

    struct AllocatorEntry {
        var label: String
        var allocator: StateAllocator?
        var skipReason: String?
    }

    func makeAllocators(_ cfg: FpstateAllocConfig) throws -> [AllocatorEntry] {
        try cfg.allocators.map { kind in
            switch kind {
            case .malloc: return AllocatorEntry(label: kind.rawValue, allocator: MallocAllocator())
            case .posixMemalign: return AllocatorEntry(label: kind.rawValue, allocator: AlignedAllocator())
            case .mmap: return AllocatorEntry(label: kind.rawValue, allocator: PageAllocator())
            case .numa:
                guard let node = cfg.node else {
                    return AllocatorEntry(label: kind.rawValue, skipReason: cfg.numaSkipReason)
                }
                return AllocatorEntry(label: kind.rawValue,
                                      allocator: try NumaAllocator(node: node, topology: cfg.topology))
            }
        }
    }

    func params(_ cfg: FpstateAllocConfig, _ extra: [(String, String)]) -> Params {
        Params([("cpu-model", cfg.sizes.cpu), ("kernel", cfg.kernel.label)] + extra)
    }

    // MARK: - sizes

    /// Buffer sizes: computed from a CPUID leaf 0xD (recorded, or this
    /// host's) through Linux's sizing rules, so `model` for every CPU.
    func sizeRows(_ cfg: FpstateAllocConfig) -> [ResultRow] {
        let s = cfg.sizes, d = cfg.sizesDepend
        let p = params(cfg, [("format", s.compacted ? "compacted" : "standard")])
        let how = "\(s.compacted ? "compacted (XSAVES) size" : "standard size") from CPUID leaf 0xD of \(s.cpu) through Linux \(s.kernel) rules"
        let header = FpstateSizes.headerBytes
        func row(_ metric: String, _ v: Int, _ unit: String, _ note: String, _ dep: HostDependency) -> ResultRow {
            .figure(name, "sizes", p, metric: metric, Double(v), unit: unit, source: .model, gate: .exact,
                    depends: dep, note: note)
        }
        let cpuOnly: HostDependency = cfg.cpu.origin == .live ? .cpu : .none
        return [
            row("header_bytes", header, "bytes", "struct fpstate fields before the 64-byte aligned register area (model constant)", .none),
            row("default_register_bytes", s.defaultRegisterBytes, "bytes", "guest register area at vCPU creation under \(s.kernel); \(how)", d),
            row("expanded_register_bytes", s.expandedRegisterBytes, "bytes", "after expansion, mask 0x\(String(s.fullMask, radix: 16)); \(how)", d),
            row("default_buffer_bytes", s.defaultBufferBytes, "bytes", "header + default register area", d),
            row("expanded_buffer_bytes", s.expandedBufferBytes, "bytes", "header + expanded register area (fpstate_realloc's size)", d),
            row("default_pages", FpstateSizes.pages(s.defaultBufferBytes), "pages", "4 KiB pages of a page-aligned default buffer", d),
            row("expanded_pages", FpstateSizes.pages(s.expandedBufferBytes), "pages", "4 KiB pages of a page-aligned expanded buffer", d),
            // Both creation rules, whichever kernel is selected: they name
            // their versions, so they depend on the CPU only.
            row("create_buffer_bytes_5_17_to_6_14", header + s.createRegisterBytesUntil6_14, "bytes",
                "guest buffer at vCPU creation, kernels 5.17-6.14: header + fpu_user_cfg.default_size (standard format)", cpuOnly),
            row("create_buffer_bytes_6_15_on", header + s.createRegisterBytesFrom6_15, "bytes",
                "guest buffer at vCPU creation, kernels 6.15+: header + guest default (compacted, guest-only components)", cpuOnly),
        ]
    }

    // MARK: - memory sweep

    struct SweepKey: Hashable { var policy: Policy, vcpus: Int, adoption: Double }

    func memorySweep(_ ctx: SuiteContext, _ cfg: FpstateAllocConfig, _ policy: Policy) -> ([ResultRow], [SweepKey: FleetMemory]) {
        let counting = CountingAllocator(PageAllocator())
        let copier = StateCopier(host: ctx.host, sizes: cfg.sizes, alignment: counting.alignment)
        let sim = FleetSimulator(sizes: cfg.sizes, allocator: counting, copier: copier,
                                 kernel: ctx.kernel, floor: ctx.emptyRegionTicks)
        var rows: [ResultRow] = []
        var out: [SweepKey: FleetMemory] = [:]
        let cpuid = FpstateAllocConfig.pct(cfg.cpuidPercent)
        for n in cfg.vcpus {
            for a in cfg.adoption {
                let plan = FleetPlan(vcpus: n, cpuidPercent: cfg.cpuidPercent, adoptionPercent: a, seed: ctx.seed)
                let p = params(cfg, [("policy", policy.rawValue), ("vcpus", String(n)),
                                     ("adoption", FpstateAllocConfig.pct(a)), ("cpuid-amx", cpuid)])
                let who = "\(FleetPlan.share(n, percent: a)) of \(n) vCPUs use AMX, \(FleetPlan.share(n, percent: cfg.cpuidPercent)) have it in CPUID"
                do {
                    let o = try sim.run(plan, policy: policy)
                    out[SweepKey(policy: policy, vcpus: n, adoption: a)] = o.memory
                    let m = o.memory
                    rows.append(.figure(name, "memory", p, metric: "requested_bytes", Double(m.requested), unit: "bytes",
                                        source: .model, gate: .exact,
                                        depends: cfg.sizesDepend, note: "\(o.expandedVCPUs) expanded x \(cfg.sizes.expandedBufferBytes) B + rest x \(cfg.sizes.defaultBufferBytes) B; \(who)"))
                    rows.append(.figure(name, "memory", p, metric: "requested_bytes_per_vcpu", Double(m.requested) / Double(n),
                                        unit: "bytes", source: .model, gate: .exact, depends: cfg.sizesDepend, note: "requested_bytes / vCPUs"))
                    rows += residentRows(p, m, vcpus: n, depends: cfg.sizesDepend)
                } catch {
                    rows.append(ResultRow(suite: name, benchmark: "memory", params: p, metric: "requested_bytes",
                                          source: .model, gate: .exact, depends: cfg.sizesDepend, status: .error, value: nil, unit: "bytes",
                                          note: "\(error); live buffers after cleanup: \(counting.live)"))
                }
            }
        }
        rows += LeakCount.rows(name, "memory", params(cfg, [("policy", policy.rawValue)]), counting)
            .filter { $0.metric == "unfreed_buffers" }
        return (rows, out)
    }

    /// Resident memory of one fleet: the page model, and the mincore count
    /// checked against it (a failed mincore is an error row, never the model).
    func residentRows(_ p: Params, _ m: FleetMemory, vcpus n: Int, depends: HostDependency) -> [ResultRow] {
        guard let model = m.residentModel, n > 0 else { return [] }
        var rows: [ResultRow] = [
            .figure(name, "memory", p, metric: "resident_bytes_model", Double(model), unit: "bytes", source: .model,
                    gate: .exact, depends: depends, note: "page-rounding model: ceil(bytes/4096) pages per page-aligned buffer"),
            .figure(name, "memory", p, metric: "resident_bytes_per_vcpu", Double(model) / Double(n), unit: "bytes",
                    source: .model, gate: .exact, depends: depends, note: "resident_bytes_model / vCPUs"),
        ]
        if let measured = m.residentMeasured {
            rows.append(.check(name, "memory", p, metric: "resident_bytes", Double(measured), expected: Double(model),
                               tolerance: 0, unit: "bytes", source: .proxy, gate: .exact, depends: .machine,
                               note: "mincore count of the real mmap buffers (vzalloc stand-in), after first use, before destroy, vs the page model"))
        } else {
            rows.append(ResultRow(suite: name, benchmark: "memory", params: p, metric: "resident_bytes", source: .proxy,
                                  gate: .exact, depends: .machine, status: .error, value: nil, unit: "bytes",
                                  note: m.residentError ?? "mincore gave no count"))
        }
        return rows
    }

    // MARK: - NUMA remote placement

    func remoteRows(_ ctx: SuiteContext, _ cfg: FpstateAllocConfig) -> [ResultRow] {
        guard cfg.allocators.contains(.numa) else { return [] }
        let p = params(cfg, [("allocator", "numa-remote")])
        guard let local = cfg.node else {
            return [.skipped(name, "numa-remote", p, metric: "touch_extra_ticks", unit: "ticks",
                             depends: .machine, reason: cfg.numaSkipReason ?? "numa unavailable")]
        }
        guard let remote = cfg.topology.remote(from: local) else {
            return [.skipped(name, "numa-remote", p, metric: "touch_extra_ticks", unit: "ticks",
                             depends: .machine, reason: "one NUMA node with memory (node \(local)): remote placement cannot be measured here")]
        }
        return NumaRemote.measure(ctx, cfg, suite: name, local: local, remote: remote, params: p)
    }
}
