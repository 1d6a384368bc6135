import BenchCore
import CXState
import Foundation

/// `harness`: what the measurement core itself can resolve on this machine.
///
/// - the timer floor: the bare fenced pair, and the kernel's own region
///   around an empty closure, with a check that the second adds a bounded
///   overhead to the first;
/// - the TSC step: the smallest non-zero difference between two reads;
/// - dependent-add chains of length L, 2L, 4L, 8L, one per region: the
///   fit's slope is ticks per add (per core cycle, if one add takes one
///   cycle) and R^2 shows linearity;
/// - a 1,000-add chain amortised over 16 chains per region, the run-to-run
///   stability figure, checked against the slope.
public struct HarnessBenchmarks: BenchmarkSuite {
    /// Measured on the reference machine kind (release build); see `--dry-run`.
    public var estimatedSeconds: DurationEstimate? { DurationEstimate(quick: 0.3, full: 1) }
    public init() {}
    public let name = "harness"
    public let summary = "timer floor, TSC step, dependent-add linearity and core-cycle estimate"
    public let benchmarks = [
        BenchmarkInfo("timer", "bare fenced pair and the kernel's region around an empty closure (overhead checked); TSC step"),
        BenchmarkInfo("add-chain", "dependent-add chains of L, 2L, 4L, 8L adds; linear fit"),
        BenchmarkInfo("add-chain-1000", "one 1,000-add chain, amortised over 16 per region (honours XFD_BENCH_SLOWDOWN, and its per_chain_over_slope fault)"),
    ]
    public let parameters = [
        SuiteParameter("chain-base", default: "1000", kind: .integer(100...1_000_000), help: "L, the shortest chain, in adds (multiple of 100)"),
    ]

    public func configure(_ ctx: SuiteContext) throws { _ = try Self.chainBase(ctx) }

    static func chainBase(_ ctx: SuiteContext) throws -> Int {
        let base = try ctx.intParameter("chain-base")
        guard base % 100 == 0 else { throw BenchError.badInput("chain-base=\(base): must be a multiple of 100") }
        return base
    }

    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        let k = ctx.kernel
        let samples = ctx.quick ? 2_000 : 20_000
        let base = try Self.chainBase(ctx)
        ctx.progress.plan(total: 2 + Self.rounds)
        var rows: [ResultRow] = []
        let s = name
        // The checks below are on timed figures: each is measured again when
        // outside its tolerance, with the speed calibration around every
        // attempt (`TimedCheck`).
        let speed = SpeedCalibration(kernel: k)

        var floor = TimerFloor(bareMean: .nan, kernelMean: .nan, bare: [], kernel: TimingSamples(perOp: []))
        var step = Double.nan
        if ctx.isSelected(benchmark: "timer") {
            let decided = try TimedCheck.run(calibrate: speed.median, expected: 0, tolerance: Self.pathOverheadLimit) { attempt in
                try ctx.progress.step(attempt == 0 ? "timer floor" : "timer floor, attempt \(attempt + 1)")
                let f = Self.timerFloor(k, samples: samples)
                return (value: f.kernelMean - f.bareMean, payload: f)
            }
            floor = decided.payload
            // Timer rows describe the machine (quantised to the TSC step): reported, not gated.
            var bareRow = ResultRow.timing(s, "timer", ["from": "swift"], metric: "empty_region",
                                           TimingSamples(perOp: floor.bare), note: "lfence;rdtsc;lfence twice, nothing between")
            var pathRow = ResultRow.timing(s, "timer", ["from": "kernel"], metric: "empty_region", floor.kernel,
                                           note: "the kernel's timed region around an empty closure (TimingKernel.events)")
            bareRow.gate = .info; pathRow.gate = .info
            rows += [bareRow, pathRow]
            rows.append(Self.pathOverheadRow(attempts: decided.attempts, verdict: decided.verdict))

            try ctx.progress.step("TSC step")
            step = Self.tscStep(samples: samples)
            rows.append(.figure(s, "timer", metric: "tsc_step", step, unit: "ticks", source: .measured,
                                depends: .machine, note: "smallest non-zero difference between consecutive unfenced RDTSC reads"))
        }

        let timerLine = String(format: "empty region (mean): %.1f ticks bare, %.1f through the kernel (+%.1f); TSC step %.0f ticks",
                               floor.bareMean, floor.kernelMean, floor.kernelMean - floor.bareMean, step)
        // add-chain-1000 needs the chain series too: its agreement check
        // compares per_chain with the series' slope (the runner drops the
        // series' rows when only add-chain-1000 is selected).
        let amortised = ctx.isSelected(benchmark: "add-chain-1000")
        guard amortised || ctx.isSelected(benchmark: "add-chain") else {
            return SuiteResult(rows: rows, highlights: [timerLine])
        }

        // The chain series and the amortised chain are one interleaved set:
        // the slope and `per_chain` are checked against each other, so both
        // must see the same machine states (the speed can move ~2 % within
        // a quick run).  The slowdown knob lengthens the amortised chain by
        // whole blocks of 100 adds.
        let lengths = [base, 2 * base, 4 * base, 8 * base]
        let extra = try SlowdownKnob.fraction(suite: s, benchmark: "add-chain-1000")
        let blocks = UInt64((10 * (1 + extra)).rounded())
        // A fault for the agreement check: chains longer than the adds it divides by.
        let fault = try SlowdownKnob.fraction(suite: s, benchmark: "per_chain_over_slope")
        let body = AddChain(blocks: UInt64((Double(blocks) * (1 + fault)).rounded()))
        let plannedAdds = Double(blocks * 100)
        let plan = RoundPlan(rounds: Self.rounds, samples: ctx.quick ? 300 : 3_000)
        func chains(_ attempt: Int) throws -> ChainSet {
            try Self.chainSet(k, lengths: lengths, body: amortised ? body : nil, plan: plan) { r in
                try ctx.progress.step("dependent-add chains, round \(r + 1)/\(plan.rounds)"
                                      + (attempt > 0 ? ", attempt \(attempt + 1)" : ""))
            }
        }
        var set: ChainSet
        var agreement: ResultRow? = nil
        if amortised {
            let decided = try TimedCheck.run(calibrate: speed.median, expected: 1, tolerance: Self.chainAgreementTolerance) { attempt in
                let c = try chains(attempt)
                return (value: c.agreement(adds: plannedAdds), payload: c)
            }
            set = decided.payload
            agreement = Self.chainAgreementRow(attempts: decided.attempts, verdict: decided.verdict, adds: plannedAdds)
            if fault > 0 {
                agreement?.note += String(format: "; FAULT INJECTED: %@ ran %.0f adds per chain", SlowdownKnob.variable, Double(body.adds))
            }
        } else {
            set = try chains(0)
        }

        for (len, m) in zip(lengths, set.series) {
            rows.append(.timing(s, "add-chain", ["adds": "\(len)"], metric: "region", m,
                                note: "one chain per fenced region, empty region included; \(plan.rounds) interleaved rounds"))
        }
        let fit = set.fit
        rows.append(.figure(s, "add-chain", metric: "ticks_per_add", fit.slope, unit: "ticks",
                            source: .measured, depends: .machine,
                            note: "least-squares slope over the chains' means within the Tukey fences"))
        rows.append(.figure(s, "add-chain", metric: "intercept", fit.intercept, unit: "ticks",
                            source: .measured, depends: .machine, note: "fixed cost per region (about the empty region)"))
        rows.append(.figure(s, "add-chain", metric: "r_squared", fit.rSquared, unit: "ratio",
                            source: .measured, depends: .machine, note: "linearity of region time in chain length"))
        if let clock = Self.coreClockRow(tscHz: ctx.tsc.hz, ticksPerAdd: fit.slope) { rows.append(clock) }

        let est = ctx.tsc.hz / fit.slope / 1e6
        var lines = [timerLine, String(format: "dependent adds: %.4f ticks/add (R^2 %.5f), core clock ~%.0f MHz (estimate)",
                                       fit.slope, fit.rSquared, est)]
        guard amortised, let chain = set.amortised, let agreement else { return SuiteResult(rows: rows, highlights: lines) }
        rows.append(.timing(s, "add-chain-1000", ["adds": "1000"], metric: "per_chain", chain,
                            note: "(t(32 chains) - t(16 chains)) / 16 per sample, chains threaded through one sum, interleaved with the chain series"
                                + (extra > 0 ? "; \(SlowdownKnob.variable) added \(blocks * 100 - 1000) adds" : "")))
        rows.append(agreement)

        lines.append(String(format: "1,000-add chain: median %.1f ticks (%.1f ns)",
                            chain.summary?.median ?? .nan, ctx.nanoseconds(ticks: chain.summary?.median ?? .nan)))
        return SuiteResult(rows: rows, highlights: lines)
    }

    /// The bare fenced pair and the kernel's own region around an empty
    /// body, and their means within the Tukey fences.
    struct TimerFloor {
        var bareMean: Double, kernelMean: Double
        var bare: [Double]
        var kernel: TimingSamples
    }

    /// The bare fenced pair, and the region every measurement pays (what
    /// `measure` and `events` time around a body: fences, TSC reads and the
    /// call of a closure from this module), with an empty body.
    /// Interleaved in blocks of 100 so both see the same machine state.
    static func timerFloor(_ k: TimingKernel, samples: Int) -> TimerFloor {
        var bareValues: [Double] = [], pathValues: [Double] = []
        var pathDropped = 0
        for _ in 0..<samples / 100 {
            bareValues += k.emptyRegion(samples: 100)
            let path = k.events(count: 100, floor: 0, emptyBody)
            pathValues += path.perOp
            pathDropped += path.migrationsDropped
        }
        // Means, not medians: a region of ~60 ticks reads as 49 or 73 on a
        // TSC that advances in ~24-tick steps, so medians jump a whole step;
        // the read's phase against the step is random, so the mean resolves
        // the region's length below the step.  Samples outside the fences
        // (interrupts, thousands of ticks) are left out of this mean only;
        // the rows keep them.
        return TimerFloor(bareMean: meanWithinFences(bareValues),
                          kernelMean: pathValues.isEmpty ? .nan : meanWithinFences(pathValues),
                          bare: bareValues, kernel: TimingSamples(perOp: pathValues, migrationsDropped: pathDropped))
    }

    /// One measurement of the chain series and (when `body` is given) the
    /// amortised chain, interleaved.
    struct ChainSet {
        /// One `TimingSamples` per series length.
        var series: [TimingSamples]
        var lengths: [Int]
        var amortised: TimingSamples?

        /// The fit of region time on length, over each length's mean
        /// within the Tukey fences.  Means, for the reason given at the
        /// timer floor: a median of regions quantised to the TSC step moves
        /// the slope by a step.
        var fit: LinearFit {
            LinearFit(x: lengths.map(Double.init), y: series.map { $0.perOp.isEmpty ? .nan : meanWithinFences($0.perOp) })
        }

        /// `per_chain / (adds x ticks_per_add)`, each side the mean within
        /// the Tukey fences of the same interleaved rounds; NaN without an
        /// amortised chain.  The same statistic on both sides: on a loaded
        /// 2-vCPU VM (a build on the SMT sibling) per_chain spread over
        /// 172..272 ticks around a median of 253, where a median against
        /// the slope's means read 0.956..1.095 in 6 quick runs; means on
        /// both sides read 0.978..1.006 on the same samples.
        func agreement(adds: Double) -> Double {
            guard let a = amortised, !a.perOp.isEmpty else { return .nan }
            return meanWithinFences(a.perOp) / (adds * fit.slope)
        }
    }

    static func chainSet(_ k: TimingKernel, lengths: [Int], body: AddChain?, plan: RoundPlan,
                         step: (Int) throws -> Void) throws -> ChainSet {
        // One chain per region, timed as is: the fit's intercept absorbs the
        // region's fixed cost, the slope is the per-add cost.
        let series = lengths.map { len in
            TimedCase.events(floor: 0) { _ in _ = cx_dependent_adds(UInt64(len / 100)) }
        }
        // The 16 or 32 chains of a region form one dependency chain (see AddChain).
        let measured = try k.interleaved(series + (body.map { [.differenced(inner: 16, $0.run)] } ?? []), plan: plan, step: step)
        return ChainSet(series: Array(measured.prefix(lengths.count)), lengths: lengths,
                        amortised: body == nil ? nil : measured[lengths.count])
    }

    /// Highest core clock the one-add-per-cycle model is believed at, MHz:
    /// no x86 core runs above ~6 GHz.
    static let plausibleCoreClockMHz = 6_500.0

    /// `core_clock_est`: TSC Hz / ticks per add, assuming one dependent add
    /// per core cycle; nil without a positive slope.  Above
    /// `plausibleCoreClockMHz` the assumption is wrong on this core (on an
    /// Emerald Rapids VM, 0.145 ticks per add at a 2.1 GHz TSC read as
    /// 14.5 GHz: dependent add-immediates retire several per cycle), and
    /// the note says so: the figure is kept, not believed.
    static func coreClockRow(tscHz: Double, ticksPerAdd: Double) -> ResultRow? {
        guard ticksPerAdd > 0 else { return nil }
        let mhz = tscHz / ticksPerAdd / 1e6
        var note = "model: TSC Hz / measured ticks per dependent add, assuming one add per core cycle (no PMU to count cycles)"
        if mhz > plausibleCoreClockMHz {
            note += String(format: "; IMPLAUSIBLE: above %.0f MHz, so this core runs dependent adds faster than one per cycle and adds do not count its cycles (core-cycle estimates from them are too low by the same factor)", plausibleCoreClockMHz)
        }
        return .figure("harness", "add-chain", metric: "core_clock_est", mhz, unit: "MHz", source: .model, gate: .info,
                       depends: .machine, note: note)
    }

    /// Interleaved rounds of the add-chain measurements.
    static let rounds = 10

    /// The body timed for the kernel's own region: nothing.
    static let emptyBody: (Int) -> Void = { _ in }

    /// Most the kernel's region may add to the bare fenced pair, in ticks.
    /// The call and return of the closure cost ~10 ticks on a Zen 4 VM
    /// (~16 core cycles); the faults this exists to catch cost more: the
    /// CPU-id read moved inside the region added ~54 ticks there (RDTSCP +
    /// LFENCE), and an unspecialised tick source, an allocation or
    /// unoptimised code between the reads add calls of their own.
    public static let pathOverheadLimit = 25.0

    /// The check that the real timing path adds a bounded overhead over a
    /// bare fenced pair: `kernelMean - bareMean` within 0 ± limit, decided
    /// on repeated evidence (`TimedCheck`).
    static func pathOverheadRow(attempts: [TimedCheckAttempt], verdict: TimedCheckVerdict) -> ResultRow {
        TimedCheck.row("harness", "timer", metric: "kernel_path_overhead", attempts: attempts, verdict: verdict,
                       expected: 0, tolerance: pathOverheadLimit, unit: "ticks", source: .measured, depends: .machine,
                       note: "kernel region around an empty closure - bare fenced pair, means within the Tukey fences")
    }

    /// Most `per_chain` may differ from the chain-series slope times the
    /// adds, as a fraction.  Both time the same dependent adds in the same
    /// process; what this catches is a systematic error of the amortised
    /// loop, such as chains that overlap out of order (6-8 % on Zen 4).
    public static let chainAgreementTolerance = 0.03

    /// `per_chain / (adds * ticks_per_add)`, checked against 1, decided on
    /// repeated evidence (`TimedCheck`).
    static func chainAgreementRow(attempts: [TimedCheckAttempt], verdict: TimedCheckVerdict, adds: Double) -> ResultRow {
        TimedCheck.row("harness", "add-chain-1000", ["adds": "1000"], metric: "per_chain_over_slope",
                       attempts: attempts, verdict: verdict, expected: 1, tolerance: chainAgreementTolerance, unit: "ratio",
                       source: .measured, depends: .machine,
                       note: String(format: "per_chain / (%.0f adds x add-chain ticks_per_add), each the mean within the Tukey fences of the same interleaved rounds", adds))
    }

    /// Mean of the values within the Tukey fences of `values`, the IQR
    /// taken as at least the data's quantum (the smallest gap between two
    /// distinct values): regions quantised to the TSC step often have
    /// p25 == p75, and fences of zero width would keep only that one value.
    static func meanWithinFences(_ values: [Double]) -> Double {
        let s = Summary(values)
        let distinct = Array(Set(values)).sorted()
        let quantum = zip(distinct, distinct.dropFirst()).map { $1 - $0 }.min() ?? 0
        let iqr = max(s.p75 - s.p25, quantum)
        let kept = values.filter { $0 >= s.p25 - 1.5 * iqr && $0 <= s.p75 + 1.5 * iqr }
        return kept.reduce(0, +) / Double(kept.count)
    }

    /// Smallest positive difference between consecutive unfenced RDTSC reads:
    /// the TSC's step, or an upper bound on it when one RDTSC takes longer.
    static func tscStep(samples: Int) -> Double {
        var smallest = UInt64.max
        var prev = cx_rdtsc()
        for _ in 0..<samples {
            let now = cx_rdtsc()
            let d = now &- prev
            if d > 0 && d < smallest { smallest = d }
            prev = now
        }
        return Double(smallest)
    }
}
