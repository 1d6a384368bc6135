import BenchCore

/// A Linux kernel release; the type the XSAVE size rules use (major.minor,
/// stable number and suffix kept).
public typealias KernelVersion = LinuxKernelVersion

/// The versioned KVM (VMX) rules the exit plans follow, each with its first
/// releases and citation (arch/x86/kvm/{x86.c,lapic.c,vmx/vmx.c}).  Stable
/// backports of these were not looked up: each rule starts at its mainline
/// release, and its citation says so.
public enum KVMRules {
    static let noStable = "; stable backports not checked"
    /// KVM offers XFD (AMX) to guests.
    public static let xfd = LinuxKernelRule(
        "KVM offers XFD/AMX to guests (per-exit RDMSR(IA32_XFD) after passthrough)", from: KernelVersion(5, 17),
        citation: "KVM AMX support merged for 5.17 (fpu_sync_guest_vmexit_xfd_state)" + noStable)
    /// TSC_DEADLINE WRMSR re-enters on the fastpath when the VMX preemption
    /// timer backs the guest's timer (`kvm_can_use_hv_timer`).
    public static let tscDeadlineWithHVTimer = LinuxKernelRule(
        "TSC_DEADLINE write re-enters on the fastpath when kvm_can_use_hv_timer()", from: KernelVersion(5, 17),
        citation: "handle_fastpath_set_tscdeadline, EXIT_FASTPATH_REENTER_GUEST, present in every kernel with guest XFD (the model's floor, 5.17)" + noStable)
    /// The TSC_DEADLINE fastpath no longer depends on the hypervisor timer.
    public static let tscDeadlineUnconditional = LinuxKernelRule(
        "TSC_DEADLINE write re-enters on the fastpath whatever backs the timer", from: KernelVersion(6, 18),
        citation: "6.18 KVM x86 fastpath rework (as reviewed in issue 20; the commit is not identified here)" + noStable)
    /// A successful x2APIC ICR fastpath re-enters instead of leaving the loop.
    public static let icrReenters = LinuxKernelRule(
        "x2APIC ICR write re-enters on the fastpath", from: KernelVersion(6, 12),
        citation: "0dd45f2cd8cc \"KVM: x86: Re-enter guest if WRMSR(X2APIC_ICR) fastpath is successful\"" + noStable)
    /// The ICR fastpath takes only "fast" IPIs.
    public static let icrNarrowed = LinuxKernelRule(
        "x2APIC ICR fastpath only for fast IPIs (others leave the loop)", from: KernelVersion(6, 18),
        citation: "6.18 KVM x86 fastpath rework (as reviewed in issue 20; the commit is not identified here)" + noStable)
    /// IPI virtualisation: ICR writes do not exit at all where enabled.
    public static let ipiv = LinuxKernelRule(
        "IPI virtualisation (enable_ipiv, Sapphire Rapids and later): ICR writes do not exit", from: KernelVersion(5, 19),
        citation: "\"KVM: VMX: enable IPI virtualization\", merged for 5.19; kvm_intel.enable_ipiv defaults on where the CPU has IPIv" + noStable)
    /// HLT with a wake event already pending re-enters on the fastpath.
    public static let hltWake = LinuxKernelRule(
        "HLT with a pending wake event re-enters on the fastpath", from: KernelVersion(6, 12),
        citation: "1876dd69dfe8 (HLT fastpath)" + noStable)
    /// INVD re-enters on the fastpath.
    public static let invd = LinuxKernelRule(
        "INVD re-enters on the fastpath", from: KernelVersion(6, 18), citation: "6c3d4b917995 (INVD fastpath)" + noStable)
    /// Immediate-form WRMSRNS to a fastpath MSR re-enters on the fastpath.
    public static let wrmsrnsImmediate = LinuxKernelRule(
        "immediate-form WRMSRNS re-enters on the fastpath", from: KernelVersion(6, 18),
        citation: "6.18 KVM MSR-immediate support (as reviewed in issue 20; the commit is not identified here)" + noStable)
    /// XFD_ERR is read on #NM only with CR0.TS clear as well.
    public static let nmChecksCR0TS = LinuxKernelRule(
        "#NM reads XFD_ERR only with CR0.TS clear", from: KernelVersion(6, 15), citation: "3ef0df3f760f" + noStable)
    /// TDX host support (XFD passthrough from vCPU creation with XTILE in XFAM).
    public static let tdx = LinuxKernelRule(
        "TDX host support: XFD passthrough from vCPU creation", from: KernelVersion(6, 16),
        citation: "KVM TDX host support merged for 6.16 (tdx_vcpu_create sets xfd_no_write_intercept)" + noStable)

    /// Every KVM rule the plans use, for the report table and the tests.
    public static let all: [LinuxKernelRule] = [xfd, tscDeadlineWithHVTimer, tscDeadlineUnconditional, icrReenters, icrNarrowed,
                                                ipiv, hltWake, invd, wrmsrnsImmediate, nmChecksCR0TS, tdx]
}

/// What KVM (VMX) does on each kind of exit under one kernel release and
/// host configuration: the facts the exit plans are built from.
///
/// - `fpu_sync_guest_vmexit_xfd_state()` (the RDMSR of IA32_XFD) runs in
///   `vcpu_enter_guest` *after* the `for (;;)` loop that re-enters the guest
///   at once for exits whose fastpath handler returns
///   `EXIT_FASTPATH_REENTER_GUEST`.  Those exits never pay the read.  Which
///   exits re-enter, and when, is `KVMRules`: TSC_DEADLINE writes (with the
///   hypervisor timer before 6.18, always from 6.18), the VMX preemption
///   timer, x2APIC ICR writes (6.12; only fast IPIs from 6.18), HLT with a
///   wake event pending (6.12), INVD and immediate-form WRMSRNS (6.18).
/// - With IPI virtualisation (5.19+, where the CPU has it and `enable_ipiv`)
///   ICR writes do not exit at all.
/// - #NM is intercepted whenever `xfd_no_write_intercept` is set (merged
///   `vmx_update_exception_bitmap`), i.e. exactly while XFD writes pass
///   through; otherwise the guest takes its #NM without an exit.
/// - On an intercepted #NM, IA32_XFD_ERR is read only when the guest
///   fpstate's XFD is non-zero, and from 6.15 only when CR0.TS is clear as well.
/// - XFD_ERR reads pass through, writes do not: the guest's
///   `WRMSR(IA32_XFD_ERR, 0)` after each XFD fault is an MSR-write exit.
/// - TDX (6.16+): `tdx_vcpu_create()` sets `xfd_no_write_intercept` when
///   XFAM includes XTILE, so a TD reads XFD after every exit from creation.
public struct KVMExitRules: Sendable {
    /// The first kernel whose KVM offers XFD to guests.
    public static let firstXFD = KVMRules.xfd.mainline
    /// The first kernel with TDX host support.
    public static let tdxFrom = KVMRules.tdx.mainline

    public let kernel: KernelVersion
    /// The VMX preemption timer backs the guest's LAPIC timer
    /// (`kvm_can_use_hv_timer`): the default on hosts whose CPU has a
    /// working preemption timer (`kvm_intel.preemption_timer=1`).
    public let hvTimer: Bool
    /// IPI virtualisation is on (SPR and later with `enable_ipiv`, 5.19+).
    public let ipiv: Bool

    /// Precondition: `kernel >= firstXFD` and, with `ipiv`, a kernel that has
    /// it (callers reject both).
    public init(kernel: KernelVersion, hvTimer: Bool = true, ipiv: Bool = false) {
        self.kernel = kernel; self.hvTimer = hvTimer; self.ipiv = ipiv
    }

    /// The drawn slot is a vm-exit at all (an ICR write under IPIv is not).
    public func exits(_ reason: ExitReason) -> Bool {
        !(ipiv && (reason == .ipi || reason == .ipiOther) && KVMRules.ipiv.holds(in: kernel))
    }

    /// The exit is handled on the fastpath and re-enters the guest inside
    /// `vcpu_enter_guest`'s loop, so no RDMSR(IA32_XFD) follows it.
    public func reentersOnFastpath(_ reason: ExitReason) -> Bool {
        let k = kernel
        switch reason {
        case .msrWrite:
            return KVMRules.tscDeadlineUnconditional.holds(in: k) || (hvTimer && KVMRules.tscDeadlineWithHVTimer.holds(in: k))
        case .preemptionTimer: return true
        case .ipi: return KVMRules.icrReenters.holds(in: k)
        case .ipiOther: return KVMRules.icrReenters.holds(in: k) && !KVMRules.icrNarrowed.holds(in: k)
        case .hltWake: return KVMRules.hltWake.holds(in: k)
        case .invd: return KVMRules.invd.holds(in: k)
        case .msrImmediate: return KVMRules.wrmsrnsImmediate.holds(in: k)
        case .externalInterrupt, .hlt, .io, .eptViolation, .cpuid, .nm, .other: return false
        }
    }

    /// Reasons that re-enter on the fastpath under this kernel, for notes.
    public var fastpathReasons: [ExitReason] { ExitReason.allCases.filter { exits($0) && reentersOnFastpath($0) } }

    /// Whether an intercepted #NM reads IA32_XFD_ERR, given the guest
    /// fpstate's XFD and the guest's CR0.TS.
    public func nmReadsXFDErr(guestXFD: UInt64, cr0TS: Bool) -> Bool {
        guestXFD != 0 && (!KVMRules.nmChecksCR0TS.holds(in: kernel) || !cr0TS)
    }

    /// True when at least one reason of `mix` is a vm-exit under these rules.
    public func hasExit(in mix: ExitMix) -> Bool { mix.weights.contains { exits($0.reason) } }

    /// Share of the exits drawn from `mix` (slots that are vm-exits) that
    /// leave the loop and pay the read; 0 when no drawn slot exits.
    public func slowShare(_ mix: ExitMix) -> Double {
        let exiting = mix.weights.filter { exits($0.reason) }
        let total = exiting.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return 0 }
        return Double(exiting.filter { !reentersOnFastpath($0.reason) }.reduce(0) { $0 + $1.weight }) / Double(total)
    }

    /// One line for notes: the version assumed, the host set-up and what re-enters.
    public var summary: String {
        "kernel \(kernel.release) (hv timer \(hvTimer ? "on" : "off"), IPIv \(ipiv ? "on" : "off")): fastpath re-entry (no XFD read) on "
            + fastpathReasons.map(\.rawValue).joined(separator: ", ")
            + (ipiv && KVMRules.ipiv.holds(in: kernel) ? "; ICR writes do not exit (IPIv)" : "")
    }
}
