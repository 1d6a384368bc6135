import BenchCore

/// A real instruction executed in the loop in place of each MSR access.
public enum ProxyInstruction: String, CaseIterable, Sendable {
    case rdpid, rdtscp

    /// Why the instruction cannot run on `cpu`, or nil when it can.
    public func unavailableReason(_ cpu: CPUDescription) -> String? {
        switch self {
        case .rdpid: return cpu.features.rdpid ? nil : "no RDPID (CPUID.(7,0):ECX[22] clear)"
        case .rdtscp: return cpu.features.rdtscp ? nil : "no RDTSCP (CPUID.80000001H:EDX[27] clear)"
        }
    }
}

/// What one MSR access (RDMSR of IA32_XFD or IA32_XFD_ERR, WRMSR of
/// IA32_XFD_ERR) costs in the simulated loop.  RDMSR is privileged and cannot
/// run in this process, so it is either injected work of a given size or a
/// stand-in instruction.
public enum MSRAccessCost: Sendable, Equatable {
    /// Injected: that many dependent adds (core cycles).
    case cycles(Int)
    /// Measured through a stand-in instruction executed for real.
    case proxy(ProxyInstruction)

    /// The params value: `"100"`, `"proxy-rdpid"`.
    public var label: String {
        switch self {
        case .cycles(let c): return String(c)
        case .proxy(let p): return "proxy-\(p.rawValue)"
        }
    }
}

/// Everything that decides the work of each simulated exit.
public struct ExitPlanConfig: Sendable {
    public var policy: XFDPolicy
    public var guest: GuestKind
    public var msrCost: MSRAccessCost
    /// Round trip and handler costs (core cycles, modelled work).  The round
    /// trip is paid by every exit and every extra exit (trapped XFD write,
    /// XFD #NM, XFD_ERR clear).
    public var costs: ExitCostTable
    /// Which exits re-enter on the fastpath, and the #NM rules.
    public var rules: KVMExitRules
    /// Guest work between exits, core cycles.
    public var guestQuantum: Int
    /// Exits between two guest context switches; >= 1.
    public var writeInterval: Int
    /// `linux-some-amx` runs an AMX task at one context switch in this many; >= 2.
    public var amxSwitchPeriod: Int
    /// One switch-in of an AMX task in this many starts a new task, whose
    /// first AMX instruction raises an XFD #NM; >= 1.
    public var newAMXTaskPeriod: Int
    /// Exits to user space do the real XSAVE/XRSTOR swap (only where OSXSAVE).
    public var fpuSwap: Bool

    public init(policy: XFDPolicy, guest: GuestKind, msrCost: MSRAccessCost, costs: ExitCostTable,
                rules: KVMExitRules, guestQuantum: Int, writeInterval: Int, amxSwitchPeriod: Int = 10,
                newAMXTaskPeriod: Int = 10, fpuSwap: Bool) {
        self.policy = policy; self.guest = guest; self.msrCost = msrCost; self.costs = costs
        self.rules = rules; self.guestQuantum = guestQuantum; self.writeInterval = writeInterval
        self.amxSwitchPeriod = amxSwitchPeriod; self.newAMXTaskPeriod = newAMXTaskPeriod
        self.fpuSwap = fpuSwap
    }
}

/// The per-exit work of a whole simulated run, decided before timing so the
/// timed loop only reads one 32-bit word per exit:
///
///     bits 0-23   dependent adds (guest quantum, round trip, handler,
///                 extra exits of trapped writes, injected MSR accesses)
///     bits 24-26  stand-in MSR-access instructions to execute (0-7)
///     bit 27      real FPU swap (XSAVE/XRSTOR) of an exit to user space
public struct ExitPlan: Sendable {
    public static let maxAddsPerExit = (1 << 24) - 1
    /// MSR accesses one exit can carry: an XFD #NM exit (XFD read, XFD_ERR
    /// read, two XFD_ERR writes), the XFD_ERR-clear exit (XFD read, one
    /// XFD_ERR write) and the drawn exit (XFD read; its XFD_ERR read on a
    /// lazy #NM needs a non-zero guest XFD, which a fault in the same quantum
    /// has just cleared).  Fits the 3-bit stand-in count.
    public static let maxAccessesPerExit = 7
    static let proxyShift: UInt32 = 24
    static let swapBit: UInt32 = 1 << 27

    /// What the plan contains, for tests and notes.
    public struct Counts: Sendable, Equatable {
        /// Exit slots (drawn reasons).
        public var exits = 0
        /// Drawn slots that were no exit (`nm` while #NM is not intercepted,
        /// ICR writes under IPIv).
        public var slotsWithoutExit = 0
        /// Drawn exits that re-entered on the fastpath (no XFD read).
        public var fastpathExits = 0
        public var xfdReads = 0
        public var xfdErrReads = 0
        public var xfdErrWrites = 0
        public var guestWrites = 0
        /// Extra MSR-write exits caused by trapped guest XFD writes.
        public var trappedWrites = 0
        public var interceptionStops = 0
        /// XFD faults (a task's first AMX use) the guest took.
        public var xfdFaults = 0
        /// Extra #NM exits of XFD faults (only while #NM is intercepted).
        public var nmExits = 0
        /// Extra MSR-write exits of the guest's WRMSR(IA32_XFD_ERR, 0).
        public var xfdErrClearExits = 0
        public var userSpaceExits = 0
        /// Sum of the adds over all exits (core cycles of injected work).
        public var injectedCycles = 0
        /// Stand-in instructions over all exits.
        public var proxyInstructions = 0
    }

    public let words: [UInt32]
    public let counts: Counts
    /// The policy state after the last exit.
    public let finalState: XFDPolicyState

    /// Builds the plan for `reasons` under `config`.  Throws when one exit's
    /// adds would not fit in 24 bits.
    public init(reasons: [ExitReason], config c: ExitPlanConfig) throws {
        precondition(c.writeInterval >= 1 && c.amxSwitchPeriod >= 2 && c.newAMXTaskPeriod >= 1)
        var state = XFDPolicyState(policy: c.policy)
        var counts = Counts()
        var words: [UInt32] = []
        words.reserveCapacity(reasons.count)
        let rt = c.costs.roundTrip
        var switches = 0, amxSwitchIns = 0
        var guestXFD: UInt64 = 0  // the guest's own view (power-on value 0)
        for (i, reason) in reasons.enumerated() {
            var adds = c.guestQuantum
            var accesses = 0
            // Extra exits KVM takes, in order, inside the quantum before this exit.
            func extraExit(handler: ExitReason, xfdErr: XFDPolicyState.XFDErrWork) {
                adds += rt + c.costs[handler]
                if state.readsXFDAfterExit { accesses += 1; counts.xfdReads += 1 }
                accesses += xfdErr.reads + xfdErr.writes
                counts.xfdErrReads += xfdErr.reads; counts.xfdErrWrites += xfdErr.writes
            }
            // A context switch happens during the quantum before every
            // writeInterval-th exit; switch 0 is boot.
            if c.policy != .none, (i + 1) % c.writeInterval == 0,
               let amx = c.guest.runsAMXTask(afterSwitch: switches, amxSwitchPeriod: c.amxSwitchPeriod) {
                switches += 1
                let want: UInt64 = amx ? 0 : XFDPolicyState.xtileDataMask
                if amx { amxSwitchIns += 1 }
                if want != guestXFD {
                    if amx && (amxSwitchIns - 1) % c.newAMXTaskPeriod == 0 {
                        // A new task: XFD stays armed at the switch, its first AMX
                        // instruction faults, the handler clears XFD_ERR (an exit
                        // under every policy but TDX) and then writes XFD = 0.
                        counts.xfdFaults += 1
                        if state.interceptsNM {
                            counts.nmExits += 1
                            extraExit(handler: .nm, xfdErr: state.xfdFaultNMWork)
                        }
                        if c.policy != .tdx {
                            counts.xfdErrClearExits += 1
                            extraExit(handler: .msrWrite, xfdErr: state.xfdErrClearExitWork)
                        }
                    }
                    // The WRMSR itself runs under every policy (by the guest,
                    // or by KVM emulating it), so it cancels and is not
                    // simulated; what a trap adds is a whole MSR-write exit,
                    // whose sync point precedes the change of interception.
                    if state.guestWrite(want) { adds += rt + c.costs[.msrWrite] }
                    guestXFD = want
                }
            }
            // The drawn exit.  A lazy-FPU #NM exits only while #NM is
            // intercepted; an ICR write under IPIv never exits.
            var word: UInt32 = 0
            if (reason != .nm || state.interceptsNM) && c.rules.exits(reason) {
                adds += rt + c.costs[reason]
                if c.rules.reentersOnFastpath(reason) {
                    counts.fastpathExits += 1
                } else if state.readsXFDAfterExit {
                    accesses += 1; counts.xfdReads += 1
                }
                // CR0.TS is set for a lazy-FPU #NM; the value read is that of
                // no XFD fault (zero), so nothing is written back.
                if reason == .nm, c.rules.nmReadsXFDErr(guestXFD: state.guestXFD, cr0TS: true) {
                    accesses += 1; counts.xfdErrReads += 1
                }
                if reason.goesToUserSpace {
                    counts.userSpaceExits += 1
                    if c.fpuSwap { word |= Self.swapBit }
                }
            } else {
                counts.slotsWithoutExit += 1
            }
            switch c.msrCost {
            case .cycles(let cyc): adds += accesses * cyc
            case .proxy:
                guard accesses <= 7 else {
                    throw BenchError.badInput("one simulated exit needs \(accesses) stand-in MSR accesses (max 7): raise xfd-write-interval")
                }
                word |= UInt32(accesses) << Self.proxyShift
                counts.proxyInstructions += accesses
            }
            guard adds >= 0, adds <= Self.maxAddsPerExit else {
                throw BenchError.badInput("one simulated exit would need \(adds) cycles of injected work (max \(Self.maxAddsPerExit)): lower the costs")
            }
            word |= UInt32(adds)
            counts.injectedCycles += adds
            words.append(word)
        }
        counts.exits = reasons.count
        counts.guestWrites = state.guestWrites
        counts.trappedWrites = state.trappedWrites
        counts.interceptionStops = state.interceptionStops
        self.words = words
        self.counts = counts
        finalState = state
    }

    /// Injected cycles of exits `range` (for the second half the differenced
    /// measurement times).
    public func injectedCycles(_ range: Range<Int>) -> Int {
        words[range].reduce(0) { $0 + Int($1 & UInt32(Self.maxAddsPerExit)) }
    }
}
