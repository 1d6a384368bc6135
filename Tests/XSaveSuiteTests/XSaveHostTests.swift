import BenchCore
import Testing
@testable import XSaveSuite

/// Checks that execute XSAVE on the live host.  Each is enabled only where
/// the same CPUID checks the suite uses say it can run, so a host without
/// the feature reports the test as skipped (with the reason), never as a
/// silent pass.  Nothing here asserts a time.
struct XSaveHostTests {
    let host = CPUDescription.host()
    static let live = CPUDescription.host()
    static let hasXSave = XSaveSizeModel(cpu: live) != nil
    static let hasWorkspace = XSaveWorkspace(cpu: live) != nil

    @Test(.enabled(if: hasXSave, "the host has no XSAVE (CPUID.1:ECX[26] clear or leaf 0xD absent)"))
    func hostComputedSizeEqualsCPUID() throws {
        let m = try #require(XSaveSizeModel(cpu: host))
        #expect(m.standardSizeForXCR0 == m.layout.reportedStandardSizeForXCR0)
        #expect(m.checks.allSatisfy { $0.agrees })
    }

    /// Every save instruction the host has, in both states and for every
    /// supported mask, writes nothing past the computed image size.
    @Test(.enabled(if: hasWorkspace, "the host cannot run XSAVE here (no XSAVE or OSXSAVE)"))
    func savesStayWithinComputedSize() throws {
        let ws = try #require(XSaveWorkspace(cpu: host))
        defer { ws.restorePKRU() }
        for c in XSaveTimingPlan.cases(for: host, amxPermitted: false) where c.skipReason == nil && c.op.isSave {
            let d = XSaveTimingPlan.dirtying(for: c.mask, cpu: host, amxPermitted: false)
            let prep = ws.preparation(c.state, mask: c.mask, dirty: d)
            let instruction = try #require(c.op.instructions.first)
            let r = ws.probeSave(instruction, prep)
            let computed = c.op.compacted ? ws.layout.compactedSize(for: c.mask) : ws.layout.standardSize(for: c.mask)
            #expect(r.extent <= computed, "\(c.op.rawValue) mask \(c.mask) state \(c.state)")
            #expect(r.bytesWritten <= computed)
            #expect(r.bytesWritten > 0)
            // XSAVEC defines every XSTATE_BV bit; nothing outside the mask is saved.
            if c.op == .xsavec { #expect(r.xstateBV & ~c.mask == 0) }
        }
    }

    /// XSTATE_BV follows the state: AVX set after YMM writes, clear after
    /// restoring an init image.  (SSE is not asserted: Swift code between
    /// calls may touch XMM registers.)
    @Test(.enabled(if: hasWorkspace && live.avxUsable, "the host has no usable AVX (CPUID or XCR0) or cannot run XSAVE"))
    func xstateBVFollowsDirtyAndClean() throws {
        let ws = try #require(XSaveWorkspace(cpu: host))
        let mask: UInt64 = 0x7
        let d = XSaveTimingPlan.dirtying(for: mask, cpu: host, amxPermitted: false)
        #expect(d.avx)
        let dirty = ws.probeSave(.xsave, ws.preparation(.dirty, mask: mask, dirty: d))
        #expect(dirty.xstateBV & 0x4 != 0)
        let clean = ws.probeSave(.xsave, ws.preparation(.clean, mask: mask, dirty: d))
        #expect(clean.xstateBV & 0x4 == 0)
        if host.features.xgetbv1 {
            #expect(ws.xinuse(after: ws.preparation(.dirty, mask: mask, dirty: d)) & 0x4 != 0)
            #expect(ws.xinuse(after: ws.preparation(.clean, mask: mask, dirty: d)) & 0x4 == 0)
        }
        if host.features.xsavec {
            let c = ws.probeSave(.xsavec, ws.preparation(.dirty, mask: mask, dirty: d))
            #expect(c.xstateBV & 0x4 != 0)
        }
    }

    /// The save+restore loops run and return (no fault from a bad header or
    /// MXCSR) for every runnable case, with a tiny iteration count.
    @Test(.enabled(if: hasWorkspace, "the host cannot run XSAVE here (no XSAVE or OSXSAVE)"))
    func loopsRunOnHost() throws {
        let ws = try #require(XSaveWorkspace(cpu: host))
        defer { ws.restorePKRU() }
        for c in XSaveTimingPlan.cases(for: host, amxPermitted: false) where c.skipReason == nil {
            let d = XSaveTimingPlan.dirtying(for: c.mask, cpu: host, amxPermitted: false)
            let prep = ws.preparation(c.state, mask: c.mask, dirty: d)
            if c.op == .xrstor || c.op == .xrstorCompacted { ws.captureImage(prep, compacted: c.op.compacted) }
            ws.resetWorkBuffers()
            ws.body(c.op, prep)(4)
            // The work buffers start zeroed, so bits outside the mask stay clear.
            if c.op.isSave || c.op.isPair { #expect(ws.workXStateBV(c.op) & ~c.mask == 0) }
        }
        // Floating point still behaves after all those XRSTORs (MXCSR default).
        let x = Double(1) / Double(3)
        #expect(x > 0.333 && x < 0.334)
    }
}
