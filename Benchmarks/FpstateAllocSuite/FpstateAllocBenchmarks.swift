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
/// - `numa-remote`: creation and touch cost on a remote node (skipped on one node);
/// - `crossover`: memory lazy expansion saves versus the first-use latency it adds.
public struct FpstateAllocBenchmarks: BenchmarkSuite {
    public init() {}
    public let name = "fpstate-alloc"
    public let summary = "eager vs lazy per-vCPU register-state buffers: real allocation latency, resident memory, NUMA placement"
    public let benchmarks = [
        BenchmarkInfo("sizes", "default / expanded fpstate buffer sizes from the CPU's XSAVE size model (+64-byte header)"),
        BenchmarkInfo("lifecycle", "create, KVM_SET_CPUID2 expansion, first-use trap expansion, destroy: latency per event, per allocator and policy"),
        BenchmarkInfo("memory", "requested and resident bytes per fleet and per vCPU: policy x vCPUs x AMX adoption"),
        BenchmarkInfo("numa-remote", "allocation and touch on a remote NUMA node (needs two nodes)"),
        BenchmarkInfo("crossover", "memory saved by lazy expansion vs the first-use latency it adds, per adoption level"),
    ]
    public var parameters: [SuiteParameter] { FpstateAllocConfig.parameters }

    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        let cfg = try FpstateAllocConfig(ctx)
        let allocators = try makeAllocators(cfg)
        ctx.progress.plan(total: 1 + allocators.count * Policy.allCases.count + Policy.allCases.count + 2)
        var rows: [ResultRow] = []

        try ctx.progress.step("sizes")
        rows += sizeRows(cfg)

        var latencies: [String: [Policy: PolicyLatency]] = [:]
        for entry in allocators {
            guard let alloc = entry.allocator else {
                rows.append(.skipped(name, "lifecycle", params(cfg, [("allocator", entry.label)]), metric: "create_ticks",
                                     unit: "ticks", reason: entry.skipReason ?? "unavailable"))
                for _ in Policy.allCases { try ctx.progress.step("lifecycle \(entry.label) (skipped)") }
                continue
            }
            for policy in Policy.allCases {
                try ctx.progress.step("lifecycle \(entry.label) \(policy.rawValue)")
                let (r, lat) = lifecycle(ctx, cfg, alloc, policy)
                rows += r
                if let lat { latencies[entry.label, default: [:]][policy] = lat }
            }
        }

        var sweep: [SweepKey: FleetMemory] = [:]
        for policy in Policy.allCases {
            try ctx.progress.step("memory \(policy.rawValue)")
            let (r, m) = memorySweep(ctx, cfg, policy)
            rows += r
            sweep.merge(m) { a, _ in a }
        }

        try ctx.progress.step("numa-remote")
        rows += remoteRows(ctx, cfg)

        try ctx.progress.step("crossover")
        let timingLabel = ["mmap", "numa", "posix-memalign", "malloc"].first { latencies[$0] != nil }
        let cross = Crossover(cfg: cfg, latencies: timingLabel.flatMap { latencies[$0] }, timingLabel: timingLabel,
                              timingSource: allocators.first { $0.label == timingLabel }?.allocator?.source ?? .measured,
                              sweep: sweep, tsc: ctx.tsc)
        rows += cross.rows(suite: name, params: params(cfg, []))

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
        Params([("cpu-model", cfg.sizes.cpu)] + extra)
    }

    // MARK: - sizes

    func sizeRows(_ cfg: FpstateAllocConfig) -> [ResultRow] {
        let s = cfg.sizes
        let p = params(cfg, [("format", s.compacted ? "compacted" : "standard")])
        // Sizes from the live CPU's CPUID are read here; a recorded CPU's are modelled.
        let src: FigureSource = cfg.cpu.origin == .live ? .measured : .model
        let how = "\(s.compacted ? "compacted (XSAVES) size" : "standard size") from CPUID leaf 0xD"
        return [
            .figure(name, "sizes", p, metric: "header_bytes", Double(FpstateSizes.headerBytes), unit: "bytes",
                    source: .model, gate: .exact, note: "struct fpstate fields before the 64-byte aligned register area (model constant)"),
            .figure(name, "sizes", p, metric: "default_register_bytes", Double(s.defaultRegisterBytes), unit: "bytes",
                    source: src, gate: .exact, note: "\(how), mask 0x\(String(s.defaultMask, radix: 16)) (XFD-capable components left out)"),
            .figure(name, "sizes", p, metric: "expanded_register_bytes", Double(s.expandedRegisterBytes), unit: "bytes",
                    source: src, gate: .exact, note: "\(how), mask 0x\(String(s.fullMask, radix: 16))"),
            .figure(name, "sizes", p, metric: "default_buffer_bytes", Double(s.defaultBufferBytes), unit: "bytes",
                    source: src, gate: .exact, note: "header + default register area"),
            .figure(name, "sizes", p, metric: "expanded_buffer_bytes", Double(s.expandedBufferBytes), unit: "bytes",
                    source: src, gate: .exact, note: "header + expanded register area"),
            .figure(name, "sizes", p, metric: "default_pages", Double(FpstateSizes.pages(s.defaultBufferBytes)), unit: "pages",
                    source: src, gate: .exact, note: "4 KiB pages of a page-aligned default buffer"),
            .figure(name, "sizes", p, metric: "expanded_pages", Double(FpstateSizes.pages(s.expandedBufferBytes)), unit: "pages",
                    source: src, gate: .exact, note: "4 KiB pages of a page-aligned expanded buffer"),
        ]
    }

    // MARK: - lifecycle latency

    /// Latency samples of one allocator and policy, in ticks.
    struct PolicyLatency {
        var create: TimingSamples, setCpuid: TimingSamples, firstUse: TimingSamples, destroy: TimingSamples
        var source: FigureSource
    }

    func lifecycle(_ ctx: SuiteContext, _ cfg: FpstateAllocConfig, _ alloc: StateAllocator,
                   _ policy: Policy) -> ([ResultRow], PolicyLatency?) {
        let counting = CountingAllocator(alloc)
        let copier = StateCopier(host: ctx.host, sizes: cfg.sizes, alignment: alloc.alignment)
        let sim = FleetSimulator(sizes: cfg.sizes, allocator: counting, copier: copier,
                                 kernel: ctx.kernel, floor: ctx.emptyRegionTicks)
        // Every vCPU has AMX in CPUID and uses it, so each yields one expansion sample.
        let plan = FleetPlan(vcpus: cfg.latencyVCPUs, cpuidPercent: 100, adoptionPercent: 100, seed: ctx.seed)
        let p = params(cfg, [("allocator", alloc.name), ("policy", policy.rawValue)])
        var lat = PolicyLatency(create: TimingSamples(perOp: []), setCpuid: TimingSamples(perOp: []),
                                firstUse: TimingSamples(perOp: []), destroy: TimingSamples(perOp: []),
                                source: alloc.source)
        var rows: [ResultRow] = []
        // Heap allocators: room for two fleets' peak, kept resident (see HeapPin).
        let s = cfg.sizes
        let pin = HeapPin(alloc, bytes: 2 * cfg.latencyVCPUs * (s.expandedBufferBytes + s.defaultBufferBytes),
                          blockBytes: s.expandedBufferBytes)
        defer { pin.release() }
        do {
            _ = try sim.run(plan, policy: policy)  // warm-up: allocator caches, code paths
            for _ in 0..<cfg.rounds {
                let o = try sim.run(plan, policy: policy)
                lat.create.append(o.create); lat.setCpuid.append(o.setCpuid)
                lat.firstUse.append(o.firstUse); lat.destroy.append(o.destroy)
            }
        } catch {
            rows.append(ResultRow(suite: name, benchmark: "lifecycle", params: p, metric: "create_ticks",
                                  source: alloc.source, gate: .timing, status: .error, value: nil, unit: "ticks",
                                  note: "\(error); live buffers after cleanup: \(counting.live)"))
            rows += countRows(p, counting, source: alloc.source)
            return (rows, nil)
        }
        let heap = alloc.pageGranular ? "" : "; heap kept resident between fleets (no page faults)"
        let fleet = "\(cfg.latencyVCPUs) vCPUs x \(cfg.rounds) fleets after 1 warm-up fleet; one event per region, run's empty region subtracted" + heap
        let createBytes = policy == .eagerAtCreate ? s.expandedBufferBytes : s.defaultBufferBytes
        let expandNote = "allocate \(s.expandedBufferBytes) B + first touch (\(FpstateSizes.pages(s.expandedBufferBytes)) pages) + copy state (\(copier.label)) + free old \(s.defaultBufferBytes) B; \(fleet)"
        rows.append(timingRow(p, "create_ticks", lat.create, alloc,
                              "allocate \(createBytes) B + zero/first touch; \(fleet)"))
        if !lat.setCpuid.perOp.isEmpty {
            rows.append(timingRow(p, "set_cpuid_ticks", lat.setCpuid, alloc, "expansion at KVM_SET_CPUID2: " + expandNote))
        }
        if !lat.firstUse.perOp.isEmpty {
            rows.append(timingRow(p, "first_use_ticks", lat.firstUse, alloc,
                                  "expansion in the #NM trap path (exit delivery not included): " + expandNote))
        }
        rows.append(timingRow(p, "destroy_ticks", lat.destroy, alloc, "release of the final buffer; \(fleet)"))
        rows += countRows(p, counting, source: alloc.source)
        return (rows, lat)
    }

    func timingRow(_ p: Params, _ metric: String, _ m: TimingSamples, _ alloc: StateAllocator, _ note: String) -> ResultRow {
        let label = alloc.source == .proxy ? "\(alloc.name) stands in for the kernel's vzalloc; " : ""
        return .timing(name, "lifecycle", p, metric: metric, m, source: alloc.source, note: label + note)
    }

    /// Allocation and free counts: equal counts and zero live buffers show
    /// every buffer was freed.  Deterministic, so gated exactly.
    func countRows(_ p: Params, _ c: CountingAllocator, source: FigureSource) -> [ResultRow] {
        [
            .figure(name, "lifecycle", p, metric: "allocations", Double(c.allocations), unit: "count",
                    source: .measured, gate: .exact, note: "successful allocations, warm-up included"),
            .figure(name, "lifecycle", p, metric: "frees", Double(c.frees), unit: "count",
                    source: .measured, gate: .exact, note: "releases, warm-up included"),
            .figure(name, "lifecycle", p, metric: "unfreed_buffers", Double(c.live), unit: "count",
                    source: .measured, gate: .exact, note: "allocations - frees after the last fleet was destroyed"),
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
                                        note: "\(o.expandedVCPUs) expanded x \(cfg.sizes.expandedBufferBytes) B + rest x \(cfg.sizes.defaultBufferBytes) B; \(who)"))
                    rows.append(.figure(name, "memory", p, metric: "requested_bytes_per_vcpu", Double(m.requested) / Double(n),
                                        unit: "bytes", source: .model, gate: .exact, note: "requested_bytes / vCPUs"))
                    if let r = m.residentModel {
                        rows.append(.figure(name, "memory", p, metric: "resident_bytes_model", Double(r), unit: "bytes",
                                            source: .model, gate: .exact, note: "page-rounding model: ceil(bytes/4096) pages per page-aligned buffer"))
                        rows.append(.figure(name, "memory", p, metric: "resident_bytes_per_vcpu", Double(r) / Double(n),
                                            unit: "bytes", source: .model, gate: .exact, note: "resident_bytes_model / vCPUs"))
                    }
                    if let r = m.residentMeasured {
                        rows.append(.figure(name, "memory", p, metric: "resident_bytes", Double(r), unit: "bytes",
                                            source: .proxy, gate: .exact,
                                            note: "mincore page count of real mmap buffers (vzalloc stand-in), after first use, before destroy"))
                    }
                } catch {
                    rows.append(ResultRow(suite: name, benchmark: "memory", params: p, metric: "requested_bytes",
                                          source: .model, gate: .exact, status: .error, value: nil, unit: "bytes",
                                          note: "\(error); live buffers after cleanup: \(counting.live)"))
                }
            }
        }
        rows.append(.figure(name, "memory", params(cfg, [("policy", policy.rawValue)]), metric: "unfreed_buffers",
                            Double(counting.live), unit: "count", source: .measured, gate: .exact,
                            note: "\(counting.allocations) allocations, \(counting.frees) frees over the sweep"))
        return (rows, out)
    }

    // MARK: - NUMA remote placement

    func remoteRows(_ ctx: SuiteContext, _ cfg: FpstateAllocConfig) -> [ResultRow] {
        guard cfg.allocators.contains(.numa) else { return [] }
        let p = params(cfg, [("allocator", "numa-remote")])
        guard let local = cfg.node else {
            return [.skipped(name, "numa-remote", p, metric: "touch_extra_ticks", unit: "ticks",
                             reason: cfg.numaSkipReason ?? "numa unavailable")]
        }
        guard let remote = cfg.topology.remote(from: local) else {
            return [.skipped(name, "numa-remote", p, metric: "touch_extra_ticks", unit: "ticks",
                             reason: "one NUMA node with memory (node \(local)): remote placement cannot be measured here")]
        }
        return NumaRemote.measure(ctx, cfg, suite: name, local: local, remote: remote, params: p)
    }
}

extension TimingSamples {
    /// Appends another measurement's samples (same kind of event).
    mutating func append(_ other: TimingSamples) {
        perOp += other.perOp
        migrationsDropped += other.migrationsDropped
    }
}
