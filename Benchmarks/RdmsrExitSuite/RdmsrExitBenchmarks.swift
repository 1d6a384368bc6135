import BenchCore
import Foundation

/// `rdmsr-exit`: what one RDMSR(IA32_XFD) per vm-exit costs a vCPU, and
/// which XFD interception policy is cheapest for which guests.
///
/// A simulated vCPU run loop (real code, real TSC) runs one iteration per
/// vm-exit: optional guest quantum, exit round trip, the exit reason's
/// handler (calibrated dependent adds from the cost table), the policy's XFD
/// step (the per-exit RDMSR, trapped writes as extra exits, XFD_ERR on #NM)
/// and, for exits to user space, a real XSAVE/XRSTOR FPU swap.  RDMSR cannot
/// run in user space: its cost is injected work (`model`/`input`) or a real
/// stand-in instruction (`proxy`).  Policies are measured in interleaved
/// rounds against the `none` baseline, so overheads are paired differences.
/// Models (CPU share, break-even, fleet) are computed from those.
public struct RdmsrExitBenchmarks: BenchmarkSuite {
    public init() {}
    public let name = "rdmsr-exit"
    public let summary = "cost of RDMSR(IA32_XFD) per vm-exit in a simulated exit loop, per XFD interception policy"
    public let benchmarks = [
        BenchmarkInfo("loop-overhead", "the loop itself, all work zero (ticks per exit; target <= 10)"),
        BenchmarkInfo("fpu-swap", "real XSAVE/XRSTOR swap of an exit to user space, host XCR0 mask"),
        BenchmarkInfo("injected-add", "ticks per injected dependent add inside the loop vs the harness estimate"),
        BenchmarkInfo("exit-loop", "ticks per exit per RDMSR source x policy x guest kind"),
        BenchmarkInfo("overhead", "per-exit overhead vs none, ticks and % (paired differences)"),
        BenchmarkInfo("self-check", "passthrough-at-cpuid - none vs the injected RDMSR cost (error)"),
        BenchmarkInfo("cpu-share", "model: vCPU share lost at given exit rates"),
        BenchmarkInfo("break-even", "guest XFD writes per 1k exits above which always-intercept is dearer (analytic and from the loop)"),
        BenchmarkInfo("fleet", "model: overhead of each policy for a fleet mix of guest kinds"),
    ]
    public let parameters = RdmsrExitConfig.parameters

    public func configure(_ ctx: SuiteContext) throws { try RdmsrExitConfig(ctx).checkWork(quick: ctx.quick) }

    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        let cfg = try RdmsrExitConfig(ctx)
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
        ctx.progress.plan(total: 3 + cfg.rdmsr.count + 1)
        let base = ExitPlanConfig(policy: .none, guest: .legacy, msrCost: .cycles(0), roundTrip: cfg.roundTrip,
                                  guestQuantum: cfg.guestQuantum, costs: cfg.costs,
                                  writeInterval: cfg.writeInterval, fpuSwap: areas != nil)

        // --- the loop's own cost: every exit does nothing
        try ctx.progress.step("loop overhead")
        var zero = base
        zero.roundTrip = 0; zero.guestQuantum = 0; zero.costs = .zero; zero.fpuSwap = false
        let zeroPlan = try ExitPlan(reasons: reasons, config: zero)
        let zeroLoop = ExitLoop(plan: zeroPlan, proxy: nil, areas: nil)
        // An empty exit is a few ticks: amortise over at least 1,024 exits so
        // the TSC step (~24 ticks here) stays far below the figure.
        let kEmpty = max(K, 1_024)
        let emptySamples = max(cfg.samples, 15)
        let emptyLoop = ExitLoop(plan: try ExitPlan(reasons: cfg.mix.sequence(
                                    count: PairedMeasurement.sequenceLength(inner: kEmpty, samples: emptySamples), seed: ctx.seed),
                                                    config: zero),
                                 proxy: nil, areas: nil)
        let overhead = PairedMeasurement.run([emptyLoop], inner: kEmpty, samples: emptySamples, kernel: ctx.kernel)
        var ovRow = Self.meanRow(name, "loop-overhead", ["exits": "\(kEmpty)"], metric: "ticks_per_exit",
                                 overhead.perLoop[0], dropped: overhead.roundsDropped, source: .measured,
                                     note: "all work zero: one word load, an empty add block and two branches per exit; (t(2K)-t(K))/K" + Self.preemptionNote(overhead))
        ovRow.gate = .info  // a property of the harness on this machine
        out.rows.append(ovRow)
        let loopOverhead = ovRow.value ?? .nan
        out.highlights.append(String(format: "loop overhead: %.2f ticks/exit amortised over %d exits (target <= 10: %@)",
                                     loopOverhead, kEmpty, loopOverhead <= 10 ? "met" : "NOT met"))

        // --- the FPU swap, alone
        try ctx.progress.step("fpu swap")
        if let a = areas {
            let ioOnly = Array(repeating: ExitReason.io, count: reasons.count)
            var withSwap = zero; withSwap.fpuSwap = true
            let p1 = try ExitPlan(reasons: ioOnly, config: withSwap), p0 = try ExitPlan(reasons: ioOnly, config: zero)
            let r = PairedMeasurement.run([ExitLoop(plan: p1, proxy: nil, areas: a), ExitLoop(plan: p0, proxy: nil, areas: nil)],
                                          inner: K, samples: cfg.samples, kernel: ctx.kernel)
            let row = Self.meanRow(name, "fpu-swap", ["mask": "0x" + String(a.mask, radix: 16)], metric: "ticks_per_swap",
                                   r.difference(0, minus: 1), dropped: r.roundsDropped, source: .measured, median: true,
                                       note: "XSAVE guest, XRSTOR host, XSAVE host, XRSTOR guest (\(a.bytes) B standard format); paired difference vs the empty loop" + Self.preemptionNote(r))
            var swapRow = row
            swapRow.gate = .timing
            out.rows.append(swapRow)
            out.highlights.append(String(format: "FPU swap of a user-space exit (2x XSAVE + 2x XRSTOR, mask 0x%@): %.0f ticks",
                                         String(a.mask, radix: 16), row.value ?? .nan))
        } else if case .failure(let why) = swap {
            out.rows.append(.skipped(name, "fpu-swap", metric: "ticks_per_swap", unit: "ticks", depends: .cpu, reason: why.text))
        }

        // --- injected work: ticks per add inside this loop
        try ctx.progress.step("injected-add calibration")
        var calCfg = zero; calCfg.guestQuantum = 1_000
        let calPlan = try ExitPlan(reasons: reasons, config: calCfg)
        let cal = PairedMeasurement.run([ExitLoop(plan: calPlan, proxy: nil, areas: nil), zeroLoop],
                                        inner: K, samples: cfg.samples, kernel: ctx.kernel)
        let perAdd = cal.difference(0, minus: 1).map { $0 / 1_000 }
        out.rows.append(Self.meanRow(name, "injected-add", ["adds_per_exit": "1000"], metric: "ticks_per_add",
                                     perAdd, dropped: cal.roundsDropped, source: .measured, median: true,
                                note: "1,000 injected adds per exit minus the empty loop, /1000" + Self.preemptionNote(cal)))
        let loopTicksPerAdd = perAdd.isEmpty ? .nan : Summary(perAdd).median
        if let t = ctx.ticksPerCoreCycle {
            out.rows.append(.figure(name, "injected-add", metric: "loop_over_harness", loopTicksPerAdd / t, unit: "ratio",
                                    source: .measured, depends: .machine, note: String(format: "in-loop ticks per add / harness estimate %.4f ticks per core cycle", t)))
        }
        out.highlights.append(String(format: "injected work: %.4f ticks per add in the loop; harness estimate %@ ticks per core cycle",
                                     loopTicksPerAdd, ctx.ticksPerCoreCycle.map { String(format: "%.4f", $0) } ?? "unavailable"))

        // --- the loop under every RDMSR source, policy and guest kind
        var table: [String: [XFDPolicy: [GuestKind: Double]]] = [:]
        var injectedTable: [String: [XFDPolicy: [GuestKind: Double]]] = [:]
        var noneTicks: [String: [GuestKind: Double]] = [:]
        var ran: [RDMSRSource] = []
        for src in cfg.rdmsr {
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
            var pairs: [GuestKind: PairedMeasurement.Result] = [:]
            var plans: [GuestKind: [ExitPlan]] = [:]
            for guest in GuestKind.allCases {
                var c = base; c.guest = guest; c.msrCost = src.cost
                let policies = XFDPolicy.allCases
                let ps = try policies.map { pol -> ExitPlan in c.policy = pol; return try ExitPlan(reasons: reasons, config: c) }
                let loops = ps.map { ExitLoop(plan: $0, proxy: proxy, areas: areas) }
                let r = PairedMeasurement.run(loops, inner: K, samples: cfg.samples, kernel: ctx.kernel)
                pairs[guest] = r; plans[guest] = ps
                let noneMean = Self.mean(r.perLoop[0])
                noneTicks[src.label, default: [:]][guest] = noneMean
                for (i, pol) in policies.enumerated() {
                    let p: Params = ["rdmsr": src.label, "policy": pol.rawValue, "guest": guest.rawValue]
                    let injected = Double(ps[i].injectedCycles(timed)) / Double(timed.count)
                    var loopRow = Self.meanRow(name, "exit-loop", p, metric: "ticks_per_exit",
                                               r.perLoop[i], dropped: r.roundsDropped,
                                            source: pol == .none ? cfg.costSource : src.source,
                                            note: String(format: "simulated exits, injected %.1f cycles/exit (cost table, round trip %d, quantum %d)", injected, cfg.roundTrip, cfg.guestQuantum)
                                                + (proxy.map { "; " + Self.proxyNote($0) } ?? "") + "; " + swapNote
                                                + Self.preemptionNote(r))
                    loopRow.gate = .timing
                    out.rows.append(loopRow)
                    guard pol != .none else { continue }
                    let d = r.difference(i, minus: 0)
                    let injectedDiff = injected - Double(ps[0].injectedCycles(timed)) / Double(timed.count)
                    injectedTable[src.label, default: [:]][pol, default: [:]][guest] = injectedDiff
                    var ovr = Self.meanRow(name, "overhead", p, metric: "overhead_ticks",
                                           d, dropped: r.roundsDropped, source: src.source, median: true,
                                               note: String(format: "paired per-round difference vs none; injected difference %.2f cycles/exit", injectedDiff)
                                                + (proxy != nil ? " plus the stand-in instructions" : "") + Self.preemptionNote(r))
                    ovr.gate = .info  // a difference of two timings: reported, the timings themselves are gated
                    out.rows.append(ovr)
                    let ticks = ovr.value ?? .nan
                    perPolicy[pol, default: [:]][guest] = ticks
                    out.rows.append(.figure(name, "overhead", p, metric: "overhead_pct", 100 * ticks / noneMean, unit: "%",
                                            source: src.source, gate: .info, depends: .machine, note: "overhead_ticks / mean ticks per exit of none"))
                }
            }
            table[src.label] = perPolicy
            selfCheck(src, pairs[.legacy]!, plans[.legacy]!, timed: timed, ctx: ctx, out: &out)
            measuredBreakEven(src, perPolicy, cfg: cfg, timed: timed, ctx: ctx, out: &out)
        }

        try ctx.progress.step("models")
        analyticBreakEven(cfg, ctx: ctx, out: &out)
        cpuShareAndFleet(cfg, ran: ran, table: table, noneTicks: noneTicks, ctx: ctx, out: &out)
        injectedFleet(cfg, ran: ran, injected: injectedTable, sequence: (reasons.count, ctx.seed), out: &out)
        return SuiteResult(rows: out.rows, highlights: out.highlights)
    }

    /// Rows and highlight lines collected during a run.
    struct Output {
        let suite: String
        var rows: [ResultRow] = []
        var highlights: [String] = []
    }

    /// passthrough-at-cpuid - none on a legacy guest: exactly one injected
    /// RDMSR per exit, so the measured difference should equal the injected
    /// cycles converted with the harness's ticks-per-core-cycle estimate.
    private func selfCheck(_ src: RDMSRSource, _ r: PairedMeasurement.Result, _ plans: [ExitPlan], timed: Range<Int>,
                           ctx: SuiteContext, out: inout Output) {
        guard let cycles = src.cycles else { return }
        let p: Params = ["rdmsr": src.label]
        guard let tpc = ctx.ticksPerCoreCycle else {
            out.rows.append(.skipped(name, "self-check", p, metric: "error_ticks", unit: "ticks",
                                     depends: .machine, reason: "no ticks-per-core-cycle estimate to convert the injected cost"))
            return
        }
        let ptIndex = XFDPolicy.allCases.firstIndex(of: .passthroughAtCPUID)!
        let d = r.difference(ptIndex, minus: 0)
        guard !d.isEmpty else { return }
        let s = Summary(d)
        let injectedCycles = Double(plans[ptIndex].injectedCycles(timed) - plans[0].injectedCycles(timed)) / Double(timed.count)
        let expected = injectedCycles * tpc
        let err = s.median - expected
        let resolution = (s.ciHigh - s.ciLow) / 2
        out.rows.append(.figure(name, "self-check", p, metric: "measured_ticks", s.median, unit: "ticks", source: .measured,
                                gate: .info, depends: .machine, note: "median paired difference passthrough-at-cpuid - none, legacy guest"))
        out.rows.append(.figure(name, "self-check", p, metric: "injected_ticks", expected, unit: "ticks", source: .model,
                                gate: .info, depends: .machine, note: String(format: "%.1f injected cycles/exit x %.4f ticks per core cycle (harness estimate)", injectedCycles, tpc)))
        out.rows.append(.figure(name, "self-check", p, metric: "error_ticks", err, unit: "ticks", source: .measured,
                                gate: .info, depends: .machine, note: String(format: "measured - injected; resolution (95%% CI half-width of the median) %.2f ticks: %@",
                                                          resolution, abs(err) <= resolution ? "within" : "outside")))
        out.rows.append(.figure(name, "self-check", p, metric: "error_pct", expected > 0 ? 100 * err / expected : .nan,
                                unit: "%", source: .measured, gate: .info, depends: .machine, note: "error_ticks / injected_ticks"))
        out.highlights.append(String(format: "self-check rdmsr=%d cycles: measured %.1f vs injected %.1f ticks/exit, error %+.1f ticks (%+.1f%%), resolution +/-%.1f",
                                     cycles, s.median, expected, err, expected > 0 ? 100 * err / expected : .nan, resolution))
    }

    /// Break-even from the loop's own measurements: read cost R (legacy,
    /// passthrough-at-cpuid - none) and trapped-write cost W (aware-idle,
    /// always-intercept - none, scaled by exits per write).
    private func measuredBreakEven(_ src: RDMSRSource, _ t: [XFDPolicy: [GuestKind: Double]], cfg: RdmsrExitConfig,
                                   timed: Range<Int>, ctx: SuiteContext, out: inout Output) {
        let p: Params = ["rdmsr": src.label, "from": "loop"]
        let writes = timed.filter { ($0 + 1) % cfg.writeInterval == 0 }.count
        guard writes > 0 else {
            out.rows.append(.skipped(name, "break-even", p, metric: "writes_per_1k_exits", unit: "writes/1k exits", source: .model,
                                     depends: .none, reason: "xfd-write-interval \(cfg.writeInterval) > \(timed.count) timed exits: no guest write measured"))
            return
        }
        guard let read = t[.passthroughAtCPUID]?[.legacy], let trapPerExit = t[.alwaysIntercept]?[.awareIdle] else { return }
        let perWrite = trapPerExit * Double(timed.count) / Double(writes)
        out.rows.append(.figure(name, "break-even", p, metric: "trap_ticks_per_write", perWrite, unit: "ticks",
                                source: src.source == .proxy ? .proxy : .model, gate: .info,
                                depends: .machine, note: "aware-idle always-intercept - none, x exits per trapped write (\(timed.count)/\(writes)); injected round trip + msr-write handler"))
        out.rows.append(.figure(name, "break-even", p, metric: "read_ticks_per_exit", read, unit: "ticks",
                                source: src.source, gate: .info, depends: .machine, note: "legacy passthrough-at-cpuid - none"))
        let be = perWrite > 0 ? 1_000 * read / perWrite : .nan
        out.rows.append(.figure(name, "break-even", p, metric: "writes_per_1k_exits", be, unit: "writes/1k exits",
                                source: src.source == .proxy ? .proxy : .model, gate: .info,
                                depends: .machine, note: "1000 x read / trap cost, both from the loop: always-intercept is dearer above this guest XFD write rate"))
    }

    /// The closed form over a grid of RDMSR costs and round trips.
    private func analyticBreakEven(_ cfg: RdmsrExitConfig, ctx: SuiteContext, out: inout Output) {
        let handler = cfg.costs[.msrWrite]
        var costs = cfg.rdmsr.compactMap(\.cycles)
        if costs.isEmpty { costs = [25, 50, 100, 200, 400, 800] }
        let userSet = ["rdmsr-cost", "break-even-round-trips", "cost-table"].contains(where: ctx.isUserSet)
        for t in cfg.breakEvenRoundTrips {
            for c in costs {
                let w = XFDCostModel.breakEvenWritesPerExit(rdmsr: Double(c), roundTrip: Double(t), writeHandler: Double(handler))
                out.rows.append(.figure(name, "break-even", ["rdmsr": "\(c)", "round_trip": "\(t)", "from": "formula"],
                                        metric: "writes_per_1k_exits", 1_000 * w, unit: "writes/1k exits",
                                        source: userSet ? .input : .model,
                                        depends: .none, note: String(format: "1000 x rdmsr / (round trip + msr-write handler %d cycles); interval %.1f exits", handler, 1 / w)))
            }
        }
        let t = cfg.roundTrip, lo = costs.min()!, hi = costs.max()!
        if t + handler > 0 {
            out.highlights.append(String(format: "break-even (round trip %d + msr-write %d cycles): always-intercept is dearer above %.1f guest XFD writes per 1k exits at rdmsr=%d cycles, %.1f at %d (write every %d exits simulated)",
                                         t, handler, 1_000 * Double(lo) / Double(t + handler), lo,
                                         1_000 * Double(hi) / Double(t + handler), hi, cfg.writeInterval))
        }
    }

    private func cpuShareAndFleet(_ cfg: RdmsrExitConfig, ran: [RDMSRSource], table: [String: [XFDPolicy: [GuestKind: Double]]],
                                  noneTicks: [String: [GuestKind: Double]], ctx: SuiteContext, out: inout Output) {
        var cheapest: [(String, XFDPolicy)] = []
        for src in ran {
            guard let t = table[src.label] else { continue }
            for pol in XFDPolicy.withXFD {
                for guest in GuestKind.allCases {
                    guard let ticks = t[pol]?[guest] else { continue }
                    for rate in cfg.exitRates {
                        let share = XFDCostModel.cpuShare(overheadTicks: ticks, exitsPerSecond: rate, tscHz: ctx.tsc.hz)
                        out.rows.append(.figure(name, "cpu-share", ["rdmsr": src.label, "policy": pol.rawValue, "guest": guest.rawValue,
                                                                    "exits_per_s": Self.rate(rate)],
                                                metric: "vcpu_share_lost", 100 * share, unit: "%", source: .model, gate: .info,
                                                depends: .machine, note: "model: overhead_ticks (\(src.source.rawValue)) x exit rate / TSC Hz"))
                    }
                }
            }
            // Fleet: weighted mean of per-guest overheads.
            var fleetTicks: [XFDPolicy: Double] = [:]
            let noneFleet = noneTicks[src.label].map { XFDCostModel.fleetAggregate($0, fleet: cfg.fleet) } ?? .nan
            for pol in XFDPolicy.withXFD {
                guard let per = t[pol], cfg.fleet.weights.keys.allSatisfy({ per[$0] != nil }) else { continue }
                let agg = XFDCostModel.fleetAggregate(per, fleet: cfg.fleet)
                fleetTicks[pol] = agg
                let p: Params = ["rdmsr": src.label, "policy": pol.rawValue, "fleet": Self.fleetParam(cfg.fleet)]
                out.rows.append(.figure(name, "fleet", p, metric: "overhead_ticks", agg, unit: "ticks", source: .model, gate: .info,
                                        depends: .machine, note: "model: fleet-weighted mean of measured per-exit overheads (\(src.source.rawValue))"))
                out.rows.append(.figure(name, "fleet", p, metric: "overhead_pct", 100 * agg / noneFleet, unit: "%", source: .model,
                                        gate: .info, depends: .machine, note: "fleet overhead / fleet-weighted ticks per exit of none"))
                for rate in cfg.exitRates {
                    var q = p; q.pairs.append((key: "exits_per_s", value: Self.rate(rate)))
                    out.rows.append(.figure(name, "fleet", q, metric: "vcpu_share_lost",
                                            100 * XFDCostModel.cpuShare(overheadTicks: agg, exitsPerSecond: rate, tscHz: ctx.tsc.hz),
                                            unit: "%", source: .model, gate: .info, depends: .machine, note: "model: fleet overhead x exit rate / TSC Hz"))
                }
            }
            if let best = fleetTicks.min(by: { $0.value < $1.value }) {
                cheapest.append((src.label, best.key))
                let fmt = XFDPolicy.withXFD.compactMap { p in fleetTicks[p].map { String(format: "%@ %.1f", p.rawValue, $0) } }
                out.highlights.append("fleet \(cfg.fleet.description), rdmsr=\(src.label) (\(src.source.rawValue)): ticks/exit over none: "
                    + fmt.joined(separator: ", ") + "; cheapest: \(best.key.rawValue)")
            }
            if let amx = t[.passthroughOnFirstWrite]?[.amxActive], let leg = t[.passthroughAtCPUID]?[.legacy],
               let alw = t[.alwaysIntercept]?[.amxActive] {
                out.highlights.append(String(format: "rdmsr=%@: legacy guest pays %.1f ticks/exit under passthrough-at-cpuid; amx-active pays %.1f under passthrough-on-first-write, %.1f under always-intercept",
                                             src.label, leg, amx, alw))
            }
        }
        let winners = Set(cheapest.map { $0.1 })
        if winners.count == 1, let w = winners.first {
            out.highlights.insert("cheapest policy for the fleet (\(cfg.fleet.description)) in the timed loop (RDMSR cost injected or proxied, as each row's source says): \(w.rawValue), at every RDMSR cost run ("
                + cheapest.map(\.0).joined(separator: ", ") + ")", at: 0)
        } else if !cheapest.isEmpty {
            out.highlights.insert("cheapest policy for the fleet (\(cfg.fleet.description)) in the timed loop (RDMSR cost injected or proxied, as each row's source says) depends on the RDMSR cost: "
                + cheapest.map { "\($0.0): \($0.1.rawValue)" }.joined(separator: "; "), at: 0)
        }
    }

    /// The fleet from the injected costs alone (no timing): what the loop
    /// should show without noise.  Only for RDMSR costs given in cycles.
    /// `sequence` (exits simulated, seed) identifies the exit sequence the
    /// figures are exact for; it is part of each row's parameters, so runs of
    /// other lengths (e.g. --quick) or seeds are not compared with them.
    private func injectedFleet(_ cfg: RdmsrExitConfig, ran: [RDMSRSource], injected: [String: [XFDPolicy: [GuestKind: Double]]],
                               sequence: (exits: Int, seed: UInt64), out: inout Output) {
        var winners: [(String, XFDPolicy)] = []
        for src in ran where src.cycles != nil {
            guard let t = injected[src.label] else { continue }
            var agg: [XFDPolicy: Double] = [:]
            for pol in XFDPolicy.withXFD {
                guard let per = t[pol], cfg.fleet.weights.keys.allSatisfy({ per[$0] != nil }) else { continue }
                agg[pol] = XFDCostModel.fleetAggregate(per, fleet: cfg.fleet)
                out.rows.append(.figure(name, "fleet", ["rdmsr": src.label, "policy": pol.rawValue, "fleet": Self.fleetParam(cfg.fleet),
                                                        "exits": "\(sequence.exits)", "seed": "\(sequence.seed)"],
                                        metric: "injected_overhead_cycles", agg[pol]!, unit: "cycles",
                                        source: src.source == .input || cfg.costSource == .input ? .input : .model,
                                        depends: .none, note: "model: fleet-weighted injected work over none per exit, from the exit plans (nothing timed)"))
            }
            if let best = agg.min(by: { $0.value < $1.value }) { winners.append((src.label, best.key)) }
        }
        guard !winners.isEmpty else { return }
        out.highlights.insert("model (injected costs, no noise), fleet \(cfg.fleet.description): cheapest policy "
            + winners.map { "rdmsr=\($0.0): \($0.1.rawValue)" }.joined(separator: "; "), at: min(1, out.highlights.count))
    }

    static func mean(_ v: [Double]) -> Double { v.isEmpty ? .nan : v.reduce(0, +) / Double(v.count) }

    /// A per-exit figure from the clean rounds of a paired measurement.
    /// By default the value is the *mean*: rounds time different windows of
    /// the exit sequence, so the mean is the sequence's long-run cost per
    /// exit.  Paired differences use the *median* (`median: true`): the exit
    /// mix cancels in them and, with K a multiple of the write interval,
    /// every window holds the same policy work, so the median is that work
    /// with the noise's heavy tail left out.  The summary columns describe
    /// the per-round spread.  Gate `info`: callers set `.timing` where the
    /// figure is a plain timing.
    static func meanRow(_ suite: String, _ benchmark: String, _ params: Params, metric: String, _ values: [Double],
                        dropped: Int, source: FigureSource, median: Bool = false, note: String) -> ResultRow {
        guard !values.isEmpty else {
            return ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric, source: source,
                             gate: .info, depends: .machine, status: .error, value: nil, unit: "ticks",
                             migrationsDropped: dropped, note: "no clean round: every sample migrated or was preempted")
        }
        let s = Summary(values)
        return ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric, source: source, gate: .info,
                         depends: .machine, value: median ? s.median : s.mean, unit: "ticks", summary: s, migrationsDropped: dropped,
                         note: note + (median ? "; value: median over rounds" : "; value: mean over rounds (windows tile the exit sequence)"),
                         samples: values)
    }

    /// What a stand-in measures, for the notes of its rows.
    static func proxyNote(_ p: ProxyInstruction) -> String {
        switch p {
        case .rdpid:
            return "each MSR access runs RDPID (reads IA32_TSC_AUX); it depends on nothing, so the core may overlap it with the chain: a lower bound for a microcoded RDMSR"
        case .rdtscp:
            return "each MSR access runs RDTSCP (reads IA32_TSC_AUX and the TSC); it waits for earlier instructions to finish, so it also costs a partial pipeline drain"
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
