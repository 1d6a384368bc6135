import BenchCore
import Testing
@testable import RdmsrExitSuite

/// The policy state machine and the per-exit plans built from it: pure, no timing.
struct XFDPolicyStateTests {
    @Test func firstNonZeroWriteStopsInterceptionExactlyOnce() {
        var s = XFDPolicyState(policy: .passthroughOnFirstWrite)
        #expect(s.interceptsWrites && !s.readsXFDAfterExit)
        let zeroTrapped = s.guestWrite(0)  // zero: trapped, interception stays
        #expect(zeroTrapped)
        #expect(s.interceptsWrites && s.interceptionStops == 0)
        let firstTrapped = s.guestWrite(XFDPolicyState.xtileDataMask)  // first non-zero: trapped, then stops
        #expect(firstTrapped)
        #expect(!s.interceptsWrites && s.interceptionStops == 1 && s.readsXFDAfterExit)
        for v in [UInt64(0), XFDPolicyState.xtileDataMask, 0, XFDPolicyState.xtileDataMask] {
            let trapped = s.guestWrite(v)  // direct from now on
            #expect(!trapped)
        }
        #expect(s.interceptionStops == 1 && s.trappedWrites == 2 && s.guestWrites == 6)
    }

    @Test func zeroWritesDoNotStopInterception() {
        var s = XFDPolicyState(policy: .passthroughOnFirstWrite)
        for _ in 0..<1_000 { let trapped = s.guestWrite(0); #expect(trapped) }
        #expect(s.interceptsWrites && s.interceptionStops == 0 && s.trappedWrites == 1_000)
        #expect(!s.readsXFDAfterExit)
    }

    @Test func policiesReadAsDesigned() {
        #expect(XFDPolicyState(policy: .passthroughAtCPUID).readsXFDAfterExit)
        #expect(!XFDPolicyState(policy: .alwaysIntercept).readsXFDAfterExit)
        #expect(!XFDPolicyState(policy: .none).readsXFDAfterExit)
        var a = XFDPolicyState(policy: .alwaysIntercept)
        for i in 0..<10 { let trapped = a.guestWrite(i % 2 == 0 ? XFDPolicyState.xtileDataMask : 0); #expect(trapped) }
        #expect(!a.readsXFDAfterExit && a.interceptionStops == 0)
        var n = XFDPolicyState(policy: .none)
        let trappedNone = n.guestWrite(XFDPolicyState.xtileDataMask)
        #expect(!trappedNone && n.guestWrites == 0)
    }

    @Test func xfdErrWorkOnlyWhileXFDArmed() {
        var s = XFDPolicyState(policy: .passthroughAtCPUID)
        #expect(s.nmExitXFDErrWork == .nothing)
        s.guestWrite(XFDPolicyState.xtileDataMask)
        #expect(s.nmExitXFDErrWork == .init(reads: 1, writes: 2))
        s.guestWrite(0)
        #expect(s.nmExitXFDErrWork == .nothing)
    }

    static func config(_ policy: XFDPolicy, _ guest: GuestKind, interval: Int = 10,
                       cost: MSRAccessCost = .cycles(100)) -> ExitPlanConfig {
        ExitPlanConfig(policy: policy, guest: guest, msrCost: cost, roundTrip: 900, guestQuantum: 0,
                       costs: CostTable(), writeInterval: interval, fpuSwap: false)
    }

    @Test func legacyGuestNeverPaysTheReadUnderPassthroughOnFirstWrite() throws {
        let reasons = try ExitMix(ExitMix.defaultSpec).sequence(count: 5_000, seed: 7)
        let plan = try ExitPlan(reasons: reasons, config: Self.config(.passthroughOnFirstWrite, .legacy))
        let none = try ExitPlan(reasons: reasons, config: Self.config(.none, .legacy))
        #expect(plan.counts.xfdReads == 0 && plan.counts.trappedWrites == 0 && plan.counts.xfdErrReads == 0)
        #expect(plan.words == none.words)
        // The same holds for an aware guest that only ever writes zero, except its trapped writes.
        let aware = try ExitPlan(reasons: reasons, config: Self.config(.passthroughOnFirstWrite, .awareIdle))
        #expect(aware.counts.xfdReads == 0 && aware.counts.trappedWrites == 500 && aware.finalState.interceptsWrites)
        // Under passthrough-at-cpuid the same legacy guest reads after every exit.
        let eager = try ExitPlan(reasons: reasons, config: Self.config(.passthroughAtCPUID, .legacy))
        #expect(eager.counts.xfdReads == reasons.count)
    }

    @Test func alwaysInterceptCountsOneExtraExitPerGuestWrite() throws {
        let reasons = Array(repeating: ExitReason.hlt, count: 1_000)
        for guest in [GuestKind.awareIdle, .amxActive] {
            for interval in [1, 3, 10, 100] {
                let c = Self.config(.alwaysIntercept, guest, interval: interval)
                let plan = try ExitPlan(reasons: reasons, config: c)
                let none = try ExitPlan(reasons: reasons, config: Self.config(.none, guest, interval: interval))
                let writes = 1_000 / interval
                #expect(plan.counts.guestWrites == writes && plan.counts.trappedWrites == writes)
                #expect(plan.counts.xfdReads == 0)
                // Each extra exit is a round trip plus the MSR-write handler, nothing else.
                #expect(plan.counts.injectedCycles - none.counts.injectedCycles
                        == writes * (c.roundTrip + c.costs[.msrWrite]))
            }
        }
    }

    @Test func amxGuestUnderFirstWriteReadsFromItsFirstNonZeroWrite() throws {
        let reasons = Array(repeating: ExitReason.hlt, count: 100)
        let plan = try ExitPlan(reasons: reasons, config: Self.config(.passthroughOnFirstWrite, .amxActive, interval: 10))
        // First write before exit 9 (non-zero): trapped, then exits 9...99 read.
        #expect(plan.counts.trappedWrites == 1 && plan.counts.interceptionStops == 1 && plan.counts.xfdReads == 91)
    }

    @Test func linuxGuestsBootWriteEndsInterceptionUnderFirstWrite() throws {
        let reasons = Array(repeating: ExitReason.hlt, count: 1_000)
        // One non-zero write (the boot write, before exit 9), none after.
        let first = try ExitPlan(reasons: reasons, config: Self.config(.passthroughOnFirstWrite, .linuxIdle, interval: 10))
        #expect(first.counts.guestWrites == 1 && first.counts.trappedWrites == 1)
        #expect(first.counts.interceptionStops == 1 && first.counts.xfdReads == 991)
        // Intercepting every write costs it that one exit and no reads.
        let always = try ExitPlan(reasons: reasons, config: Self.config(.alwaysIntercept, .linuxIdle, interval: 10))
        #expect(always.counts.trappedWrites == 1 && always.counts.xfdReads == 0)
        #expect(GuestKind.linuxIdle.xfdWriteValue(0) == XFDPolicyState.xtileDataMask)
        #expect(GuestKind.linuxIdle.xfdWriteValue(1) == nil)
    }

    @Test func proxyPlansCountInstructionsInsteadOfCycles() throws {
        let reasons: [ExitReason] = [.hlt, .nm, .hlt, .nm]
        var c = Self.config(.passthroughAtCPUID, .amxActive, interval: 1, cost: .proxy(.rdpid))
        let plan = try ExitPlan(reasons: reasons, config: c)
        // Every exit reads XFD.  Writes alternate non-zero (before exit 0), zero (1), non-zero (2),
        // zero (3): XFD is zero at both #NM exits, so they do no XFD_ERR work.
        #expect(plan.counts.xfdReads == 4 && plan.counts.xfdErrReads == 0 && plan.counts.proxyInstructions == 4)
        c.writeInterval = 1_000  // never writes: XFD stays zero
        #expect(try ExitPlan(reasons: reasons, config: c).counts.proxyInstructions == 4)
        c.guest = .amxActive; c.writeInterval = 1
        let armed = try ExitPlan(reasons: [.hlt, .hlt, .nm], config: c) // writes: nz, 0, nz -> armed at exit 2
        #expect(armed.counts.xfdErrReads == 1 && armed.counts.xfdErrWrites == 2 && armed.counts.proxyInstructions == 6)
    }

    @Test func exitSequenceIsDeterministicPerSeed() throws {
        let mix = try ExitMix(ExitMix.defaultSpec)
        let a = mix.sequence(count: 10_000, seed: 42), b = mix.sequence(count: 10_000, seed: 42)
        let c = mix.sequence(count: 10_000, seed: 43)
        #expect(a == b)
        #expect(a != c)
        // Shares follow the weights (25% external interrupts, within sampling noise of 10,000 draws).
        let ext = Double(a.filter { $0 == .externalInterrupt }.count) / 10_000
        #expect(abs(ext - 0.25) < 5 * (0.25 * 0.75 / 10_000).squareRoot())
    }

    @Test func analyticFormulaMatchesThePlans() throws {
        // With no #NM exits, always-intercept - passthrough-at-cpuid per exit is exactly
        // (round trip + handler) / interval - rdmsr in injected cycles.
        let reasons = Array(repeating: ExitReason.hlt, count: 1_200)
        for interval in [2, 4, 8, 12] {
            let a = try ExitPlan(reasons: reasons, config: Self.config(.alwaysIntercept, .amxActive, interval: interval))
            let p = try ExitPlan(reasons: reasons, config: Self.config(.passthroughAtCPUID, .amxActive, interval: interval))
            let perExit = Double(a.counts.injectedCycles - p.counts.injectedCycles) / 1_200
            let c = Self.config(.alwaysIntercept, .amxActive)
            let model = XFDCostModel.alwaysMinusReadPerExit(rdmsr: 100, roundTrip: Double(c.roundTrip),
                                                            writeHandler: Double(c.costs[.msrWrite]), interval: Double(interval))
            #expect(abs(perExit - model) <= 1e-9 * abs(model))  // equal up to floating-point rounding
        }
        #expect(XFDCostModel.breakEvenWritesPerExit(rdmsr: 100, roundTrip: 900, writeHandler: 100) == 0.1)
    }

    @Test func badParametersAreRejected() {
        #expect(throws: BenchError.self) { try ExitMix("hlt=1,bogus=2") }
        #expect(throws: BenchError.self) { try ExitMix("hlt=0") }
        #expect(throws: BenchError.self) { try CostTable.parse("hlt=-5") }
        #expect(throws: BenchError.self) { try CostTable.parse("/nonexistent/costs.txt") }
        #expect(throws: BenchError.self) { try FleetMix("legacy=1,martian=2") }
        #expect(throws: BenchError.self) { try RdmsrExitConfig.parseRDMSR("100,proxy-rdmsr", userSet: true) }
        #expect((try? CostTable.parse("hlt=7"))?[.hlt] == 7)
        #expect((try? RdmsrExitConfig.parseRDMSR("50,proxy-rdpid", userSet: true)).map { $0.map(\.source) } == [.input, .proxy])
    }
}
