import BenchCore
import CXState
import Foundation

/// `harness`: what the measurement core itself can resolve on this machine.
///
/// - the timer floor: the empty fenced region from Swift and the same
///   region timed entirely in C (they should agree: Swift adds nothing);
/// - the TSC step: the smallest non-zero difference between two reads;
/// - dependent-add chains of length L, 2L, 4L, 8L: one add per core cycle,
///   so the fit's slope is ticks per core cycle and R^2 shows linearity;
/// - a 1,000-add chain amortised over 16 chains per region, the run-to-run
///   stability figure.
public struct HarnessBenchmarks: BenchmarkSuite {
    public init() {}
    public let name = "harness"
    public let summary = "timer floor, TSC step, dependent-add linearity and core-cycle estimate"
    public let benchmarks = [
        BenchmarkInfo("timer", "empty fenced region from Swift and from C; TSC step"),
        BenchmarkInfo("add-chain", "dependent-add chains of L, 2L, 4L, 8L adds; linear fit"),
        BenchmarkInfo("add-chain-1000", "one 1,000-add chain, amortised over 16 per region (honours XFD_BENCH_SLOWDOWN)"),
    ]
    public let parameters = [
        SuiteParameter("chain-base", default: "1000", help: "L, the shortest chain, in adds (multiple of 100)"),
    ]

    public func configure(_ ctx: SuiteContext) throws { _ = try Self.chainBase(ctx) }

    static func chainBase(_ ctx: SuiteContext) throws -> Int {
        let base = try ctx.intParameter("chain-base", range: 100...1_000_000)
        guard base % 100 == 0 else { throw BenchError.badInput("chain-base=\(base): must be a multiple of 100") }
        return base
    }

    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        let k = ctx.kernel
        let samples = ctx.quick ? 2_000 : 20_000
        let base = try Self.chainBase(ctx)
        ctx.progress.plan(total: 4)
        var rows: [ResultRow] = []
        let s = name

        try ctx.progress.step("timer floor")
        // Interleaved in blocks of 100 so both see the same machine state.
        var swiftValues: [Double] = [], cValues: [Double] = []
        for _ in 0..<samples / 100 {
            swiftValues += k.emptyRegion(samples: 100)
            cValues += k.emptyRegionC(samples: 100)
        }
        let swiftRegion = TimingSamples(perOp: swiftValues), cRegion = TimingSamples(perOp: cValues)
        // Timer rows describe the machine (quantised to the TSC step): reported, not gated.
        var swiftRow = ResultRow.timing(s, "timer", ["from": "swift"], metric: "empty_region", swiftRegion,
                                        note: "lfence;rdtsc;lfence twice, nothing between")
        var cRow = ResultRow.timing(s, "timer", ["from": "c"], metric: "empty_region", cRegion,
                                    note: "the same pair timed inside one C function")
        swiftRow.gate = .info; cRow.gate = .info
        rows += [swiftRow, cRow]
        // Means, not medians: a region of ~60 ticks reads as 49 or 73 on a
        // TSC that advances in ~24-tick steps, so medians jump a whole step;
        // the read's phase against the step is random, so the mean resolves
        // the region's length below the step.  Samples outside the Tukey
        // fences (interrupts, thousands of ticks) are left out of this mean
        // only; the rows above keep them.
        let swiftMean = Self.meanWithinFences(swiftValues), cMean = Self.meanWithinFences(cValues)
        let floorRatio = swiftMean / cMean
        rows.append(.figure(s, "timer", metric: "swift_over_c_floor", floorRatio, unit: "ratio",
                            source: .measured, depends: .machine, note: "Swift / C empty region, means within the Tukey fences"))

        try ctx.progress.step("TSC step")
        let step = Self.tscStep(samples: samples)
        rows.append(.figure(s, "timer", metric: "tsc_step", step, unit: "ticks", source: .measured,
                            depends: .machine, note: "smallest non-zero difference between consecutive unfenced RDTSC reads"))

        try ctx.progress.step("dependent-add chains")
        let lengths = [base, 2 * base, 4 * base, 8 * base]
        var medians: [Double] = []
        for len in lengths {
            // One chain per region, timed as is: the fit's intercept absorbs
            // the region's fixed cost, the slope is the per-add cost.
            let m = k.events(count: ctx.quick ? 300 : 3_000, floor: 0) { _ in
                _ = cx_dependent_adds(UInt64(len / 100))
            }
            let row = ResultRow.timing(s, "add-chain", ["adds": "\(len)"], metric: "region", m,
                                       note: "one chain per fenced region, empty region included")
            rows.append(row)
            medians.append(row.value ?? .nan)
        }
        let fit = LinearFit(x: lengths.map(Double.init), y: medians)
        rows.append(.figure(s, "add-chain", metric: "ticks_per_add", fit.slope, unit: "ticks",
                            source: .measured, depends: .machine, note: "least-squares slope over the chain medians"))
        rows.append(.figure(s, "add-chain", metric: "intercept", fit.intercept, unit: "ticks",
                            source: .measured, depends: .machine, note: "fixed cost per region (about the empty region)"))
        rows.append(.figure(s, "add-chain", metric: "r_squared", fit.rSquared, unit: "ratio",
                            source: .measured, depends: .machine, note: "linearity of region time in chain length"))
        if fit.slope > 0 {
            rows.append(.figure(s, "add-chain", metric: "core_clock_est", ctx.tsc.hz / fit.slope / 1e6,
                                unit: "MHz", source: .measured,
                                depends: .machine, note: "estimate: TSC Hz / ticks per dependent add (one add per core cycle)"))
        }

        try ctx.progress.step("1,000-add chain")
        // The slowdown knob lengthens the chain by whole blocks of 100 adds.
        let extra = try SlowdownKnob.fraction(suite: s, benchmark: "add-chain-1000")
        let blocks = UInt64((10 * (1 + extra)).rounded())
        let chain = k.measure(inner: 16, samples: ctx.quick ? 300 : 3_000) { n in
            for _ in 0..<n { _ = cx_dependent_adds(blocks) }
        }
        rows.append(.timing(s, "add-chain-1000", ["adds": "1000"], metric: "per_chain", chain,
                            note: "(t(32 chains) - t(16 chains)) / 16 per sample"
                                + (extra > 0 ? "; \(SlowdownKnob.variable) added \(blocks * 100 - 1000) adds" : "")))

        let est = ctx.tsc.hz / fit.slope / 1e6
        return SuiteResult(rows: rows, highlights: [
            String(format: "empty region (mean): %.1f ticks from Swift, %.1f from C (ratio %.3f); TSC step %.0f ticks",
                   swiftMean, cMean, floorRatio, step),
            String(format: "dependent adds: %.4f ticks/add (R^2 %.5f), core clock ~%.0f MHz (estimate)",
                   fit.slope, fit.rSquared, est),
            String(format: "1,000-add chain: median %.1f ticks (%.1f ns)",
                   chain.summary?.median ?? .nan, ctx.nanoseconds(ticks: chain.summary?.median ?? .nan)),
        ])
    }

    /// Mean of the values within the Tukey fences of `values`.
    static func meanWithinFences(_ values: [Double]) -> Double {
        let s = Summary(values)
        let iqr = s.p75 - s.p25
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
