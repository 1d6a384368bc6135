import BenchCore
import Testing
@testable import XSaveSuite

/// Gating decisions, decided from CPU descriptions alone.
struct XSavePlanTests {
    @Test func amxRunsOnSapphireRapidsOnly() throws {
        let spr = try #require(CPUCatalog.lookup("spr")).description
        let zen3 = try #require(CPUCatalog.lookup("zen3")).description
        #expect(AMXGate.decide(spr) == .run)
        let skip = AMXGate.decide(zen3)
        #expect(skip != .run)
        #expect(skip.reason?.contains("AMX-TILE") == true)
    }

    @Test func amxPermissionErrorsBecomeReasons() {
        #expect(AMXGate.permissionDecision(result: 0) == .run)
        #expect(AMXGate.permissionDecision(result: -28).reason?.contains("ENOSPC") == true)
        #expect(AMXGate.permissionDecision(result: -1).reason != nil)
    }

    /// Without permission the AMX sets are skipped; with it they are planned.
    @Test func amxSetsNeedPermission() throws {
        let spr = try #require(CPUCatalog.lookup("spr")).description
        let denied = XSaveTimingPlan.cases(for: spr, amxPermitted: false).filter { $0.set == .amxTileData }
        #expect(!denied.isEmpty && denied.allSatisfy { $0.skipReason?.contains("ARCH_REQ_XCOMP_PERM") == true })
        let granted = XSaveTimingPlan.cases(for: spr, amxPermitted: true).filter { $0.set == .amxTileData }
        #expect(granted.allSatisfy { $0.skipReason == nil })
        #expect(granted.filter { $0.state == .dirty }.allSatisfy { $0.dirtied & 0x60000 == 0x60000 })
    }

    @Test func zen3SkipsMissingSets() throws {
        let zen3 = try #require(CPUCatalog.lookup("zen3")).description
        let cases = XSaveTimingPlan.cases(for: zen3, amxPermitted: false)
        for set: XSaveFeatureSet in [.avx512, .amxTileCfg, .amxTileData] {
            let c = cases.filter { $0.set == set }
            #expect(c.count == 1)
            #expect(c.first?.skipReason?.hasPrefix("not supported") == true)
        }
        #expect(cases.filter { $0.set == .pkru && $0.skipReason == nil }.count == 2 * TimedOp.allCases.count)
    }

    /// A CPU without XSAVEC: every case using XSAVEC or a compacted image is
    /// skipped with CPUDescription's reason; the others still run.
    @Test func noXSAVECGivesSkippedRows() throws {
        var cpu = try #require(CPUCatalog.lookup("zen3"))
        cpu.subleaf1EAX &= ~UInt32(2)
        let d = cpu.description
        #expect(d.unavailableReason(.xsavec) != nil)
        let cases = XSaveTimingPlan.cases(for: d, amxPermitted: false).filter { $0.set == .avx }
        for c in cases {
            if c.op.compacted {
                #expect(c.skipReason == d.unavailableReason(.xsavec))
                let row = try #require(XSaveHostTiming.skippedRow(c))
                #expect(row.status == .skipped)
                #expect(row.note.contains("XSAVEC"))
                #expect(row.params["op"] == c.op.rawValue)
            } else {
                #expect(c.skipReason == nil)
                #expect(XSaveHostTiming.skippedRow(c) == nil)
            }
        }
    }
}
