import BenchCore
import Testing
@testable import FpstateAllocSuite

/// The failure the 2021 thread gave as its reason to expand early: the
/// expanded-size allocation refused on the WRMSR(IA32_XFD) emulation path,
/// where the guest is already running.
struct XFDWriteFailureTests {
    @Test func refusedAllocationAtTheEmulatedXFDWriteFailsWhileTheGuestRuns() throws {
        let ctx = FpstateAllocCheckTests().context(["kernel": "6.18"])
        let cfg = try FpstateAllocConfig(ctx)
        let rows = FailureMode.rows(suite: "fpstate-alloc", ctx: ctx, cfg: cfg, params: [:])
            .filter { $0.params["policy"] == "expand-at-xfd-write" }
        let fails = try #require(rows.first { $0.metric == "fails_before_guest_runs" })
        #expect(fails.value == 0 && fails.source == .model)
        #expect(fails.note.contains("#GP") && fails.note.contains("WRMSR(IA32_XFD)"))
        #expect(rows.first { $0.metric == "unfreed_buffers" }?.value == 0)
    }
}
