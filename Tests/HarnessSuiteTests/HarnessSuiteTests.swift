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
    @Test func kernelPathOverheadIsBounded() {
        // Figures from a Zen 4 VM: the real path adds ~10 ticks ...
        let ok = HarnessBenchmarks.pathOverheadRow(kernelMean: 53.4, bareMean: 43.3)
        #expect(ok.status == .ok && ok.source == .measured && ok.unit == "ticks")
        // ... and the CPU-id read moved inside the region added ~54 more.
        let fault = HarnessBenchmarks.pathOverheadRow(kernelMean: 108.0, bareMean: 44.0)
        #expect(fault.status == .failed)
        #expect(fault.note.contains("OUTSIDE"))
        #expect(ConsoleReport.failedChecks([fault]).count == 1)
        #expect(HarnessBenchmarks.pathOverheadRow(kernelMean: .nan, bareMean: 44).status == .failed)
    }

    @Test func amortisedChainMustAgreeWithTheSlope() {
        // Threaded chains: 611 ticks per 1,000 adds against a slope of 0.611.
        let ok = HarnessBenchmarks.chainAgreementRow(perChain: 611, adds: 1000, ticksPerAdd: 0.611)
        #expect(ok.status == .ok && ok.value == 1)
        // Independent chains overlapping out of order: 583 against 0.622 (-6.3 %).
        let overlap = HarnessBenchmarks.chainAgreementRow(perChain: 583.4, adds: 1000, ticksPerAdd: 0.6224)
        #expect(overlap.status == .failed)
        // The slowdown knob adds adds; the check compares per add, so it still agrees.
        let slowed = HarnessBenchmarks.chainAgreementRow(perChain: 1100 * 0.611, adds: 1100, ticksPerAdd: 0.611)
        #expect(slowed.status == .ok)
    }
}
