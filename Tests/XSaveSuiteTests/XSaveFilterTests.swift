import BenchCore
import Testing
@testable import XSaveSuite

/// `--filter` runs only what it names: a size table never times XSAVE.
@Suite(.serialized) struct XSaveFilterTests {
    @Test func sizeCheckAloneRunsNoTiming() throws {
        let host = CPUDescription.host()
        let ctx = SuiteContext(host: host, tsc: TSCFrequency(hz: 2e9, method: .calibrated, calibratedHz: 2e9),
                               kernel: TimingKernel(features: host.features), ticksPerCoreCycle: nil,
                               emptyRegionTicks: 0, quick: true, seed: 1, repetition: 1,
                               progress: Progress(quiet: true), parameters: [:], declared: XSaveBenchmarks().parameters)
        let r = try BenchmarkFilter("xsave/size-check").run(XSaveBenchmarks(), ctx)
        #expect(!r.rows.isEmpty)
        #expect(r.rows.allSatisfy { $0.benchmark == "size-check" })
        #expect(ctx.progress.stepLabels == ["size tables"])
    }
}
