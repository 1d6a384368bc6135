import BenchCore
import Testing
@testable import RdmsrExitSuite

/// `--filter` runs only what it names, and what the named benchmark's
/// figures need (rows of those dropped).
@Suite(.serialized) struct RdmsrExitFilterTests {
    @Test func costTableAloneTimesNothing() throws {
        let ctx = RdmsrExitRowTests.context(RdmsrExitRowTests.small)
        let r = try BenchmarkFilter("rdmsr-exit/cost-table").run(RdmsrExitBenchmarks(), ctx)
        #expect(!r.rows.isEmpty)
        #expect(r.rows.allSatisfy { $0.benchmark == "cost-table" })
        #expect(ctx.progress.stepLabels == ["models"])
    }

    @Test func breakEvenRunsTheExitLoopItNeeds() throws {
        let ctx = RdmsrExitRowTests.context(RdmsrExitRowTests.small)
        let r = try BenchmarkFilter("rdmsr-exit/break-even").run(RdmsrExitBenchmarks(), ctx)
        #expect(Set(r.rows.map(\.benchmark)) == ["break-even"])
        #expect(r.rows.contains { $0.params["from"] == "loop" })
        // A timed check measured again adds "..., attempt N" steps (TimedCheck): not a step of its own.
        #expect(ctx.progress.stepLabels.filter { !$0.contains(", attempt ") }
                    == ["models", "rdmsr 200", "rdmsr proxy-rdpid", "break-even check"])
    }
}
