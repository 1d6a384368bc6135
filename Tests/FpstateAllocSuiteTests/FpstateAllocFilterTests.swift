import BenchCore
import Testing
@testable import FpstateAllocSuite

/// `--filter` runs only what it names: the size model allocates nothing.
@Suite(.serialized) struct FpstateAllocFilterTests {
    @Test func sizesAloneRunsNoFleet() throws {
        let ctx = SuiteRunTests().context([:])
        let r = try BenchmarkFilter("fpstate-alloc/sizes").run(FpstateAllocBenchmarks(), ctx)
        #expect(!r.rows.isEmpty)
        #expect(r.rows.allSatisfy { $0.benchmark == "sizes" })
        #expect(ctx.progress.stepLabels == ["sizes"])
    }
}
