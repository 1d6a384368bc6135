import BenchCore

/// A Linux kernel version, major.minor (the stable number is ignored: the
/// rules below changed only at releases); the type the XSAVE size rules use.
public typealias KernelVersion = LinuxKernelVersion

/// What KVM (VMX) does on each kind of exit, per kernel version: the facts
/// the exit plans are built from.  All from arch/x86/kvm/{x86.c,vmx/vmx.c}.
///
/// - `fpu_sync_guest_vmexit_xfd_state()` (the RDMSR of IA32_XFD) runs in
///   `vcpu_enter_guest` *after* the `for (;;)` loop that re-enters the guest
///   at once for exits whose fastpath handler returns
///   `EXIT_FASTPATH_REENTER_GUEST`.  Those exits never pay the read:
///   - TSC_DEADLINE MSR writes (with the VMX preemption timer as the
///     hypervisor timer) and the VMX preemption timer itself: re-enter in
///     every kernel with guest XFD (5.17+);
///   - x2APIC ICR writes: handled on the fastpath but returning
///     `EXIT_FASTPATH_EXIT_HANDLED` (the loop is left, the read is paid)
///     until 6.11; re-enter from 6.12 ("Re-enter guest if WRMSR(X2APIC_ICR)
///     fastpath is successful", Aug 2024).
///   Newer fastpaths (e.g. a HLT with a wake event already pending) are not
///   modelled: a HLT that really halts leaves the loop.
/// - #NM is intercepted whenever `xfd_no_write_intercept` is set (merged
///   `vmx_update_exception_bitmap`), i.e. exactly while XFD writes pass
///   through; otherwise the guest takes its #NM without an exit.
/// - On an intercepted #NM, IA32_XFD_ERR is read only when the guest
///   fpstate's XFD is non-zero, and from 6.15 only when CR0.TS is clear as
///   well (a lazy-FPU #NM with CR0.TS set is then not taken for an XFD fault).
/// - XFD_ERR reads pass through, writes do not: the guest's
///   `WRMSR(IA32_XFD_ERR, 0)` after each XFD fault is an MSR-write exit.
/// - TDX (host support from 6.16): `tdx_vcpu_create()` sets
///   `xfd_no_write_intercept` when XFAM includes XTILE, so a TD reads XFD
///   after every exit from creation (the thread's option (a)).
public struct KVMExitRules: Sendable {
    /// The first kernel whose KVM offers XFD to guests.
    public static let firstXFD = KernelVersion(5, 17)
    /// The first kernel where a successful x2APIC ICR fastpath re-enters the guest.
    public static let icrReentersFrom = KernelVersion(6, 12)
    /// The first kernel that also requires CR0.TS clear before reading XFD_ERR on #NM.
    public static let nmChecksCR0TSFrom = KernelVersion(6, 15)
    /// The first kernel with TDX host support.
    public static let tdxFrom = KernelVersion(6, 16)

    public let kernel: KernelVersion

    /// Precondition: `kernel >= firstXFD` (callers reject older kernels).
    public init(kernel: KernelVersion) { self.kernel = kernel }

    /// The exit is handled on the fastpath and re-enters the guest inside
    /// `vcpu_enter_guest`'s loop, so no RDMSR(IA32_XFD) follows it.
    public func reentersOnFastpath(_ reason: ExitReason) -> Bool {
        switch reason {
        case .msrWrite, .preemptionTimer: return true
        case .ipi: return kernel >= Self.icrReentersFrom
        case .externalInterrupt, .hlt, .io, .eptViolation, .cpuid, .nm: return false
        }
    }

    /// Reasons that re-enter on the fastpath under this kernel, for notes.
    public var fastpathReasons: [ExitReason] { ExitReason.allCases.filter(reentersOnFastpath) }

    /// Whether an intercepted #NM reads IA32_XFD_ERR, given the guest
    /// fpstate's XFD and the guest's CR0.TS.
    public func nmReadsXFDErr(guestXFD: UInt64, cr0TS: Bool) -> Bool {
        guestXFD != 0 && (kernel < Self.nmChecksCR0TSFrom || !cr0TS)
    }

    /// Share of the exits drawn from `mix` that leave the loop (pay the read).
    public func slowShare(_ mix: ExitMix) -> Double {
        1 - mix.weights.filter { reentersOnFastpath($0.reason) }.reduce(0.0) { $0 + mix.share($1.reason) }
    }

    /// One line for notes: the version assumed and what re-enters.
    public var summary: String {
        "kernel \(kernel): fastpath re-entry (no XFD read) on " + fastpathReasons.map(\.rawValue).joined(separator: ", ")
    }
}
