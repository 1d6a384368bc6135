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

    /// Policies that offer XFD to the guest (all but the baseline).
    public static let withXFD: [XFDPolicy] = [.passthroughAtCPUID, .passthroughOnFirstWrite, .alwaysIntercept]
}

/// The kinds of guest the suite simulates.
public enum GuestKind: String, CaseIterable, Sendable {
    /// Never touches IA32_XFD (an OS without XFD support).
    case legacy
    /// A Linux 5.16+ guest offered AMX that runs no AMX task: its one XFD
    /// write is at boot, where fpu__init_cpu_xstate() writes
    /// init_fpstate.xfd (XTILEDATA disabled, non-zero) "to allow KVM lazy
    /// passthrough"; non-AMX tasks keep that value, so no write follows.
    /// Under `passthrough-on-first-write` that boot write ends interception,
    /// so this guest pays the per-exit read without ever using AMX.
    case linuxIdle = "linux-idle"
    /// XFD-aware but writes zero only (never a non-zero value).  Modelled as a guest
    /// that writes XFD = 0 at every context switch (the write interval), an
    /// upper bound: Linux skips writes that would not change the value.
    case awareIdle = "aware-idle"
    /// Runs AMX and non-AMX tasks: at each context switch (the write
    /// interval) it writes XFD, alternating "XTILEDATA disabled" (non-zero,
    /// first) and zero.
    case amxActive = "amx-active"

    /// The fleet-mix key (`legacy`, `aware`, `amx`).
    public var fleetKey: String {
        switch self {
        case .legacy: return "legacy"
        case .linuxIdle: return "linux"
        case .awareIdle: return "aware"
        case .amxActive: return "amx"
        }
    }

    /// The value of the guest's `n`-th XFD write (0-based), or nil when the
    /// guest kind never writes.
    public func xfdWriteValue(_ n: Int) -> UInt64? {
        switch self {
        case .legacy: return nil
        case .linuxIdle: return n == 0 ? XFDPolicyState.xtileDataMask : nil
        case .awareIdle: return 0
        case .amxActive: return n % 2 == 0 ? XFDPolicyState.xtileDataMask : 0
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
        case .none, .passthroughAtCPUID: interceptsWrites = false
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

    /// Whether KVM reads IA32_XFD after a vm-exit in the current state: the
    /// guest may have changed it without KVM seeing the write.
    public var readsXFDAfterExit: Bool {
        policy != .none && policy != .alwaysIntercept && !interceptsWrites
    }

    /// IA32_XFD_ERR work on a #NM exit.  KVM intercepts #NM only while the
    /// guest's XFD is non-zero; it then reads XFD_ERR, and since a #NM taken
    /// with XFD armed is an XFD fault the value is non-zero, so it clears the
    /// MSR and restores the guest's value before the next entry.  With XFD
    /// zero (or not offered) the #NM exit does no XFD_ERR work.
    public var nmExitXFDErrWork: XFDErrWork {
        guard policy != .none, guestXFD != 0 else { return .nothing }
        return XFDErrWork(reads: 1, writes: 2)
    }
}
