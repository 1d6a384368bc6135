import Foundation
import BenchCore

/// The sizes of a guest's register-state buffer (Linux's `struct fpstate`)
/// for one CPU under one kernel version: the register area from
/// `XSaveLayout.linuxFPState(_:)` plus the struct's header.  A vCPU starts
/// with the buffer `fpu_alloc_guest_fpstate` allocates (5.17-6.14:
/// `fpu_user_cfg.default_size`, the standard-format user size; 6.15+: the
/// guest default, compacted, guest-only supervisor components included) and
/// is expanded to the *full* one, AMX tile data included.  Supervisor
/// components (PASID, CET_U, CET_S) are counted per kernel version from the
/// CPU's CPUID.(0xD,1).ECX.
public struct FpstateSizes: Sendable, Equatable {
    /// Bytes of `struct fpstate` before its register area: the fields (size,
    /// user_size, xfeatures, user_xfeatures, xfd, flag bits: 40 bytes) padded
    /// to the 64-byte alignment of `regs`.  Linux allocates
    /// `ALIGN(offsetof(struct fpstate, regs), 64)` + register bytes.
    public static let headerBytes = 64
    /// Page size the resident-memory model counts in (x86-64 base pages).
    public static let pageBytes = 4096

    /// Catalog id of the CPU, or "host".
    public var cpu: String
    /// The kernel version whose rules gave the sizes.
    public var kernel: LinuxKernelVersion
    /// True when the buffer uses the compacted (XSAVES) format.
    public var compacted: Bool
    /// Every enabled user component (XCR0 & supported).
    public var fullMask: UInt64
    /// XFD-capable components among `fullMask` (AMX tile data on Sapphire Rapids).
    public var dynamicMask: UInt64
    /// `fullMask` without the dynamic components.
    public var defaultMask: UInt64 { fullMask & ~dynamicMask }
    /// Register-area bytes of the default buffer.
    public var defaultRegisterBytes: Int
    /// Register-area bytes of the expanded buffer.
    public var expandedRegisterBytes: Int

    /// Whole default buffer, header included, in bytes.
    public var defaultBufferBytes: Int { FpstateSizes.headerBytes + defaultRegisterBytes }
    /// Whole expanded buffer, header included, in bytes.
    public var expandedBufferBytes: Int { FpstateSizes.headerBytes + expandedRegisterBytes }
    /// True when the CPU has something to expand (a dynamic component).
    public var hasDynamicState: Bool { dynamicMask != 0 }

    /// Pages a page-aligned buffer of `bytes` occupies once every page is touched.
    public static func pages(_ bytes: Int) -> Int { (bytes + pageBytes - 1) / pageBytes }

    /// Guest register area at vCPU creation under the 5.17-6.14 rule and
    /// under the 6.15+ rule, bytes (both shown; `defaultRegisterBytes` is
    /// the one `kernel` uses).
    public var createRegisterBytesUntil6_14: Int, createRegisterBytesFrom6_15: Int

    /// Sizes for `cpu` under `rules`.  Throws `badInput` when it has no
    /// XSAVE or XSAVE is not enabled (there is then no buffer to size).
    public init(cpu: CPUDescription, rules: LinuxXStateRules) throws {
        guard let layout = cpu.xsave, layout.enabledMask != 0 else {
            throw BenchError.badInput("cpu-model=\(cpu.id): the CPU has no enabled XSAVE state to size")
        }
        let k = layout.linuxFPState(rules)
        self.init(cpu: cpu.id, kernel: rules.kernel, compacted: k.compacted, fullMask: k.expandedMask,
                  dynamicMask: k.dynamicMask, defaultRegisterBytes: k.guestCreateBytes,
                  expandedRegisterBytes: k.guestExpandedBytes)
        createRegisterBytesUntil6_14 = k.userDefaultBytes
        createRegisterBytesFrom6_15 = k.guestDefaultBytes
    }

    /// Sizes given directly.
    public init(cpu: String, kernel: LinuxKernelVersion, compacted: Bool, fullMask: UInt64, dynamicMask: UInt64,
                defaultRegisterBytes: Int, expandedRegisterBytes: Int) {
        self.cpu = cpu; self.kernel = kernel; self.compacted = compacted; self.fullMask = fullMask
        createRegisterBytesUntil6_14 = defaultRegisterBytes; createRegisterBytesFrom6_15 = defaultRegisterBytes
        self.dynamicMask = dynamicMask; self.defaultRegisterBytes = defaultRegisterBytes
        self.expandedRegisterBytes = expandedRegisterBytes
    }

    /// Resolves the `cpu-model` parameter: one catalog id, or "host" for the live CPU.
    public static func resolveModel(_ spec: String, host: CPUDescription) throws -> CPUDescription {
        try CPUModelSelection(spec).first(host: host)
    }
}
