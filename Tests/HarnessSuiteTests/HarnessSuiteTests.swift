import BenchCore
import Testing
@testable import HarnessSuite

@Suite struct HarnessSuiteTests {
    func context(quick: Bool = true, parameters: [String: String] = [:]) -> SuiteContext {
        let host = CPUDescription.host()
        let suite = HarnessBenchmarks()
        return SuiteContext(
            host: host, tsc: TSCFrequency(hz: 2e9, method: .calibrated, calibratedHz: 2e9),
            kernel: TimingKernel(features: host.features), ticksPerCoreCycle: 1, emptyRegionTicks: 0,
            quick: quick, seed: 1, repetition: 1, progress: Progress(quiet: true),
            parameters: parameters, declared: suite.parameters)
    }

    // Structure only: which rows exist, their units and sources. No durations.
    @Test func rowsAreCompleteAndLabelled() throws {
        let result = try HarnessBenchmarks().run(context())
        let metrics = Set(result.rows.map { "\($0.benchmark)/\($0.metric)" })
        for m in ["timer/empty_region", "timer/kernel_path_overhead", "timer/tsc_step", "add-chain/region",
                  "add-chain/ticks_per_add", "add-chain/r_squared", "add-chain/core_clock_est",
                  "add-chain-1000/per_chain", "add-chain-1000/per_chain_over_slope"] {
            #expect(metrics.contains(m), "missing \(m)")
        }
        #expect(result.rows.filter { $0.metric == "region" }.map { $0.params["adds"] } == ["1000", "2000", "4000", "8000"])
        #expect(result.rows.filter { $0.metric == "empty_region" }.map { $0.params["from"] } == ["swift", "kernel"])
        for r in result.rows {
            #expect(r.depends == .machine)
        }
        #expect(result.rows.filter { $0.metric == "empty_region" }.allSatisfy { $0.gate == .info })
        #expect(result.highlights.count == 3)
    }

    /// Every row of a quick run carries the source its kind declares in
    /// `HarnessRowSources.table`, and every kind is declared.
    @Test func quickRunMatchesTheSourceTable() throws {
        let rows = try HarnessBenchmarks().run(context()).rows
        #expect(!rows.isEmpty)
        for r in rows {
            let expected = HarnessRowSources.expected(r)
            #expect(expected != nil, "undeclared row kind \(HarnessRowSources.kind(r))")
            #expect(r.source == expected, "\(HarnessRowSources.kind(r)) \(r.params)")
        }
        // The clock estimate assumes one add per cycle: a model of a measurement.
        #expect(HarnessRowSources.table["add-chain/core_clock_est"] == .model)
    }

    @Test func chainBaseMustBeAMultipleOf100() {
        #expect(throws: BenchError.badInput("chain-base=150: must be a multiple of 100")) {
            try HarnessBenchmarks().run(context(parameters: ["chain-base": "150"]))
        }
    }
}

@Suite struct FenceMeanTests {
    @Test func interruptsDoNotMoveTheFloorMean() {
        let quantised = Array(repeating: 49.0, count: 50) + Array(repeating: 73.0, count: 50)
        #expect(HarnessBenchmarks.meanWithinFences(quantised) == 61)
        #expect(HarnessBenchmarks.meanWithinFences(quantised + [25_000]) == 61)
    }

    @Test func fencesAreAtLeastOneQuantumWide() {
        // p25 == p75 == 52: fences of zero width would keep only the 52s.
        var quantised: [Double] = Array(repeating: 26, count: 20)
        quantised += Array(repeating: 52, count: 70)
        quantised += Array(repeating: 78, count: 10)
        let mean: Double = 49.4  // (20 * 26 + 70 * 52 + 10 * 78) / 100
        #expect(abs(HarnessBenchmarks.meanWithinFences(quantised) - mean) < 1e-9)
        #expect(abs(HarnessBenchmarks.meanWithinFences(quantised + [9_000]) - mean) < 1e-9)
    }
}

/// The harness's self-checks, each shown passing and failing with the
/// fault it exists to catch injected into its inputs.  No durations.
@Suite struct HarnessCheckTests {
    /// `values` as attempts on a steady machine.
    func steady(_ values: [Double]) -> [TimedCheckAttempt] {
        values.map { TimedCheckAttempt(value: $0, calibrationBefore: 760, calibrationAfter: 761) }
    }

    func overheadRow(_ values: [Double]) -> ResultRow {
        let a = steady(values)
        return HarnessBenchmarks.pathOverheadRow(
            attempts: a, verdict: TimedCheck.verdict(a, expected: 0, tolerance: HarnessBenchmarks.pathOverheadLimit)!)
    }

    @Test func kernelPathOverheadIsBounded() {
        // Figures from a Zen 4 VM: the real path adds ~10 ticks ...
        let ok = overheadRow([53.4 - 43.3])
        #expect(ok.status == .ok && ok.source == .measured && ok.unit == "ticks")
        // ... and the CPU-id read moved inside the region added ~54 more, on every attempt.
        let fault = overheadRow([108.0 - 44.0, 107 - 44, 109 - 45])
        #expect(fault.status == .failed)
        #expect(fault.note.contains("OUTSIDE") && fault.note.contains("3 of at most 3 attempts"))
        #expect(ConsoleReport.failedChecks([fault]).count == 1)
        #expect(overheadRow([.nan, .nan, .nan]).status == .failed)
        // One excursion followed by a normal attempt passes.
        #expect(overheadRow([64, 10.1]).status == .ok)
    }

    /// A chain set from one distribution of per-1,000-add times `x`: the
    /// region of L adds takes `intercept + L / 1000 * x[i]` (`x` scaled
    /// to the length, so it keeps its shape) and the amortised chain
    /// `x[i] * perChainScale`.
    func chainSet(_ x: [Double], intercept: Double = 50, perChainScale: Double = 1) -> HarnessBenchmarks.ChainSet {
        let lengths = [1000, 2000, 4000, 8000]
        let series = lengths.map { len in TimingSamples(perOp: x.map { intercept + Double(len) / 1000 * $0 }) }
        return HarnessBenchmarks.ChainSet(series: series, lengths: lengths,
                                          amortised: TimingSamples(perOp: x.map { $0 * perChainScale }))
    }

    /// Steady: 611 ticks per 1,000 adds, ±4 ticks.
    let steadyChains = (0..<100).map { 611 + 4 * (Double($0) / 49.5 - 1) }

    func agreementRow(_ set: HarnessBenchmarks.ChainSet, attempts: Int = 3) -> ResultRow {
        let a = steady(Array(repeating: set.agreement(adds: 1000), count: attempts))
        return HarnessBenchmarks.chainAgreementRow(
            attempts: a, verdict: TimedCheck.verdict(a, expected: 1, tolerance: HarnessBenchmarks.chainAgreementTolerance)!, adds: 1000)
    }

    /// The one-add-per-cycle clock model says when it cannot hold.
    @Test func anImplausibleCoreClockIsSaidSo() throws {
        // A Zen 4 VM: 0.572 ticks per add at 2.596 GHz, ~4.5 GHz.
        let zen4 = try #require(HarnessBenchmarks.coreClockRow(tscHz: 2.596e9, ticksPerAdd: 0.572))
        #expect(zen4.source == .model && !zen4.note.contains("IMPLAUSIBLE"))
        // An Emerald Rapids VM: 0.145 ticks per add at 2.1 GHz reads 14.5 GHz.
        let emr = try #require(HarnessBenchmarks.coreClockRow(tscHz: 2.1e9, ticksPerAdd: 0.145))
        #expect(emr.note.contains("IMPLAUSIBLE") && abs(emr.value! - 14_482.76) < 0.01)
        #expect(HarnessBenchmarks.coreClockRow(tscHz: 2.1e9, ticksPerAdd: 0) == nil)
    }

    @Test func amortisedChainMustAgreeWithTheSlope() {
        let ok = agreementRow(chainSet(steadyChains), attempts: 1)
        #expect(ok.status == .ok && abs(ok.value! - 1) < 1e-9)
        // Independent chains overlapping out of order: 6.3 % below the slope, every attempt.
        let overlap = agreementRow(chainSet(steadyChains, perChainScale: 0.937))
        #expect(overlap.status == .failed && overlap.note.contains("OUTSIDE"))
    }

    /// The fault the estimator was changed for: on a loaded machine the
    /// chains' times spread wide and skewed (here 60 % at 131 ticks and 40 %
    /// spread over 180..280, as a build on the SMT sibling gave), so a
    /// median and a mean of the same work differ by a quarter.  The ratio
    /// compares one statistic on both sides and stays at 1; a median of
    /// per_chain against the slope of means (the old estimator) does not.
    @Test func aSkewedSpreadDoesNotMoveTheRatio() {
        let skewed = Array(repeating: 131.0, count: 60) + (0..<40).map { 180 + 100 * Double($0) / 39 }
        let loaded = chainSet(skewed)
        #expect(abs(loaded.agreement(adds: 1000) - 1) < 1e-9)
        let old = Summary(skewed).median / (1000 * loaded.fit.slope)
        #expect(abs(old - 1) > HarnessBenchmarks.chainAgreementTolerance)
    }
}
