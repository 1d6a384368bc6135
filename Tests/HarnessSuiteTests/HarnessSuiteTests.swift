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
        for m in ["timer/empty_region", "timer/swift_over_c_floor", "timer/tsc_step", "add-chain/region",
                  "add-chain/ticks_per_add", "add-chain/r_squared", "add-chain-1000/per_chain"] {
            #expect(metrics.contains(m), "missing \(m)")
        }
        #expect(result.rows.filter { $0.metric == "region" }.map { $0.params["adds"] } == ["1000", "2000", "4000", "8000"])
        #expect(result.rows.allSatisfy { $0.source == .measured })
        #expect(result.rows.filter { $0.metric == "empty_region" }.allSatisfy { $0.gate == .info })
        #expect(result.highlights.count == 3)
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
}
