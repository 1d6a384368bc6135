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
        // The floor is measured again (up to 3 times) when its check is outside.
        let labels = ctx.progress.stepLabels
        #expect(labels.first == "timer floor" && labels.last == "TSC step")
        #expect(labels.dropFirst().dropLast().allSatisfy { $0.hasPrefix("timer floor, attempt ") })
        #expect(labels.count <= 1 + TimedCheck.maxAttempts)
    }

    @Test func amortisedChainRunsTheSeriesItIsCheckedAgainstButNotTheTimer() throws {
        let ctx = HarnessSuiteTests().context()
        let r = try BenchmarkFilter("harness/add-chain-1000").run(HarnessBenchmarks(), ctx)
        #expect(Set(r.rows.map(\.metric)) == ["per_chain", "per_chain_over_slope"])
        #expect(!ctx.progress.stepLabels.contains { $0.hasPrefix("timer") || $0.hasPrefix("TSC") })
        // One set of rounds per attempt of the agreement check.
        let attempts = ctx.progress.stepLabels.count / HarnessBenchmarks.rounds
        #expect(ctx.progress.stepLabels.count % HarnessBenchmarks.rounds == 0)
        #expect((1...TimedCheck.maxAttempts).contains(attempts))
        let check = try #require(r.rows.first { $0.metric == "per_chain_over_slope" })
        #expect(check.note.contains("\(attempts) of at most \(TimedCheck.maxAttempts) attempts"))
    }
}
