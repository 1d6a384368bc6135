import BenchCore
import CXState
import Foundation

/// How a vCPU's register state gets into its buffer ("vCPU put") and moves
/// to the larger buffer at expansion.
///
/// Where the host can, the state is the host's real register state: XSAVE
/// (standard format, the host's enabled user components) into the old
/// buffer, copy, XRSTOR from the new one.  That needs XSAVE enabled
/// (CPUID.1:ECX[26,27]), a 64-byte aligned register area, and a host image
/// no larger than the modelled default register area.  Otherwise a fixed
/// byte pattern of the default register size stands for the state and is
/// copied with memcpy.
public struct StateCopier: Sendable {
    public enum Mode: Sendable, Equatable {
        /// XSAVE/XRSTOR with `mask`; the image spans `imageBytes` bytes.
        case xsave(mask: UInt64, imageBytes: Int)
        /// memcpy only, and why XSAVE is not used.
        case memcpy(reason: String)
    }

    public let mode: Mode
    /// Register bytes that carry state in the default buffer.
    public let stateBytes: Int
    private let pattern: [UInt8]

    /// Chooses the mode for buffers of `sizes` from an allocator aligned to
    /// `alignment` bytes.  Nothing beyond baseline x86-64 runs here.
    public init(host: CPUDescription, sizes: FpstateSizes, alignment: Int) {
        stateBytes = sizes.defaultRegisterBytes
        pattern = (0..<sizes.defaultRegisterBytes).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        if let why = host.unavailableReason(.xsave) {
            mode = .memcpy(reason: why)
        } else if (alignment % 64 != 0) || (FpstateSizes.headerBytes % 64 != 0) {
            mode = .memcpy(reason: "allocator gives \(alignment)-byte alignment; XSAVE needs a 64-byte aligned area")
        } else if let layout = host.xsave {
            let mask = layout.enabledMask
            let image = layout.standardSize(for: mask)
            if image <= sizes.defaultRegisterBytes {
                mode = .xsave(mask: mask, imageBytes: image)
            } else {
                mode = .memcpy(reason: "host XSAVE image (\(image) bytes) exceeds the modelled default register area (\(sizes.defaultRegisterBytes) bytes)")
            }
        } else {
            mode = .memcpy(reason: "host XSAVE layout unreadable")
        }
    }

    /// One line for notes: "xsave/xrstor mask 0x207 (2440-byte image)" or "memcpy (reason)".
    public var label: String {
        switch mode {
        case .xsave(let mask, let bytes):
            return "XSAVE into old / XRSTOR from new, host mask 0x\(String(mask, radix: 16)) (\(bytes)-byte image)"
        case .memcpy(let why): return "memcpy of a \(stateBytes)-byte state pattern (\(why))"
        }
    }

    /// Saves the current state into `block` (the "vCPU put" after running).
    /// Precondition: `block` has at least the default register area.
    public func save(into block: StateBlock) {
        switch mode {
        case .xsave(let mask, _): cx_xsave(block.registers, mask)
        case .memcpy:
            pattern.withUnsafeBytes { _ = memcpy(block.registers, $0.baseAddress!, stateBytes) }
        }
    }
}

/// Expands `old` to a zeroed buffer of `newBytes`, as Linux's
/// `fpstate_realloc` does: allocate (vzalloc), make the registers current
/// from the old buffer only when it is in use, set the new header's
/// XCOMP_BV (`xstate_init_xcomp_bv`), swap (the caller stores the returned
/// block), free the old buffer.  Nothing is copied: state in use lives in
/// the registers and reaches the new buffer at the next save.
///
/// - `inUse`: the buffer belongs to a context that is running (a vCPU in
///   KVM_RUN taking its first-use trap).  The kernel then XRSTORs from the
///   old buffer if the registers are not current (TIF_NEED_FPU_LOAD); this
///   does it every time, an upper bound.  Not in use (the guest fpstate at
///   KVM_SET_CPUID2): no register work at all.
/// - `xcompBV`: the value for the new header (0 for the standard format).
///
/// Returns nil, keeping `old` (as Linux keeps the old fpstate when the
/// allocation fails), when the allocation fails.  Out of line: XRSTOR
/// reloads vector registers behind the compiler's back, and a call boundary
/// (every vector register caller-saved) keeps caller values out of them.
@inline(never)
public func expandState(_ old: StateBlock, to newBytes: Int, allocator: CountingAllocator,
                        copier: StateCopier, inUse: Bool, xcompBV: UInt64) -> (block: StateBlock, restored: Bool)? {
    guard let new = allocator.allocate(newBytes) else { return nil }
    var restored = false
    if inUse, case .xsave(let mask, _) = copier.mode {
        cx_xrstor(old.registers, mask)
        restored = true
    }
    new.registers.storeBytes(of: xcompBV, toByteOffset: XSaveLayout.legacyAreaSize + 8, as: UInt64.self)
    allocator.release(old)  // a refused free is counted, and fails the leak check
    return (new, restored)
}
