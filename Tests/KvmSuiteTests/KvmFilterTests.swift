import BenchCore
import Testing
@testable import KvmSuite

/// `--filter` runs only what it names: an AMX experiment makes no exit runs.
struct KvmFilterTests {
    @Test func anAMXExperimentAloneRunsNoExitKind() throws {
        let ctx = KvmSuiteTests().context([:])
        let r = try BenchmarkFilter("kvm/amx-set-cpuid").run(KvmBenchmarks(), ctx)
        #expect(!r.rows.isEmpty)
        #expect(r.rows.allSatisfy { $0.benchmark == "amx-set-cpuid" })
        #expect(ctx.progress.stepLabels.allSatisfy { $0 == "AMX experiments" })
    }

    @Test func exitAloneRunsNoAMXExperiment() throws {
        let ctx = KvmSuiteTests().context(["device": "/nonexistent/kvm"])
        let r = try BenchmarkFilter("kvm/exit/").run(KvmBenchmarks(), ctx)
        #expect(r.rows.count == 5)
        #expect(r.rows.allSatisfy { $0.benchmark == "exit" })
        #expect(!ctx.progress.stepLabels.contains("AMX experiments"))
    }
}
