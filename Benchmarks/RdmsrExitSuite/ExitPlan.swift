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
    /// VM exit + VM entry round trip, core cycles, paid by every exit and by
    /// every extra exit a trapped XFD write causes (modelled work).
    public var roundTrip: Int
    /// Guest work between exits, core cycles.
    public var guestQuantum: Int
    public var costs: CostTable
    /// Exits between two guest XFD writes (the context-switch interval); >= 1.
    public var writeInterval: Int
    /// Exits to user space do the real XSAVE/XRSTOR swap (only where OSXSAVE).
    public var fpuSwap: Bool

    public init(policy: XFDPolicy, guest: GuestKind, msrCost: MSRAccessCost, roundTrip: Int,
                guestQuantum: Int, costs: CostTable, writeInterval: Int, fpuSwap: Bool) {
        self.policy = policy; self.guest = guest; self.msrCost = msrCost; self.roundTrip = roundTrip
        self.guestQuantum = guestQuantum; self.costs = costs; self.writeInterval = writeInterval
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
    static let proxyShift: UInt32 = 24
    static let swapBit: UInt32 = 1 << 27

    /// What the plan contains, for tests and notes.
    public struct Counts: Sendable, Equatable {
        public var exits = 0
        public var xfdReads = 0
        public var xfdErrReads = 0
        public var xfdErrWrites = 0
        public var guestWrites = 0
        /// Extra MSR-write exits caused by trapped guest XFD writes.
        public var trappedWrites = 0
        public var interceptionStops = 0
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
        precondition(c.writeInterval >= 1)
        var state = XFDPolicyState(policy: c.policy)
        var counts = Counts()
        var words: [UInt32] = []
        words.reserveCapacity(reasons.count)
        var writesIssued = 0
        for (i, reason) in reasons.enumerated() {
            var adds = c.guestQuantum + c.roundTrip + c.costs[reason]
            // The guest's context switch happens during the quantum before this exit.
            if c.policy != .none, (i + 1) % c.writeInterval == 0, let value = c.guest.xfdWriteValue(writesIssued) {
                writesIssued += 1
                // The WRMSR itself runs under every policy (by the guest, or
                // by KVM emulating it), so it cancels and is not simulated;
                // what a trap adds is a whole MSR-write exit.
                if state.guestWrite(value) { adds += c.roundTrip + c.costs[.msrWrite] }
            }
            var accesses = state.readsXFDAfterExit ? 1 : 0
            if state.readsXFDAfterExit { counts.xfdReads += 1 }
            if reason == .nm {
                let e = state.nmExitXFDErrWork
                accesses += e.reads + e.writes
                counts.xfdErrReads += e.reads; counts.xfdErrWrites += e.writes
            }
            var word: UInt32 = 0
            switch c.msrCost {
            case .cycles(let cyc): adds += accesses * cyc
            case .proxy:
                word |= UInt32(accesses) << Self.proxyShift
                counts.proxyInstructions += accesses
            }
            guard adds >= 0, adds <= Self.maxAddsPerExit else {
                throw BenchError.badInput("one simulated exit would need \(adds) cycles of injected work (max \(Self.maxAddsPerExit)): lower the costs")
            }
            word |= UInt32(adds)
            if reason.goesToUserSpace {
                counts.userSpaceExits += 1
                if c.fpuSwap { word |= Self.swapBit }
            }
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
