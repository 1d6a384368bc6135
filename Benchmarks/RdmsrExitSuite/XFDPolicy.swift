/// How KVM handles the guest's IA32_XFD (MSR 0x1C4).
public enum XFDPolicy: String, CaseIterable, Sendable {
    /// No XFD at all (the guest is not offered it): the baseline.
    case none
    /// Option (a): write interception stops as soon as KVM_SET_CPUID2
    /// succeeds; KVM reads IA32_XFD after every vm-exit, for every guest.
    case passthroughAtCPUID = "passthrough-at-cpuid"
    /// Option (b), what Linux 5.17 merged: writes are intercepted until the
    /// guest's first non-zero write, then passed through, after which KVM
    /// reads IA32_XFD after every vm-exit.
    case passthroughOnFirstWrite = "passthrough-on-first-write"
    /// Option (c): every guest write is intercepted (one more MSR-write exit
    /// each); KVM always knows the value and never reads it.
    case alwaysIntercept = "always-intercept"
    /// A TDX guest whose XFAM includes XTILE: `tdx_vcpu_create()` turns XFD
    /// write interception off at vCPU creation (option (a), in production
    /// since Linux 6.16).  Assumed: the TDX module context-switches XFD and
    /// XFD_ERR itself, so KVM neither intercepts #NM nor sees the guest's
    /// XFD_ERR writes.  Computed from the exit plans only (not timed).
    case tdx = "tdx-xtile"

    /// Policies run in the timed loop, baseline first.
    public static let timed: [XFDPolicy] = [.none, .passthroughAtCPUID, .passthroughOnFirstWrite, .alwaysIntercept]
    /// Policies that offer XFD to the guest in the timed loop (all but the baseline).
    public static let withXFD: [XFDPolicy] = [.passthroughAtCPUID, .passthroughOnFirstWrite, .alwaysIntercept]
}

/// The kinds of guest the suite simulates.  Every XFD-aware kind is a
/// Linux 5.16+ guest offered AMX, and behaves as Linux does:
/// `fpu__init_cpu_xstate()` writes `init_fpstate.xfd` (XTILEDATA disabled,
/// non-zero) once at boot, and from then on `xfd_update_state()` writes XFD
/// only when the value changes: XFD = 0 only while a task that holds AMX
/// state runs.  A task's first AMX instruction raises an XFD #NM (the task
/// does not hold AMX state yet); the guest reads XFD_ERR, clears it with
/// `WRMSR(IA32_XFD_ERR, 0)` and, after enlarging the task's buffer, writes
/// XFD = 0.
public enum GuestKind: String, CaseIterable, Sendable {
    /// Never touches IA32_XFD (an OS without XFD support).
    case legacy
    /// Runs no AMX task: its one XFD write is the boot write.  Under
    /// `passthrough-on-first-write` that write ends interception, so this
    /// guest pays the per-exit read without ever using AMX.
    case linuxIdle = "linux-idle"
    /// Runs a task holding AMX state at one context switch in
    /// `amx-switch-period`: two XFD writes (0, then non-zero) per such switch.
    case linuxSomeAMX = "linux-some-amx"
    /// Alternates AMX and non-AMX tasks at every context switch: an XFD
    /// write at every switch (the most a Linux guest writes).
    case amxActive = "amx-active"

    /// The fleet-mix key.
    public var fleetKey: String {
        switch self {
        case .legacy: return "legacy"
        case .linuxIdle: return "linux"
        case .linuxSomeAMX: return "some-amx"
        case .amxActive: return "amx"
        }
    }

    /// Whether the task run after context switch `n` holds (or is about to
    /// use) AMX state; nil for a guest that never touches XFD.  Switch 0 is
    /// boot.  `amxSwitchPeriod` >= 2 applies to `linux-some-amx`.
    public func runsAMXTask(afterSwitch n: Int, amxSwitchPeriod: Int) -> Bool? {
        switch self {
        case .legacy: return nil
        case .linuxIdle: return false
        case .linuxSomeAMX: return n > 0 && n % amxSwitchPeriod == 0
        case .amxActive: return n % 2 == 1
        }
    }
}

/// KVM's XFD bookkeeping for one vCPU under one policy: a pure state machine,
/// used both by the plan builder (ahead of the timed loop) and by the tests.
public struct XFDPolicyState: Sendable, Equatable {
    /// XFD bit 18, XTILEDATA: what a guest sets to disable AMX for a task.
    public static let xtileDataMask: UInt64 = 1 << 18

    /// MSR accesses KVM makes for IA32_XFD_ERR on one #NM exit.
    public struct XFDErrWork: Sendable, Equatable {
        /// RDMSR(IA32_XFD_ERR): reads the cause of the #NM.
        public var reads: Int
        /// WRMSRs: when the value read is non-zero, KVM clears the MSR for
        /// the host and writes the guest's value back before the next entry.
        public var writes: Int
        public static let nothing = XFDErrWork(reads: 0, writes: 0)
    }

    public let policy: XFDPolicy
    /// Guest WRMSR(IA32_XFD) traps to KVM.
    public private(set) var interceptsWrites: Bool
    /// The guest's current IA32_XFD value.
    public private(set) var guestXFD: UInt64 = 0
    /// Times write interception was switched off (at most 1 by construction).
    public private(set) var interceptionStops = 0
    /// Guest XFD writes that trapped, each one extra MSR-write exit.
    public private(set) var trappedWrites = 0
    /// Guest XFD writes made at all (trapped or direct).
    public private(set) var guestWrites = 0

    public init(policy: XFDPolicy) {
        self.policy = policy
        switch policy {
        case .none, .passthroughAtCPUID, .tdx: interceptsWrites = false
        case .passthroughOnFirstWrite, .alwaysIntercept: interceptsWrites = true
        }
    }

    /// The guest executes WRMSR(IA32_XFD, `value`).  Returns true when the
    /// write traps (costing one extra MSR-write exit round trip).
    ///
    /// Under `.none` XFD is not offered, so the guest makes no such write:
    /// the call is ignored and returns false.
    @discardableResult
    public mutating func guestWrite(_ value: UInt64) -> Bool {
        guard policy != .none else { return false }
        guestWrites += 1
        guestXFD = value
        guard interceptsWrites else { return false }
        trappedWrites += 1
        // Linux's rule: the first non-zero value shows the guest really uses
        // XFD; from then on reading it per exit is cheaper than trapping it.
        if policy == .passthroughOnFirstWrite && value != 0 {
            interceptsWrites = false
            interceptionStops += 1
        }
        return true
    }

    /// Whether KVM reads IA32_XFD after a vm-exit that leaves the
    /// fastpath loop: XFD writes pass through (`xfd_no_write_intercept`), so
    /// the guest may have changed it without KVM seeing the write.
    public var readsXFDAfterExit: Bool {
        policy != .none && policy != .alwaysIntercept && !interceptsWrites
    }

    /// Whether KVM intercepts #NM: exactly while XFD writes pass through
    /// (`vmx_update_exception_bitmap`); never for a TD (the TDX module owns
    /// the guest's exceptions).  Otherwise the guest takes #NM without an exit.
    public var interceptsNM: Bool { readsXFDAfterExit && policy != .tdx }

    /// IA32_XFD_ERR accesses KVM makes on the #NM exit of an XFD fault
    /// (guest XFD non-zero, CR0.TS clear): it reads the MSR into the guest
    /// fpstate before interrupts are enabled, clears it after the exit and
    /// writes the guest's value back before the next entry.  Nothing when
    /// #NM is not intercepted.
    public var xfdFaultNMWork: XFDErrWork {
        interceptsNM ? XFDErrWork(reads: 1, writes: 2) : .nothing
    }

    /// IA32_XFD_ERR accesses KVM makes on the guest's XFD_ERR-clear exit:
    /// KVM's copy is still non-zero when that exit is taken (the WRMSR is
    /// handled after the post-exit clear), so it clears the MSR once more.
    /// Nothing when #NM was not intercepted (KVM never held a value).
    public var xfdErrClearExitWork: XFDErrWork {
        interceptsNM ? XFDErrWork(reads: 0, writes: 1) : .nothing
    }
}
