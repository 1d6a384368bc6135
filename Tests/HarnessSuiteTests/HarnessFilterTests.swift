import BenchCore
import Testing
@testable import HarnessSuite

/// `--filter` runs only what it names: rows and progress steps of the others are absent.
@Suite(.serialized) struct HarnessFilterTests {
    @Test func timerAloneRunsNoChain() throws {
        let ctx = HarnessSuiteTests().context()
        let r = try BenchmarkFilter("harness/timer").run(HarnessBenchmarks(), ctx)
        #expect(!r.rows.isEmpty)
        #expect(r.rows.allSatisfy { $0.benchmark == "timer" })
        #expect(ctx.progress.stepLabels == ["timer floor", "TSC step"])
    }

    @Test func amortisedChainRunsTheSeriesItIsCheckedAgainstButNotTheTimer() throws {
        let ctx = HarnessSuiteTests().context()
        let r = try BenchmarkFilter("harness/add-chain-1000").run(HarnessBenchmarks(), ctx)
        #expect(Set(r.rows.map(\.metric)) == ["per_chain", "per_chain_over_slope"])
        #expect(!ctx.progress.stepLabels.contains { $0.hasPrefix("timer") || $0.hasPrefix("TSC") })
        #expect(ctx.progress.stepLabels.count == HarnessBenchmarks.rounds)
    }
}
