import BenchCore
import CXState
import Foundation

/// How a timed region puts the register state where a case wants it.
///
/// `apply()` runs at the start of every timed region, inside the same
/// non-inlined function as the loop, so no Swift code (which may use XMM
/// registers, or call glibc routines that end in VZEROUPPER) runs between
/// preparation and the measured instructions.  Its cost is paid once per
/// region and cancels in the kernel's differencing.
public struct StatePreparation {
    public var condition: StateCondition
    public var mask: UInt64
    public var dirty: XSaveTimingPlan.Dirtying
    /// Standard image with XSTATE_BV = 0 and MXCSR = 0x1F80: XRSTOR of it
    /// puts every component in `mask` in its init state.
    var initImage: UnsafeRawPointer
    /// Standard image holding the PKRU value the process started with.
    var pkruImage: UnsafeRawPointer?
    var tiles: AMXTileSource?

    @inline(__always)
    func apply() {
        switch condition {
        case .clean:
            cx_xrstor(initImage, mask)
        case .dirty:
            // A clean case may have left PKRU at 0 (its init value); bring
            // back the process's own value rather than writing one with WRPKRU.
            if dirty.pkru, let p = pkruImage { cx_xrstor(p, XSaveMask.pkru.rawValue) }
            if dirty.avx512 { cx_dirty_avx512() } else if dirty.avx { cx_dirty_avx() } else if dirty.sse { cx_dirty_sse() }
            if dirty.tiles, let t = tiles { t.load() }
        }
    }
}

/// The buffers the XSAVE timings use, sized for everything in XCR0.
///
/// Precondition for every method: the CPU can run the instructions the
/// caller asks for (`XSaveTimingPlan` decides; this class does not check).
public final class XSaveWorkspace {
    public let layout: XSaveLayout
    /// Timed saves and pairs write here (headers valid for XRSTOR).
    let standard: XSaveBuffer, compacted: XSaveBuffer
    /// Sentinel-filled before a probe save, then counted; never restored from.
    let probe: XSaveBuffer
    /// The image a timed XRSTOR loop reads.
    let image: XSaveBuffer
    let initImage: XSaveBuffer
    let pkruImage: XSaveBuffer?
    /// Bytes allocated past the largest computed size, so a save that wrote
    /// beyond it would show up in `extentDiffering`.
    public static let slack = 512
    /// Areas are page-aligned, so where an image crosses a 4 KiB boundary is
    /// the same in every process and timings do not depend on the allocator.
    static let page = 4096

    /// nil when the CPU has no enabled XSAVE.
    public init?(cpu: CPUDescription) {
        guard let layout = cpu.xsave, let xcr0 = cpu.xcr0, cpu.unavailableReason(.xsave) == nil else { return nil }
        self.layout = layout
        let enabled = layout.enabledMask
        let size = max(layout.standardSize(for: enabled), layout.reportedStandardSizeMax,
                       layout.reportedStandardSizeForXCR0, layout.compactedSize(for: enabled),
                       layout.reportedCompactedSizeForXCR0XSS) + XSaveWorkspace.slack
        guard let s = XSaveBuffer(size: size, alignment: XSaveWorkspace.page), let c = XSaveBuffer(size: size, alignment: XSaveWorkspace.page),
              let p = XSaveBuffer(size: size, alignment: XSaveWorkspace.page), let i = XSaveBuffer(size: size, alignment: XSaveWorkspace.page),
              let z = XSaveBuffer(size: size, alignment: XSaveWorkspace.page) else { return nil }
        standard = s; compacted = c; probe = p; image = i; initImage = z
        // MXCSR (legacy bytes 24..27): the standard-form XRSTOR loads it
        // whenever SSE or AVX is requested, even with XSTATE_BV clear; 0
        // would unmask every floating-point exception.
        z.base.storeBytes(of: UInt32(0x1F80), toByteOffset: 24, as: UInt32.self)
        if XSaveMask(rawValue: xcr0).contains(.pkru), let k = XSaveBuffer(size: size, alignment: XSaveWorkspace.page) {
            cx_xsave(k.base, XSaveMask.pkru.rawValue)
            pkruImage = k
        } else {
            pkruImage = nil
        }
    }

    /// The preparation for `state` over `mask`.
    public func preparation(_ state: StateCondition, mask: UInt64, dirty: XSaveTimingPlan.Dirtying,
                            tiles: AMXTileSource? = nil) -> StatePreparation {
        StatePreparation(condition: state, mask: mask, dirty: dirty, initImage: UnsafeRawPointer(initImage.base),
                         pkruImage: pkruImage.map { UnsafeRawPointer($0.base) }, tiles: tiles)
    }

    /// Puts PKRU back to the value the process started with (a clean case
    /// leaves it at 0).  Call after every case whose mask includes PKRU.
    public func restorePKRU() {
        if let k = pkruImage { cx_xrstor(k.base, XSaveMask.pkru.rawValue) }
    }

    /// What one save wrote into a sentinel-filled buffer.
    public struct ProbeResult: Equatable, Sendable {
        /// Bytes that differ from the sentinel.
        public var bytesWritten: Int
        /// One past the last byte that differs from the sentinel.
        public var extent: Int
        /// XSTATE_BV from the header the save wrote.
        public var xstateBV: UInt64
    }

    /// Fills the probe buffer with the sentinel, prepares `prep`, runs one
    /// `instruction` save with `prep.mask`, and counts what it wrote.
    /// Precondition: `instruction` is xsave, xsaveopt or xsavec and can run.
    public func probeSave(_ instruction: XSaveInstruction, _ prep: StatePreparation) -> ProbeResult {
        probe.fill()
        XSaveLoops.prepareAndSave(instruction, prep, probe.base)
        return ProbeResult(bytesWritten: probe.bytesDiffering(), extent: probe.extentDiffering(),
                           xstateBV: probe.xstateBV)
    }

    /// XINUSE (XGETBV(1)) right after `prep`.  Precondition: CPUID.(0xD,1):EAX[2].
    public func xinuse(after prep: StatePreparation) -> UInt64 { XSaveLoops.xinuse(after: prep) }

    /// Writes the image a timed XRSTOR loop will read: `prep`, then one save
    /// in the requested format.  Returns the image's XSTATE_BV.
    @discardableResult
    public func captureImage(_ prep: StatePreparation, compacted: Bool) -> UInt64 {
        image.fill(0)
        XSaveLoops.prepareAndSave(compacted ? .xsavec : .xsave, prep, image.base)
        return image.xstateBV
    }

    /// Zeroes the work buffers so their headers are valid for XRSTOR.
    public func resetWorkBuffers() {
        standard.fill(0)
        compacted.fill(0)
    }

    /// XSTATE_BV of the work buffer `op` writes last.
    public func workXStateBV(_ op: TimedOp) -> UInt64 {
        op.compacted ? compacted.xstateBV : standard.xstateBV
    }

    /// `body(n)` for the timing kernel: prepare, then `op` n times.
    public func body(_ op: TimedOp, _ prep: StatePreparation) -> (Int) -> Void {
        let s = standard.base, c = compacted.base, img = UnsafeRawPointer(image.base)
        return { n in XSaveLoops.run(op, prep, standard: s, compacted: c, image: img, n) }
    }
}

/// The timed loops.  Every function is `@inline(never)`: XRSTOR overwrites
/// XMM/YMM registers behind the compiler's back, and a real call boundary
/// (where the SysV ABI makes every vector register caller-saved) is what
/// guarantees the caller holds nothing in them.
enum XSaveLoops {
    @inline(never)
    static func run(_ op: TimedOp, _ prep: StatePreparation, standard: UnsafeMutableRawPointer,
                    compacted: UnsafeMutableRawPointer, image: UnsafeRawPointer, _ n: Int) {
        let m = prep.mask
        prep.apply()
        switch op {
        case .xsave: for _ in 0..<n { cx_xsave(standard, m) }
        case .xsaveopt: for _ in 0..<n { cx_xsaveopt(standard, m) }
        case .xsavec: for _ in 0..<n { cx_xsavec(compacted, m) }
        case .xrstor, .xrstorCompacted: for _ in 0..<n { cx_xrstor(image, m) }
        case .pairStandard: for _ in 0..<n { cx_xsave(standard, m); cx_xrstor(standard, m) }
        case .pairOpt: for _ in 0..<n { cx_xsaveopt(standard, m); cx_xrstor(standard, m) }
        case .pairCompacted: for _ in 0..<n { cx_xsavec(compacted, m); cx_xrstor(compacted, m) }
        }
    }

    @inline(never)
    static func prepareAndSave(_ instruction: XSaveInstruction, _ prep: StatePreparation,
                               _ buffer: UnsafeMutableRawPointer) {
        prep.apply()
        switch instruction {
        case .xsave: cx_xsave(buffer, prep.mask)
        case .xsaveopt: cx_xsaveopt(buffer, prep.mask)
        case .xsavec: cx_xsavec(buffer, prep.mask)
        case .xrstor, .xrstorCompacted: preconditionFailure("prepareAndSave takes a save instruction")
        }
    }

    @inline(never)
    static func xinuse(after prep: StatePreparation) -> UInt64 {
        prep.apply()
        return cx_xgetbv(1)
    }
}
