import BenchCore
import CXState
import Foundation

/// `rdmsr-exit`: what one RDMSR(IA32_XFD) per vm-exit costs a vCPU, and
/// which XFD interception policy is cheapest for which guests.
///
/// A simulated vCPU run loop (real code, real TSC) runs one iteration per
/// vm-exit: optional guest quantum, exit round trip, the exit reason's
/// handler (calibrated dependent adds from the cost table), the policy's XFD
/// work and, for exits to user space, a real XSAVE/XRSTOR FPU swap.  The XFD
/// work follows KVM's rules for the kernel version assumed (`KVMExitRules`):
/// the RDMSR(IA32_XFD) only on exits that leave the fastpath loop, #NM
/// intercepted only while XFD writes pass through, the guest's XFD_ERR clear
/// as one more MSR-write exit per XFD fault, trapped XFD writes as extra
/// exits.  RDMSR cannot run in user space: its cost is injected work (rows
/// `simulated`) or a real stand-in instruction (`proxy`).  Policies are
/// timed in interleaved rounds against the `none` baseline, so overheads are
/// paired differences.  Plans, the break-even formula and the injected fleet
/// are computed without timing (`model`).
public struct RdmsrExitBenchmarks: BenchmarkSuite {
    /// Exit costs measured on this host (e.g. through /dev/kvm by the `kvm`
    /// suite's measurement), in core cycles; they become the cost table's
    /// defaults, the model constants stay as fallback and both are
    /// reported.  Empty by default.  Called once per run of the suite.
    public let measuredExitCosts: @Sendable (SuiteContext) throws -> [ExitCostItem: MeasuredExitCost]

    public init(measuredExitCosts: @escaping @Sendable (SuiteContext) throws -> [ExitCostItem: MeasuredExitCost] = { _ in [:] }) {
        self.measuredExitCosts = measuredExitCosts
    }

    /// Which exit costs the run used and why: measured through /dev/kvm,
    /// given by the user, or the model constants (and what /dev/kvm is here).
    static func costOrigin(_ costs: ExitCostTable, platform: KVMPlatform) -> String {
        let by = Dictionary(grouping: ExitCostItem.all, by: { costs.entry($0)?.source ?? .model })
        func names(_ s: FigureSource) -> String { (by[s] ?? []).map(\.description).joined(separator: ", ") }
        var parts: [String] = []
        if by[.measured] != nil { parts.append("measured through /dev/kvm: \(names(.measured))") }
        if by[.input] != nil { parts.append("given: \(names(.input))") }
        if by[.model] != nil { parts.append("model constants: \(names(.model))") }
        let why = by[.measured] == nil
            ? "; /dev/kvm here: \(platform.description) (exits are measured into the table only on kvm_intel/kvm_amd on bare metal)"
            : ""
        return "exit costs (cost-table rows): " + parts.joined(separator: "; ") + why
    }

    /// Measured on the reference machine kind (release build); see `--dry-run`.
    public var estimatedSeconds: DurationEstimate? { DurationEstimate(quick: 2, full: 5) }
    public let name = "rdmsr-exit"
    public let summary = "cost of RDMSR(IA32_XFD) per vm-exit in a simulated exit loop, per XFD interception policy and kernel version"
    public let benchmarks = [
        BenchmarkInfo("loop-overhead", "the loop itself, all work zero (ticks per exit; target <= 10)"),
        BenchmarkInfo("fpu-swap", "real XSAVE/XRSTOR swap of an exit to user space, host XCR0 mask"),
        BenchmarkInfo("injected-add", "ticks per injected dependent add inside the loop vs the harness estimate"),
        BenchmarkInfo("cost-table", "exit costs injected (model constants with citations; measured or user values when given, both shown)"),
        BenchmarkInfo("plan", "model: per policy x guest kind, XFD reads, extra exits and injected overhead of the exit plans (TDX included)"),
        BenchmarkInfo("exit-loop", "simulated: ticks per exit per RDMSR source x policy x guest kind"),
        BenchmarkInfo("overhead", "simulated: per-exit overhead vs none, ticks and % (paired differences)"),
        BenchmarkInfo("loop-fidelity", "check: passthrough-at-cpuid - none recovers the injected RDMSR work, against a plain add chain of that work timed alone (XFD_BENCH_SLOWDOWN=rdmsr-exit/loop-fidelity=F injects a fault)"),
        BenchmarkInfo("cpu-share", "vCPU share lost at given exit rates, from the simulated overheads"),
        BenchmarkInfo("break-even", "guest XFD writes per 1k exits above which always-intercept is dearer (formula and loop), and a check of the loop against the plans"),
        BenchmarkInfo("fleet", "overhead of each policy for a fleet mix of guest kinds (simulated, and model from the plans)"),
    ]
    public let parameters = RdmsrExitConfig.parameters

    public func configure(_ ctx: SuiteContext) throws { try RdmsrExitConfig(ctx).checkWork(quick: ctx.quick) }

    /// Relative part of the loop-fidelity tolerance.  The check exists to
    /// catch injected work the loop loses or duplicates: a skipped or doubled
    /// access is a 100 % error for the one access per exit the check times.
    /// What it must let through is systematic and small: short add blocks
    /// overlapping the loop's own instructions, and TSC quantisation.
    public static let fidelityRelativeTolerance = 0.15
    /// Absolute part of the loop-fidelity tolerance, ticks per exit.
    public static let fidelityAbsoluteTolerance = 3.0

    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        let cfg = try RdmsrExitConfig(ctx, measured: measuredExitCosts(ctx))
        let faultFraction = try SlowdownKnob.fraction(suite: name, benchmark: "loop-fidelity")
        var out = Output(suite: name)
        let K = cfg.exits
        let reasons = cfg.mix.sequence(count: PairedMeasurement.sequenceLength(inner: K, samples: cfg.samples), seed: ctx.seed)
        // Exits the rounds' second halves cover: what a figure averages over.
        let timed = K..<reasons.count
        let swap = FPUSwapAreas.make(for: ctx.host)
        let areas = try? swap.get()
        let swapNote: String
        switch swap {
        case .success(let a):
            swapNote = "user-space exits: real XSAVE+XRSTOR x2 of mask 0x\(String(a.mask, radix: 16)) (\(a.bytes) B)"
        case .failure(let why):
            swapNote = "user-space exits: FPU swap left out (\(why.text))"
        }
        ctx.progress.plan(total: 5 + cfg.rdmsr.count)
        let base = ExitPlanConfig(policy: .none, guest: .legacy, msrCost: .cycles(0), costs: cfg.costs, rules: cfg.rules,
                                  guestQuantum: cfg.guestQuantum, writeInterval: cfg.writeInterval,
                                  amxSwitchPeriod: cfg.amxSwitchPeriod, newAMXTaskPeriod: cfg.newAMXTaskPeriod,
                                  fpuSwap: areas != nil)

        // --- untimed: the cost table, the plans, the formula
        try ctx.progress.step("models")
        if ctx.isSelected(benchmark: "cost-table") { out.rows += cfg.costs.rows(suite: name) }
        out.highlights.append(Self.costOrigin(cfg.costs, platform: KVMPlatform.detect(host: ctx.host)))
        // The fleet's injected overheads come from the plans: computed for
        // `fleet` too, their `plan` rows dropped by the runner.
        let plans = ctx.isSelected(benchmark: "plan") || ctx.isSelected(benchmark: "fleet")
        let injected = plans ? try Self.planRows(cfg, base: base, reasons: reasons, timed: timed, seed: ctx.seed, out: &out) : [:]
        if ctx.isSelected(benchmark: "break-even") { Self.analyticBreakEven(cfg, out: &out) }
        if plans { Self.injectedFleet(cfg, injected: injected, sequence: (reasons.count, ctx.seed), out: &out) }
        if ctx.isSelected(benchmark: "fleet") { try Self.fleetSweep(cfg, base: base, seed: ctx.seed, out: &out) }

        // --- the loop's own cost: every exit does nothing
        var zero = base
        zero.guestQuantum = 0; zero.costs = .zero; zero.fpuSwap = false
        if ctx.isSelected(benchmark: "loop-overhead") {
            try ctx.progress.step("loop overhead")
            // An empty exit is a few ticks: amortise over at least 1,024 exits so
            // the TSC step (~24 ticks here) stays far below the figure.
            let kEmpty = max(K, 1_024)
            let emptySamples = max(cfg.samples, 15)
            let emptyLoop = ExitLoop(plan: try ExitPlan(reasons: cfg.mix.sequence(
                                        count: PairedMeasurement.sequenceLength(inner: kEmpty, samples: emptySamples), seed: ctx.seed),
                                                        config: zero),
                                     proxy: nil, areas: nil)
            let overhead = PairedMeasurement.run([emptyLoop], inner: kEmpty, samples: emptySamples, kernel: ctx.kernel)
            let ovRow = Self.medianRow(name, "loop-overhead", ["exits": "\(kEmpty)"], metric: "ticks_per_exit",
                                       overhead.perLoop[0], overhead, source: .measured, gate: .info,
                                       note: "all work zero: one word load, an empty add block and two branches per exit; (t(2K)-t(K))/K")
            out.rows.append(ovRow)
            let loopOverhead = ovRow.value ?? .nan
            out.highlights.append(String(format: "loop overhead: %.2f ticks/exit amortised over %d exits (target <= 10: %@)",
                                         loopOverhead, kEmpty, loopOverhead <= 10 ? "met" : "NOT met"))
        }

        // --- the FPU swap, alone
        if ctx.isSelected(benchmark: "fpu-swap") {
            try ctx.progress.step("fpu swap")
            if let a = areas {
                let ioOnly = Array(repeating: ExitReason.io, count: reasons.count)
                var withSwap = zero; withSwap.fpuSwap = true
                let p1 = try ExitPlan(reasons: ioOnly, config: withSwap), p0 = try ExitPlan(reasons: ioOnly, config: zero)
                let r = PairedMeasurement.run([ExitLoop(plan: p1, proxy: nil, areas: a), ExitLoop(plan: p0, proxy: nil, areas: nil)],
                                              inner: K, samples: cfg.samples, kernel: ctx.kernel)
                let row = Self.medianRow(name, "fpu-swap", ["mask": "0x" + String(a.mask, radix: 16)], metric: "ticks_per_swap",
                                         r.difference(0, minus: 1), r, source: .measured, gate: .timing,
                                         note: "XSAVE guest, XRSTOR host, XSAVE host, XRSTOR guest (\(a.bytes) B standard format); paired difference vs the empty loop")
                out.rows.append(row)
                out.highlights.append(String(format: "FPU swap of a user-space exit (2x XSAVE + 2x XRSTOR, mask 0x%@): %.0f ticks",
                                             String(a.mask, radix: 16), row.value ?? .nan))
            } else if case .failure(let why) = swap {
                out.rows.append(.skipped(name, "fpu-swap", metric: "ticks_per_swap", unit: "ticks", depends: .cpu, reason: why.text))
            }
        }

        // --- injected work: ticks per add inside this loop
        if ctx.isSelected(benchmark: "injected-add") {
            try ctx.progress.step("injected-add calibration")
            let zeroLoop = ExitLoop(plan: try ExitPlan(reasons: reasons, config: zero), proxy: nil, areas: nil)
            var calCfg = zero; calCfg.guestQuantum = 1_000
            let cal = PairedMeasurement.run([ExitLoop(plan: try ExitPlan(reasons: reasons, config: calCfg), proxy: nil, areas: nil), zeroLoop],
                                            inner: K, samples: cfg.samples, kernel: ctx.kernel)
            let perAdd = cal.difference(0, minus: 1).map { $0 / 1_000 }
            let calRow = Self.medianRow(name, "injected-add", ["adds_per_exit": "1000"], metric: "ticks_per_add",
                                        perAdd, cal, source: .measured, gate: .info,
                                        note: "1,000 injected adds per exit minus the empty loop, /1000")
            out.rows.append(calRow)
            let loopTicksPerAdd = calRow.value ?? .nan
            if let t = ctx.ticksPerCoreCycle {
                out.rows.append(.figure(name, "injected-add", metric: "loop_over_harness", loopTicksPerAdd / t, unit: "ratio",
                                        source: .measured, depends: .machine, note: String(format: "in-loop ticks per add / harness estimate %.4f ticks per core cycle", t)))
            }
            out.highlights.append(String(format: "injected work: %.4f ticks per add in the loop; harness estimate %@ ticks per core cycle",
                                         loopTicksPerAdd, ctx.ticksPerCoreCycle.map { String(format: "%.4f", $0) } ?? "unavailable"))
        }

        // --- the loop under every RDMSR source, policy and guest kind
        var table: [String: [XFDPolicy: [GuestKind: Double]]] = [:]
        var noneTicks: [String: [GuestKind: Double]] = [:]
        var ran: [RDMSRSource] = []
        let kernelParam = cfg.rules.kernel.description
        // cpu-share, the loop's break-even and the measured fleet are
        // computed from the matrix's overheads: it runs for them too.
        let matrix = ["exit-loop", "overhead", "cpu-share", "break-even", "fleet"].contains { ctx.isSelected(benchmark: $0) }
        for src in cfg.rdmsr where matrix || ctx.isSelected(benchmark: "loop-fidelity") {
            try ctx.progress.step("rdmsr \(src.label)")
            var proxy: ProxyInstruction?
            if case .proxy(let p) = src.cost {
                if let why = p.unavailableReason(ctx.host) {
                    out.rows.append(.skipped(name, "exit-loop", ["rdmsr": src.label], metric: "ticks_per_exit",
                                             unit: "ticks", source: .proxy, depends: .cpu, reason: why))
                    continue
                }
                proxy = p
            }
            ran.append(src)
            var perPolicy: [XFDPolicy: [GuestKind: Double]] = [:]
            for guest in GuestKind.allCases where matrix {
                var c = base; c.guest = guest; c.msrCost = src.cost
                let ps = try XFDPolicy.timed.map { pol -> ExitPlan in c.policy = pol; return try ExitPlan(reasons: reasons, config: c) }
                let r = PairedMeasurement.run(ps.map { ExitLoop(plan: $0, proxy: proxy, areas: areas) },
                                              inner: K, samples: cfg.samples, kernel: ctx.kernel)
                let noneMedian = r.perLoop[0].isEmpty ? .nan : Summary(r.perLoop[0]).median
                noneTicks[src.label, default: [:]][guest] = noneMedian
                for (i, pol) in XFDPolicy.timed.enumerated() {
                    let p: Params = ["rdmsr": src.label, "policy": pol.rawValue, "guest": guest.rawValue, "kernel": kernelParam]
                    let inj = Double(ps[i].injectedCycles(timed)) / Double(timed.count)
                    out.rows.append(Self.medianRow(name, "exit-loop", p, metric: "ticks_per_exit", r.perLoop[i], r,
                                                   source: src.timedSource, gate: .timing,
                                                   note: String(format: "simulated exits, injected %.1f cycles/exit (%@; quantum %d; %@)",
                                                                inj, cfg.costs.description, cfg.guestQuantum, cfg.rules.summary)
                                                    + (proxy.map { "; " + Self.proxyNote($0) } ?? "") + "; " + swapNote))
                    guard pol != .none else { continue }
                    let injDiff = inj - Double(ps[0].injectedCycles(timed)) / Double(timed.count)
                    let ovr = Self.medianRow(name, "overhead", p, metric: "overhead_ticks", r.difference(i, minus: 0), r,
                                             source: src.timedSource, gate: .info,
                                             note: String(format: "paired per-round difference vs none; injected difference %.2f cycles/exit", injDiff)
                                                + (proxy != nil ? " plus the stand-in instructions" : ""))
                    out.rows.append(ovr)
                    let ticks = ovr.value ?? .nan
                    perPolicy[pol, default: [:]][guest] = ticks
                    out.rows.append(.figure(name, "overhead", p, metric: "overhead_pct", 100 * ticks / noneMedian, unit: "%",
                                            source: src.timedSource, gate: .info, depends: .machine,
                                            note: "overhead_ticks / median ticks per exit of none"))
                }
            }
            table[src.label] = perPolicy
            if let cycles = src.cycles, cycles > 0, ctx.isSelected(benchmark: "loop-fidelity") {
                try loopFidelity(cycles, cfg: cfg, base: base, reasons: reasons, timed: timed, fault: faultFraction, ctx: ctx, out: &out)
            }
            if ctx.isSelected(benchmark: "break-even") {
                measuredBreakEven(src, perPolicy, cfg: cfg, timed: timed, out: &out)
            }
        }
        if ctx.isSelected(benchmark: "break-even") {
            try ctx.progress.step("break-even check")
            try breakEvenLoopCheck(cfg, ctx: ctx, out: &out)
        }
        cpuShareAndFleet(cfg, ran: ran, table: table, noneTicks: noneTicks, ctx: ctx, out: &out)
        return SuiteResult(rows: out.rows, highlights: out.highlights)
    }

    /// Rows and highlight lines collected during a run.
    struct Output {
        let suite: String
        var rows: [ResultRow] = []
        var highlights: [String] = []
    }

    // MARK: - untimed figures

    /// Per RDMSR cost in cycles, guest kind and policy (TDX included): the
    /// plans' injected overhead over `none`, and per policy x guest their XFD
    /// reads and extra exits.  Exact for this exit sequence (its length and
    /// seed are parameters).  Returns the injected overheads for the fleet.
    static func planRows(_ cfg: RdmsrExitConfig, base: ExitPlanConfig, reasons: [ExitReason], timed: Range<Int>, seed: UInt64,
                         out: inout Output) throws -> [String: [XFDPolicy: [GuestKind: Double]]] {
        let suite = out.suite
        let k = cfg.rules.kernel.description
        let n = Double(timed.count)
        let seq: [(String, String)] = [("exits", "\(reasons.count)"), ("seed", "\(seed)"), ("kernel", k)]
        out.rows.append(.figure(suite, "plan", Params([("mix", cfg.mix.description), ("kernel", k)]), metric: "fastpath_share",
                                1 - cfg.rules.slowShare(cfg.mix), unit: "ratio", source: cfg.modelSource, depends: cfg.modelDepends,
                                note: "share of drawn exits that re-enter on the fastpath and never read XFD; " + cfg.rules.summary
                                    + "; exit mix: " + mixWords(cfg)))
        let policies: [XFDPolicy] = XFDPolicy.withXFD + [.tdx]
        let tdxMissing = cfg.rules.kernel < KVMExitRules.tdxFrom
            ? "TDX host support is in Linux \(KVMExitRules.tdxFrom)+; kernel \(k) assumed" : nil
        var injected: [String: [XFDPolicy: [GuestKind: Double]]] = [:]
        for guest in GuestKind.allCases {
            var c = base; c.guest = guest; c.fpuSwap = false
            c.policy = .none; c.msrCost = .cycles(0)
            let none = try ExitPlan(reasons: reasons, config: c)
            for pol in policies {
                let p = Params([("policy", pol.rawValue), ("guest", guest.rawValue)] + seq)
                if pol == .tdx, let why = tdxMissing {
                    out.rows.append(.skipped(suite, "plan", p, metric: "xfd_reads_per_1k_exits", unit: "reads/1k exits",
                                             source: cfg.modelSource, depends: cfg.modelDepends, reason: why))
                    continue
                }
                c.policy = pol; c.msrCost = .cycles(0)
                let counts = try ExitPlan(reasons: reasons, config: c).counts
                out.rows.append(.figure(suite, "plan", p, metric: "xfd_reads_per_1k_exits",
                                        1_000 * Double(counts.xfdReads) / Double(counts.exits), unit: "reads/1k exits",
                                        source: cfg.modelSource, depends: cfg.modelDepends,
                                        note: "RDMSR(IA32_XFD) on exits leaving the fastpath loop; \(counts.fastpathExits) fastpath re-entries without a read"))
                let extra = counts.trappedWrites + counts.nmExits + counts.xfdErrClearExits
                out.rows.append(.figure(suite, "plan", p, metric: "extra_exits_per_1k_exits",
                                        1_000 * Double(extra) / Double(counts.exits), unit: "exits/1k exits",
                                        source: cfg.modelSource, depends: cfg.modelDepends,
                                        note: "\(counts.trappedWrites) trapped XFD writes, \(counts.nmExits) XFD #NM exits, \(counts.xfdErrClearExits) XFD_ERR-clear exits for \(counts.xfdFaults) XFD faults; \(counts.guestWrites) guest XFD writes in all"))
                for src in cfg.rdmsr {
                    guard let cyc = src.cycles else { continue }
                    c.msrCost = .cycles(cyc)
                    let plan = try ExitPlan(reasons: reasons, config: c)
                    let diff = Double(plan.injectedCycles(timed) - none.injectedCycles(timed)) / n
                    injected[src.label, default: [:]][pol, default: [:]][guest] = diff
                    var q = p; q.pairs.insert((key: "rdmsr", value: src.label), at: 0)
                    out.rows.append(.figure(suite, "plan", q, metric: "injected_overhead_cycles", diff, unit: "cycles",
                                            source: cfg.modelSource, depends: cfg.modelDepends,
                                            note: "injected work over none per exit of the timed windows, from the exit plans (nothing timed)"
                                                + (pol == .tdx ? "; TDX: passthrough from vCPU creation, #NM and XFD_ERR assumed handled by the TDX module" : "")))
                }
            }
        }
        return injected
    }

    /// The closed form over a grid of RDMSR costs and round trips, with the
    /// share of exits that pay the read under the kernel assumed.
    static func analyticBreakEven(_ cfg: RdmsrExitConfig, out: inout Output) {
        let handler = cfg.costs[.msrWrite]
        let slow = cfg.rules.slowShare(cfg.mix)
        var costs = cfg.rdmsr.compactMap(\.cycles)
        if costs.isEmpty { costs = [25, 50, 100, 200, 400, 800] }
        let k = cfg.rules.kernel.description
        for t in cfg.breakEvenRoundTrips {
            for c in costs {
                out.rows.append(breakEvenFormulaRow(out.suite, rdmsr: c, roundTrip: t, handler: handler, slowShare: slow,
                                                    kernel: k, source: cfg.modelSource, depends: cfg.modelDepends))
            }
        }
        let t = cfg.costs.roundTrip
        // The same closed form over the fastpath share (1 - slowShare): the
        // mix is an assumption, so the answer is shown as a function of it,
        // with the run's own mix marked.
        if t + handler > 0 {
            for (share, point) in sweepPoints(cfg) {
                for c in costs {
                    var row = breakEvenFormulaRow(out.suite, rdmsr: c, roundTrip: t, handler: handler, slowShare: 1 - share,
                                                  kernel: k, source: cfg.modelSource, depends: cfg.modelDepends)
                    row.params = ["rdmsr": "\(c)", "round_trip": "\(t)", "kernel": k, "from": "formula-sweep",
                                  "fastpath_share": shareLabel(share), "point": point]
                    row.note += point == "mix" ? "; the run's exit mix (\(mixWords(cfg)))" : "; swept fastpath share"
                    out.rows.append(row)
                }
            }
        }
        guard let lo = costs.min(), let hi = costs.max(), t + handler > 0 else { return }
        func be(_ c: Int) -> Double {
            1_000 * XFDCostModel.breakEvenWritesPerExit(rdmsr: Double(c), roundTrip: Double(t), writeHandler: Double(handler), slowShare: slow)
        }
        out.highlights.append(String(format: "break-even, %@ (%.0f%% of the mix's exits pay the read), round trip %d + msr-write %d cycles: always-intercept is dearer above %.1f guest XFD writes per 1k exits at rdmsr=%d cycles, %.1f at %d (a Linux guest switching XFD at every context switch every %d exits makes %.1f)",
                                     cfg.rules.summary, 100 * slow, t, handler, be(lo), lo, be(hi), hi, cfg.writeInterval,
                                     1_000 / Double(cfg.writeInterval)))
    }

    /// One formula row: 1000 x rdmsr x slowShare / (round trip + handler).
    static func breakEvenFormulaRow(_ suite: String, rdmsr: Int, roundTrip: Int, handler: Int, slowShare: Double,
                                    kernel: String, source: FigureSource, depends: HostDependency) -> ResultRow {
        let w = XFDCostModel.breakEvenWritesPerExit(rdmsr: Double(rdmsr), roundTrip: Double(roundTrip),
                                                    writeHandler: Double(handler), slowShare: slowShare)
        return .figure(suite, "break-even", ["rdmsr": "\(rdmsr)", "round_trip": "\(roundTrip)", "kernel": kernel, "from": "formula"],
                       metric: "writes_per_1k_exits", 1_000 * w, unit: "writes/1k exits", source: source, depends: depends,
                       note: String(format: "1000 x rdmsr x %.3f (share of exits leaving the fastpath loop) / (round trip + msr-write handler %d cycles)",
                                    slowShare, handler))
    }

    /// The fleet from the plans alone (no timing): what the loop should
    /// show without noise.  `sequence` (exits, seed) identifies the exit
    /// sequence the figures are exact for.
    static func injectedFleet(_ cfg: RdmsrExitConfig, injected: [String: [XFDPolicy: [GuestKind: Double]]],
                              sequence: (exits: Int, seed: UInt64), out: inout Output) {
        var winners: [(String, XFDPolicy)] = []
        var tdxLine: [String] = []
        for src in cfg.rdmsr where src.cycles != nil {
            guard let t = injected[src.label] else { continue }
            var agg: [XFDPolicy: Double] = [:]
            for pol in XFDPolicy.withXFD + [.tdx] {
                guard let per = t[pol], cfg.fleet.weights.keys.allSatisfy({ per[$0] != nil }) else { continue }
                let v = XFDCostModel.fleetAggregate(per, fleet: cfg.fleet)
                agg[pol] = v
                out.rows.append(.figure(out.suite, "fleet", ["rdmsr": src.label, "policy": pol.rawValue, "fleet": fleetParam(cfg.fleet),
                                                             "exits": "\(sequence.exits)", "seed": "\(sequence.seed)",
                                                             "kernel": cfg.rules.kernel.description],
                                        metric: "injected_overhead_cycles", v, unit: "cycles", source: cfg.modelSource,
                                        depends: cfg.modelDepends, note: "fleet-weighted injected work over none per exit, from the exit plans (nothing timed)"))
            }
            if let best = XFDPolicy.withXFD.compactMap({ p in agg[p].map { (p, $0) } }).min(by: { $0.1 < $1.1 }) {
                winners.append((src.label, best.0))
            }
            if let tdx = agg[.tdx] { tdxLine.append(String(format: "%@: %.1f", src.label, tdx)) }
        }
        guard !winners.isEmpty else { return }
        out.highlights.append("model (plans, no noise), fleet \(cfg.fleet.description), \(cfg.rules.summary): cheapest policy "
            + winners.map { "rdmsr=\($0.0): \($0.1.rawValue)" }.joined(separator: "; ")
            + (tdxLine.isEmpty ? "" : "; a TDX fleet with XTILE in XFAM pays (cycles/exit) " + tdxLine.joined(separator: ", ")))
    }

    /// The sweep's points: every swept share (`point=swept`) and the run's
    /// own mix (`point=mix`), whose share is what the kernel rules make of it.
    static func sweepPoints(_ cfg: RdmsrExitConfig) -> [(Double, String)] {
        cfg.fastpathShares.map { ($0, "swept") } + [(1 - cfg.rules.slowShare(cfg.mix), "mix")]
    }

    static func shareLabel(_ s: Double) -> String { String(format: "%.2f", s) }

    /// What the run's mix is, for notes: the illustrative default, the user's
    /// weights, or a captured histogram.
    static func mixWords(_ cfg: RdmsrExitConfig) -> String {
        if let o = cfg.mix.origin { return "captured: " + o }
        return cfg.mix.description == (try? ExitMix(ExitMix.defaultSpec))?.description
            ? "the illustrative default \(cfg.mix.description), not a measured workload" : "given: \(cfg.mix.description)"
    }

    /// Exits each point of the fleet sweep plans (no timing).
    static let sweepExits = 8_192

    /// The fleet's injected overhead per policy over the fastpath share: for
    /// each point a mix with that share (the run's mix reweighted,
    /// `ExitMix.withFastpathShare`), `sweepExits` exits drawn from `seed`,
    /// planned for every guest kind; a cost of c cycles per MSR access adds
    /// c x the plan's accesses (the plans are linear in the access cost).
    static func fleetSweep(_ cfg: RdmsrExitConfig, base: ExitPlanConfig, seed: UInt64, out: inout Output) throws {
        let costs = cfg.rdmsr.compactMap(\.cycles)
        guard !costs.isEmpty else { return }
        let k = cfg.rules.kernel.description
        for (share, point) in sweepPoints(cfg) {
            let mix = point == "mix" ? cfg.mix : ExitMix.withFastpathShare(share, like: cfg.mix, rules: cfg.rules)
            let reasons = mix.sequence(count: sweepExits, seed: seed)
            var perCost: [Int: [XFDPolicy: [GuestKind: Double]]] = [:]
            for guest in GuestKind.allCases {
                var c = base; c.guest = guest; c.fpuSwap = false; c.msrCost = .cycles(0); c.policy = .none
                let none = try ExitPlan(reasons: reasons, config: c).counts.injectedCycles
                for pol in XFDPolicy.withXFD {
                    c.policy = pol
                    let n = try ExitPlan(reasons: reasons, config: c).counts
                    let accesses = n.xfdReads + n.xfdErrReads + n.xfdErrWrites
                    for cyc in costs {
                        perCost[cyc, default: [:]][pol, default: [:]][guest] =
                            Double(n.injectedCycles + cyc * accesses - none) / Double(sweepExits)
                    }
                }
            }
            for cyc in costs {
                guard let t = perCost[cyc] else { continue }
                for pol in XFDPolicy.withXFD {
                    guard let per = t[pol], cfg.fleet.weights.keys.allSatisfy({ per[$0] != nil }) else { continue }
                    out.rows.append(.figure(out.suite, "fleet", ["rdmsr": "\(cyc)", "policy": pol.rawValue, "fleet": fleetParam(cfg.fleet),
                                                                 "kernel": k, "fastpath_share": shareLabel(share), "point": point,
                                                                 "exits": "\(sweepExits)", "seed": "\(seed)"],
                                            metric: "injected_overhead_cycles", XFDCostModel.fleetAggregate(per, fleet: cfg.fleet),
                                            unit: "cycles", source: cfg.modelSource, depends: cfg.modelDepends,
                                            note: "fleet-weighted injected work over none per exit, from the exit plans (nothing timed), at a fastpath share of \(shareLabel(share)): "
                                                + (point == "mix" ? "the run's exit mix (\(mixWords(cfg)))" : "the run's mix reweighted to that share")))
                }
            }
        }
    }

    // MARK: - checks

    /// The exit loop's fidelity: `passthrough-at-cpuid - none` on a legacy
    /// guest must recover the injected RDMSR work, timed independently as a
    /// plain chain of the same number of adds run alone (no exit loop, no
    /// plan words).  A fault fraction `fault` > 0 makes the loop execute that
    /// much more RDMSR work than the plan states (XFD_BENCH_SLOWDOWN), which
    /// the check must report.
    private func loopFidelity(_ cycles: Int, cfg: RdmsrExitConfig, base: ExitPlanConfig, reasons: [ExitReason], timed: Range<Int>,
                              fault: Double, ctx: SuiteContext, out: inout Output) throws {
        var c = base; c.guest = .legacy; c.msrCost = .cycles(cycles); c.fpuSwap = false
        let none = try ExitPlan(reasons: reasons, config: c)
        c.policy = .passthroughAtCPUID
        let nominal = try ExitPlan(reasons: reasons, config: c)
        c.msrCost = .cycles(cycles + Int((Double(cycles) * fault).rounded()))
        let run = fault > 0 ? try ExitPlan(reasons: reasons, config: c) : nominal
        let K = cfg.exits
        // The reference: the RDMSR work the kernel rules put on these exits,
        // counted from the drawn reasons (not from the plans under test), as
        // one chain.  A legacy guest never writes XFD: passthrough-at-cpuid
        // adds one read per exit that leaves the loop, and a lazy-FPU #NM
        // slot becomes an exit (round trip + handler) only under it.
        let addsPerExit = Self.fidelityAddsPerExit(reasons[timed], cycles: cycles, costs: cfg.costs, rules: cfg.rules)
        withExtendedLifetime(nominal) {}
        // Loop and reference are timed again, together, while they disagree
        // (`TimedCheck`): one excursion on a shared machine is not a fault.
        let speed = SpeedCalibration(kernel: ctx.kernel)
        let decided = try TimedCheck.runTogether(checks: 1, calibrate: speed.median) { attempt in
            if attempt > 0 { try ctx.progress.step("loop fidelity rdmsr=\(cycles), attempt \(attempt + 1)") }
            let r = PairedMeasurement.run([ExitLoop(plan: none, proxy: nil, areas: nil), ExitLoop(plan: run, proxy: nil, areas: nil)],
                                          inner: K, samples: cfg.samples, kernel: ctx.kernel)
            let d = r.difference(1, minus: 0)
            var acc: UInt64 = 0
            let ref = ctx.kernel.measure(inner: K, samples: cfg.samples) { k in
                acc = cx_exit_adds(acc, UInt64((Double(k) * addsPerExit).rounded()))
            }
            withExtendedLifetime(acc) {}
            let migrated = r.migratedSamples + ref.migrationsDropped
            guard !d.isEmpty, !ref.perOp.isEmpty else {
                return ([TimedCheckMeasure(value: .nan, expected: 0, tolerance: 0)], (recovered: Double.nan, reference: Double.nan, migrated: migrated))
            }
            let recovered = Summary(d).median, reference = Summary(ref.perOp).median
            return ([TimedCheckMeasure(value: recovered, expected: reference, tolerance: Self.fidelityTolerance(reference))],
                    (recovered: recovered, reference: reference, migrated: migrated))
        }[0]
        let (recovered, reference, migrated) = decided.payload
        guard recovered.isFinite, reference.isFinite else {
            out.rows.append(ResultRow(suite: name, benchmark: "loop-fidelity", params: ["rdmsr": "\(cycles)"], metric: "recovered_ticks",
                                      source: .simulated, gate: .info, depends: .machine, status: .error, value: nil, unit: "ticks",
                                      note: "no clean round: every sample migrated or was preempted"))
            return
        }
        out.rows += Self.fidelityRows(name, rdmsr: cycles, recovered: recovered, reference: reference, addsPerExit: addsPerExit,
                                      fault: fault, migrated: migrated, attempts: decided.attempts, verdict: decided.verdict)
        let check = out.rows[out.rows.count - 3]
        out.highlights.append(String(format: "loop fidelity rdmsr=%d cycles: passthrough-at-cpuid - none recovers %.1f ticks/exit vs %.1f for the same %.1f adds timed alone (%+.1f%%, tolerance %.0f%% + %.0f ticks): %@",
                                     cycles, recovered, reference, addsPerExit, 100 * (recovered - reference) / reference,
                                     100 * Self.fidelityRelativeTolerance, Self.fidelityAbsoluteTolerance,
                                     check.status == .failed ? "CHECK FAILED" : check.status == .disturbed ? "disturbed" : "within"))
    }

    /// RDMSR work per exit passthrough-at-cpuid adds to a legacy guest's
    /// `reasons`, from the kernel rules alone (the check's reference).
    static func fidelityAddsPerExit(_ reasons: ArraySlice<ExitReason>, cycles: Int, costs: ExitCostTable, rules: KVMExitRules) -> Double {
        var adds = 0
        for r in reasons where rules.exits(r) {
            if r == .nm { adds += costs.roundTrip + costs[.nm] }
            if !rules.reentersOnFastpath(r) { adds += cycles }
        }
        return Double(adds) / Double(max(1, reasons.count))
    }

    /// The fidelity rows for given figures: the check (recovered vs
    /// reference), the reference, and the error in %.
    /// The loop-fidelity tolerance around a reference of `reference` ticks.
    static func fidelityTolerance(_ reference: Double) -> Double {
        fidelityRelativeTolerance * abs(reference) + fidelityAbsoluteTolerance
    }

    /// The loop-fidelity rows; `attempts` and `verdict` are the timed
    /// check's evidence (nil: one attempt, decided as it stands).
    static func fidelityRows(_ suite: String, rdmsr: Int, recovered: Double, reference: Double, addsPerExit: Double,
                             fault: Double, migrated: Int, attempts: [TimedCheckAttempt]? = nil,
                             verdict: TimedCheckVerdict? = nil) -> [ResultRow] {
        let p: Params = ["rdmsr": "\(rdmsr)"]
        let tolerance = fidelityTolerance(reference)
        let tried = attempts ?? [TimedCheckAttempt(value: recovered, calibrationBefore: nil, calibrationAfter: nil,
                                                   expected: reference, tolerance: tolerance)]
        var check = TimedCheck.row(suite, "loop-fidelity", p, metric: "recovered_ticks", attempts: tried,
                                   verdict: verdict ?? TimedCheck.verdict(tried, expected: reference, tolerance: tolerance, maxAttempts: tried.count)!,
                                   expected: reference, tolerance: tolerance, unit: "ticks", source: .simulated, depends: .machine,
                                   note: String(format: "median paired difference passthrough-at-cpuid - none, legacy guest (%.2f injected adds per exit)", addsPerExit)
                                       + (fault > 0 ? String(format: "; FAULT INJECTED: the loop runs %.0f%% more RDMSR work than planned", 100 * fault) : ""))
        check.migrationsDropped = migrated
        return [
            check,
            .figure(suite, "loop-fidelity", p, metric: "reference_ticks", reference, unit: "ticks", source: .measured, gate: .info,
                    depends: .machine, note: String(format: "median (t(2K x %.2f adds) - t(K x %.2f adds)) / K: the same work as one plain chain, outside the loop", addsPerExit, addsPerExit)),
            .figure(suite, "loop-fidelity", p, metric: "error_pct", reference != 0 ? 100 * (recovered - reference) / reference : .nan,
                    unit: "%", source: .simulated, gate: .info, depends: .machine, note: "(recovered - reference) / reference"),
        ]
    }

    /// Intervals of the break-even check; 8 is the break-even of its inputs.
    static let checkIntervals = [4, 8, 16]

    /// The break-even formula's prediction on the loop: always-intercept
    /// minus passthrough-at-cpuid for an AMX guest switching XFD every 4, 8
    /// and 16 exits, with RDMSR 400 cycles, round trip 1,200, write handler
    /// 400, and exits alternating HLT (reads) and preemption timer (fastpath,
    /// no read): half the exits read, so the break-even is one write per 8
    /// exits and the sign flips there.  Expected from the plans' injected
    /// cycles, scaled to ticks by a plain add chain timed alone (not by the
    /// loop or the plans under test).  Tolerance: 15 % of the trap cost per
    /// exit + 3 ticks.  A round with no clean difference is an error row.
    private func breakEvenLoopCheck(_ cfg: RdmsrExitConfig, ctx: SuiteContext, out: inout Output) throws {
        let k = 256, samples = max(15, min(cfg.samples, 61))
        let reasons = (0..<(k * (samples + 1))).map { $0 % 2 == 0 ? ExitReason.hlt : .preemptionTimer }
        let timed = k..<reasons.count
        let costs = ExitCostTable(userCycles: [.roundTrip: 1_200, .handler(.msrWrite): 400, .handler(.hlt): 200, .handler(.preemptionTimer): 200])
        func plan(_ p: XFDPolicy, _ interval: Int) throws -> ExitPlan {
            try ExitPlan(reasons: reasons, config: ExitPlanConfig(
                policy: p, guest: .amxActive, msrCost: .cycles(400), costs: costs, rules: cfg.rules, guestQuantum: 0,
                writeInterval: interval, amxSwitchPeriod: 2, newAMXTaskPeriod: 1_000_000, fpuSwap: false))
        }
        let plans = try [plan(.none, 4), plan(.passthroughAtCPUID, 4)] + Self.checkIntervals.map { try plan(.alwaysIntercept, $0) }
        let inj = plans.map { Double($0.injectedCycles(timed)) / Double(timed.count) }
        let kernel = cfg.rules.kernel.description
        // Ticks per injected add from a plain chain timed alone, outside the
        // loop and its plans: a scaling error of the loop does not cancel.
        // Loop and chain are timed again, together, while a check disagrees
        // (`TimedCheck`); each interval keeps the attempt that decided it.
        let chainAdds = 1_000
        let speed = SpeedCalibration(kernel: ctx.kernel)
        let decided = try TimedCheck.runTogether(checks: Self.checkIntervals.count, calibrate: speed.median) { attempt in
            if attempt > 0 { try ctx.progress.step("break-even loop check, attempt \(attempt + 1)") }
            let r = PairedMeasurement.run(plans.map { ExitLoop(plan: $0, proxy: nil, areas: nil) }, inner: k, samples: samples, kernel: ctx.kernel)
            var acc: UInt64 = 0
            let chain = ctx.kernel.measure(inner: k, samples: samples) { n in acc = cx_exit_adds(acc, UInt64(n * chainAdds)) }
            withExtendedLifetime(acc) {}
            let ticksPerCycle = chain.perOp.isEmpty ? Double.nan : Summary(chain.perOp).median / Double(chainAdds)
            let measured = Self.checkIntervals.indices.map { j -> Double in
                let d = r.difference(2 + j, minus: 1)
                return d.isEmpty ? .nan : Summary(d).median
            }
            let measures = Self.checkIntervals.enumerated().map { j, interval in
                let (expected, tolerance) = Self.breakEvenExpectation(plannedCycles: inj[2 + j] - inj[1],
                                                                      trapCycles: 1_600 / Double(interval), ticksPerCycle: ticksPerCycle)
                return TimedCheckMeasure(value: measured[j], expected: expected, tolerance: tolerance)
            }
            return (measures, (ticksPerCycle: ticksPerCycle, measured: measured))
        }
        for (j, interval) in Self.checkIntervals.enumerated() {
            let (attempts, verdict, payload) = decided[j]
            guard payload.ticksPerCycle.isFinite else {
                out.rows.append(Self.breakEvenCheckError(out.suite, interval: interval, kernel: kernel,
                    why: "the reference add chain had no clean sample (every one migrated or was preempted)"))
                continue
            }
            guard payload.measured[j].isFinite else {
                out.rows.append(Self.breakEvenCheckError(out.suite, interval: interval, kernel: kernel,
                    why: "no clean round of always-intercept vs passthrough-at-cpuid: every sample migrated or was preempted"))
                continue
            }
            out.rows.append(Self.breakEvenCheckRow(out.suite, interval: interval, measured: payload.measured[j],
                                                   plannedCycles: inj[2 + j] - inj[1], trapCycles: 1_600 / Double(interval),
                                                   ticksPerCycle: payload.ticksPerCycle, kernel: kernel,
                                                   attempts: attempts, verdict: verdict))
        }
    }

    /// The break-even check row when its loop difference could not be taken.
    static func breakEvenCheckError(_ suite: String, interval: Int, kernel: String, why: String) -> ResultRow {
        ResultRow(suite: suite, benchmark: "break-even", params: ["from": "loop-check", "interval": "\(interval)", "kernel": kernel],
                  metric: "always_minus_read_ticks", source: .simulated, gate: .info, depends: .machine, status: .error,
                  value: nil, unit: "ticks", note: why)
    }

    /// What the break-even check expects: the plans' difference in cycles at
    /// the chain's ticks per cycle, within 15 % of the trap cost per exit + 3 ticks.
    static func breakEvenExpectation(plannedCycles: Double, trapCycles: Double, ticksPerCycle: Double)
        -> (expected: Double, tolerance: Double) {
        (plannedCycles * ticksPerCycle, 0.15 * trapCycles * ticksPerCycle + 3)
    }

    /// One break-even check row: measured ticks vs the plans' difference in
    /// cycles x the loop's ticks per cycle.
    static func breakEvenCheckRow(_ suite: String, interval: Int, measured: Double, plannedCycles: Double, trapCycles: Double,
                                  ticksPerCycle: Double, kernel: String, attempts: [TimedCheckAttempt]? = nil,
                                  verdict: TimedCheckVerdict? = nil) -> ResultRow {
        let (expected, tolerance) = breakEvenExpectation(plannedCycles: plannedCycles, trapCycles: trapCycles, ticksPerCycle: ticksPerCycle)
        let tried = attempts ?? [TimedCheckAttempt(value: measured, calibrationBefore: nil, calibrationAfter: nil,
                                                   expected: expected, tolerance: tolerance)]
        return TimedCheck.row(suite, "break-even", ["from": "loop-check", "interval": "\(interval)", "kernel": kernel],
                               metric: "always_minus_read_ticks", attempts: tried,
                               verdict: verdict ?? TimedCheck.verdict(tried, expected: expected, tolerance: tolerance, maxAttempts: tried.count)!,
                               expected: expected, tolerance: tolerance, unit: "ticks", source: .simulated, depends: .machine,
                               note: String(format: "always-intercept - passthrough-at-cpuid per exit, AMX guest writing XFD every %d exits, rdmsr 400, round trip 1200, handler 400, half the exits on the fastpath (break-even every 8 exits); plans: %.1f cycles x %.4f ticks/add of a plain chain timed alone", interval, plannedCycles, ticksPerCycle))
    }

    // MARK: - figures derived from the loop

    /// Break-even from the loop's own measurements: read cost R (legacy,
    /// passthrough-at-cpuid - none) and trap cost W per write (amx-active,
    /// always-intercept - none, scaled by exits per context switch).
    private func measuredBreakEven(_ src: RDMSRSource, _ t: [XFDPolicy: [GuestKind: Double]], cfg: RdmsrExitConfig,
                                   timed: Range<Int>, out: inout Output) {
        let p: Params = ["rdmsr": src.label, "kernel": cfg.rules.kernel.description, "from": "loop"]
        let writes = timed.filter { ($0 + 1) % cfg.writeInterval == 0 }.count
        guard writes > 0 else {
            out.rows.append(.skipped(name, "break-even", p, metric: "writes_per_1k_exits", unit: "writes/1k exits", source: src.timedSource,
                                     depends: .none, reason: "xfd-write-interval \(cfg.writeInterval) > \(timed.count) timed exits: no guest write measured"))
            return
        }
        guard let read = t[.passthroughAtCPUID]?[.legacy], let trapPerExit = t[.alwaysIntercept]?[.amxActive] else { return }
        out.rows += Self.loopBreakEvenRows(name, p, read: read, trapPerExit: trapPerExit, exits: timed.count, writes: writes,
                                           source: src.timedSource)
    }

    /// The loop break-even rows: trap cost per write, read cost per exit,
    /// and 1000 x read / trap per write.
    static func loopBreakEvenRows(_ suite: String, _ p: Params, read: Double, trapPerExit: Double, exits: Int, writes: Int,
                                  source: FigureSource) -> [ResultRow] {
        let perWrite = trapPerExit * Double(exits) / Double(writes)
        let be = perWrite > 0 ? 1_000 * read / perWrite : .nan
        return [
            .figure(suite, "break-even", p, metric: "trap_ticks_per_write", perWrite, unit: "ticks", source: source, gate: .info,
                    depends: .machine, note: "amx-active always-intercept - none, x exits per context switch (\(exits)/\(writes)): round trip + msr-write handler, and the XFD_ERR-clear exits of its XFD faults"),
            .figure(suite, "break-even", p, metric: "read_ticks_per_exit", read, unit: "ticks", source: source, gate: .info,
                    depends: .machine, note: "legacy passthrough-at-cpuid - none (only exits leaving the fastpath loop read)"),
            .figure(suite, "break-even", p, metric: "writes_per_1k_exits", be, unit: "writes/1k exits", source: source, gate: .info,
                    depends: .machine, note: "1000 x read / trap cost per write, both from the loop: always-intercept is dearer above this guest XFD write rate"),
        ]
    }

    private func cpuShareAndFleet(_ cfg: RdmsrExitConfig, ran: [RDMSRSource], table: [String: [XFDPolicy: [GuestKind: Double]]],
                                  noneTicks: [String: [GuestKind: Double]], ctx: SuiteContext, out: inout Output) {
        var cheapest: [(String, XFDPolicy)] = []
        for src in ran {
            guard let t = table[src.label] else { continue }
            let s = src.timedSource
            for pol in XFDPolicy.withXFD {
                for guest in GuestKind.allCases {
                    guard let ticks = t[pol]?[guest] else { continue }
                    for rate in cfg.exitRates {
                        let share = XFDCostModel.cpuShare(overheadTicks: ticks, exitsPerSecond: rate, tscHz: ctx.tsc.hz)
                        out.rows.append(.figure(name, "cpu-share", ["rdmsr": src.label, "policy": pol.rawValue, "guest": guest.rawValue,
                                                                    "exits_per_s": Self.rate(rate)],
                                                metric: "vcpu_share_lost", 100 * share, unit: "%", source: s, gate: .info,
                                                depends: .machine, note: "overhead_ticks x exit rate / TSC Hz"))
                    }
                }
            }
            var fleetTicks: [XFDPolicy: Double] = [:]
            let noneFleet = noneTicks[src.label].map { XFDCostModel.fleetAggregate($0, fleet: cfg.fleet) } ?? .nan
            for pol in XFDPolicy.withXFD {
                guard let per = t[pol], cfg.fleet.weights.keys.allSatisfy({ per[$0] != nil }) else { continue }
                let agg = XFDCostModel.fleetAggregate(per, fleet: cfg.fleet)
                fleetTicks[pol] = agg
                let p: Params = ["rdmsr": src.label, "policy": pol.rawValue, "fleet": Self.fleetParam(cfg.fleet),
                                 "kernel": cfg.rules.kernel.description]
                out.rows.append(.figure(name, "fleet", p, metric: "overhead_ticks", agg, unit: "ticks", source: s, gate: .info,
                                        depends: .machine, note: "fleet-weighted mean of the loop's per-exit overheads"))
                out.rows.append(.figure(name, "fleet", p, metric: "overhead_pct", 100 * agg / noneFleet, unit: "%", source: s,
                                        gate: .info, depends: .machine, note: "fleet overhead / fleet-weighted ticks per exit of none"))
                for rate in cfg.exitRates {
                    var q = p; q.pairs.append((key: "exits_per_s", value: Self.rate(rate)))
                    out.rows.append(.figure(name, "fleet", q, metric: "vcpu_share_lost",
                                            100 * XFDCostModel.cpuShare(overheadTicks: agg, exitsPerSecond: rate, tscHz: ctx.tsc.hz),
                                            unit: "%", source: s, gate: .info, depends: .machine, note: "fleet overhead x exit rate / TSC Hz"))
                }
            }
            if let best = fleetTicks.min(by: { $0.value < $1.value }) {
                cheapest.append((src.label, best.key))
                let fmt = XFDPolicy.withXFD.compactMap { p in fleetTicks[p].map { String(format: "%@ %.1f", p.rawValue, $0) } }
                out.highlights.append("fleet \(cfg.fleet.description), rdmsr=\(src.label) (\(s.rawValue)): ticks/exit over none: "
                    + fmt.joined(separator: ", ") + "; cheapest: \(best.key.rawValue)")
            }
            if let leg = t[.passthroughAtCPUID]?[.legacy], let idle = t[.passthroughOnFirstWrite]?[.linuxIdle],
               let amx = t[.passthroughOnFirstWrite]?[.amxActive], let alw = t[.alwaysIntercept]?[.amxActive] {
                out.highlights.append(String(format: "rdmsr=%@: legacy pays %.1f ticks/exit under passthrough-at-cpuid; linux-idle %.1f under passthrough-on-first-write; amx-active %.1f under passthrough-on-first-write, %.1f under always-intercept",
                                             src.label, leg, idle, amx, alw))
            }
        }
        let winners = Set(cheapest.map { $0.1 })
        let head = "cheapest policy for the fleet (\(cfg.fleet.description), \(cfg.rules.summary)) in the timed loop (simulated: RDMSR cost injected, or proxy)"
        if winners.count == 1, let w = winners.first {
            out.highlights.insert(head + ": \(w.rawValue), at every RDMSR cost run (" + cheapest.map(\.0).joined(separator: ", ") + ")", at: 0)
        } else if !cheapest.isEmpty {
            out.highlights.insert(head + " depends on the RDMSR cost: " + cheapest.map { "\($0.0): \($0.1.rawValue)" }.joined(separator: "; "), at: 0)
        }
    }

    /// A per-exit figure from the clean rounds of a paired measurement:
    /// `value` is the median over rounds (heavy-tailed noise left out; with
    /// K a multiple of the context-switch interval every window holds the
    /// same number of switches).  `migrations_dropped` counts samples the
    /// timing kernel discarded for a CPU change; preempted samples, rounds
    /// set aside and rounds dropped are in the note.
    static func medianRow(_ suite: String, _ benchmark: String, _ params: Params, metric: String, _ values: [Double],
                          _ r: PairedMeasurement.Result, source: FigureSource, gate: GateClass, note: String) -> ResultRow {
        guard !values.isEmpty else {
            return ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric, source: source,
                             gate: .info, depends: .machine, status: .error, value: nil, unit: "ticks",
                             migrationsDropped: r.migratedSamples, note: "no clean round: every sample migrated or was preempted")
        }
        let s = Summary(values)
        return ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric, source: source, gate: gate,
                         depends: .machine, value: s.median, unit: "ticks", summary: s, migrationsDropped: r.migratedSamples,
                         note: note + "; value: median over \(values.count) rounds" + preemptionNote(r), samples: values)
    }

    /// What a stand-in measures, for the notes of its rows.
    static func proxyNote(_ p: ProxyInstruction) -> String {
        switch p {
        case .rdpid:
            return "each MSR access runs LFENCE; RDPID (reads IA32_TSC_AUX) as a link of the loop's dependency chain: it starts after the work before it and the work after it waits for its result, so it adds its latency (LFENCE included), not the throughput of back-to-back RDPIDs; RDMSR itself was not measured"
        case .rdtscp:
            return "each MSR access runs RDTSCP (reads IA32_TSC_AUX and the TSC) as a link of the loop's dependency chain: it waits for earlier instructions and the work after it waits for its result, so it adds its latency; RDMSR itself was not measured"
        }
    }

    static func fleetParam(_ f: FleetMix) -> String {
        f.description.replacingOccurrences(of: ",", with: "/").replacingOccurrences(of: "=", with: ":")
    }

    static func preemptionNote(_ r: PairedMeasurement.Result) -> String {
        r.preemptedSamples == 0 && r.roundsDropped == 0 && r.disturbedRounds == 0 ? ""
            : "; \(r.perLoop[0].count) clean rounds (\(r.disturbedRounds) set aside beyond the far-out Tukey fence, \(r.preemptedSamples) samples retaken after a context switch, \(r.roundsDropped) dropped)"
    }

    private static func rate(_ r: Double) -> String {
        r == r.rounded() ? String(Int(r)) : String(r)
    }
}
