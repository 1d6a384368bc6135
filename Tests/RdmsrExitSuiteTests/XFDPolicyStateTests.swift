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

    @Test func nmInterceptedOnlyWhileWritesPassThrough() {
        var s = XFDPolicyState(policy: .passthroughOnFirstWrite)
        #expect(!s.interceptsNM && s.xfdFaultNMWork == .nothing)
        s.guestWrite(XFDPolicyState.xtileDataMask)
        #expect(s.interceptsNM && s.xfdFaultNMWork == .init(reads: 1, writes: 2) && s.xfdErrClearExitWork == .init(reads: 0, writes: 1))
        #expect(!XFDPolicyState(policy: .alwaysIntercept).interceptsNM)
        #expect(!XFDPolicyState(policy: .none).interceptsNM)
        let tdx = XFDPolicyState(policy: .tdx)
        #expect(tdx.readsXFDAfterExit && !tdx.interceptsNM)
    }

    static let k618 = KVMExitRules(kernel: KernelVersion(6, 18))
    static let k611 = KVMExitRules(kernel: KernelVersion(6, 11))

    static func config(_ policy: XFDPolicy, _ guest: GuestKind, interval: Int = 10, cost: MSRAccessCost = .cycles(100),
                       rules: KVMExitRules = k618, newTask: Int = 1_000_000) -> ExitPlanConfig {
        ExitPlanConfig(policy: policy, guest: guest, msrCost: cost, costs: ExitCostTable(userCycles: [.roundTrip: 900]),
                       rules: rules, guestQuantum: 0, writeInterval: interval, amxSwitchPeriod: 10,
                       newAMXTaskPeriod: newTask, fpuSwap: false)
    }

    @Test func kernelVersionsParseAndSelectTheFastpath() {
        #expect(KernelVersion(release: "6.18.44-fc-v657") == KernelVersion(6, 18, 44))
        #expect(KernelVersion(release: "6.18.44-fc-v657")?.suffix == "-fc-v657")
        #expect(KernelVersion(release: "6.18")?.patch == nil)
        #expect(KernelVersion(release: "5.17.0-rc1") == KernelVersion(5, 17))
        #expect(KernelVersion(release: "vmlinuz") == nil)
        #expect(Self.k618.reentersOnFastpath(.ipi) && !Self.k611.reentersOnFastpath(.ipi))
        for r in [ExitReason.msrWrite, .preemptionTimer] { #expect(Self.k611.reentersOnFastpath(r) && Self.k618.reentersOnFastpath(r)) }
        for r in [ExitReason.hlt, .io, .cpuid, .nm, .eptViolation, .externalInterrupt] { #expect(!Self.k618.reentersOnFastpath(r)) }
        let mix = try? ExitMix(ExitMix.defaultSpec)
        #expect(mix.map { abs(Self.k618.slowShare($0) - 0.70) < 1e-12 } == true)  // msr-write 15 + ipi 5 + preempt 10
        #expect(mix.map { abs(Self.k611.slowShare($0) - 0.75) < 1e-12 } == true)
        #expect(mix?.share(.nm) == 0)
        // XFD_ERR on #NM: XFD armed; from 6.15 also CR0.TS clear.
        let k614 = KVMExitRules(kernel: KernelVersion(6, 14)), k615 = KVMExitRules(kernel: KernelVersion(6, 15))
        #expect(k614.nmReadsXFDErr(guestXFD: 1 << 18, cr0TS: true) && !k615.nmReadsXFDErr(guestXFD: 1 << 18, cr0TS: true))
        #expect(k615.nmReadsXFDErr(guestXFD: 1 << 18, cr0TS: false) && !k615.nmReadsXFDErr(guestXFD: 0, cr0TS: false))
    }

    @Test func fastpathExitsNeverPayTheRead() throws {
        let reasons: [ExitReason] = [.hlt, .msrWrite, .preemptionTimer, .ipi, .io, .cpuid]
        let new = try ExitPlan(reasons: reasons, config: Self.config(.passthroughAtCPUID, .legacy))
        #expect(new.counts.xfdReads == 3 && new.counts.fastpathExits == 3)
        let old = try ExitPlan(reasons: reasons, config: Self.config(.passthroughAtCPUID, .legacy, rules: Self.k611))
        #expect(old.counts.xfdReads == 4 && old.counts.fastpathExits == 2)  // the ICR write leaves the loop before 6.12
        let none = try ExitPlan(reasons: reasons, config: Self.config(.none, .legacy))
        #expect(new.counts.injectedCycles - none.counts.injectedCycles == 3 * 100)
    }

    @Test func lazyFPUNMExitsOnlyUnderPassthrough() throws {
        let reasons: [ExitReason] = [.hlt, .nm, .hlt, .nm]
        let always = try ExitPlan(reasons: reasons, config: Self.config(.alwaysIntercept, .legacy))
        #expect(always.counts.slotsWithoutExit == 2)
        let none = try ExitPlan(reasons: reasons, config: Self.config(.none, .legacy))
        #expect(none.counts.slotsWithoutExit == 2 && none.words == always.words)
        let pt = try ExitPlan(reasons: reasons, config: Self.config(.passthroughAtCPUID, .legacy))
        #expect(pt.counts.slotsWithoutExit == 0 && pt.counts.xfdReads == 4 && pt.counts.xfdErrReads == 0)  // XFD zero: no XFD_ERR read
    }

    @Test func xfdFaultAddsTheXFDErrClearExitUnderEveryPolicy() throws {
        // amx-active, a switch every 10 exits, every AMX switch-in a new task: switch 0 (boot) writes
        // non-zero, switch 1 faults (#NM), clears XFD_ERR, writes 0; switch 2 writes non-zero again.
        let reasons = Array(repeating: ExitReason.hlt, count: 30)
        let pt = try ExitPlan(reasons: reasons, config: Self.config(.passthroughOnFirstWrite, .amxActive, newTask: 1))
        #expect(pt.counts.xfdFaults == 1 && pt.counts.nmExits == 1 && pt.counts.xfdErrClearExits == 1)
        #expect(pt.counts.xfdErrReads == 1 && pt.counts.xfdErrWrites == 3)
        #expect(pt.counts.trappedWrites == 1 && pt.counts.guestWrites == 3)
        // Reads: exits 9...29 (21) plus the #NM and XFD_ERR-clear exits.
        #expect(pt.counts.xfdReads == 23)
        let always = try ExitPlan(reasons: reasons, config: Self.config(.alwaysIntercept, .amxActive, newTask: 1))
        #expect(always.counts.xfdFaults == 1 && always.counts.nmExits == 0 && always.counts.xfdErrClearExits == 1)
        #expect(always.counts.xfdErrReads == 0 && always.counts.xfdErrWrites == 0 && always.counts.trappedWrites == 3)
        let tdx = try ExitPlan(reasons: reasons, config: Self.config(.tdx, .amxActive, newTask: 1))
        #expect(tdx.counts.xfdFaults == 1 && tdx.counts.nmExits == 0 && tdx.counts.xfdErrClearExits == 0 && tdx.counts.xfdReads == 30)
    }

    @Test func linuxGuestsWriteOnlyWhenTheValueChanges() throws {
        let reasons = Array(repeating: ExitReason.hlt, count: 1_000)
        // 100 switches: boot (non-zero), then an AMX task at switches 10, 20, ..., 90: 0 then non-zero again.
        let some = try ExitPlan(reasons: reasons, config: Self.config(.alwaysIntercept, .linuxSomeAMX, interval: 10))
        #expect(some.counts.guestWrites == 1 + 2 * 9)
        let idle = try ExitPlan(reasons: reasons, config: Self.config(.alwaysIntercept, .linuxIdle, interval: 10))
        #expect(idle.counts.guestWrites == 1)
        let amx = try ExitPlan(reasons: reasons, config: Self.config(.alwaysIntercept, .amxActive, interval: 10))
        #expect(amx.counts.guestWrites == 100)
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
        // With no XFD faults and no fastpath exits, always-intercept - passthrough-at-cpuid per exit is
        // exactly (round trip + handler) / interval - rdmsr in injected cycles; with half the exits on the
        // fastpath the read term halves.
        for (reasons, slow) in [(Array(repeating: ExitReason.hlt, count: 1_200), 1.0),
                                ((0..<1_200).map { $0 % 2 == 0 ? ExitReason.hlt : .preemptionTimer }, 0.5)] {
            for interval in [2, 4, 8, 12] {
                let a = try ExitPlan(reasons: reasons, config: Self.config(.alwaysIntercept, .amxActive, interval: interval))
                let p = try ExitPlan(reasons: reasons, config: Self.config(.passthroughAtCPUID, .amxActive, interval: interval))
                #expect(a.counts.xfdFaults == 1)  // the first AMX task; its exits are the same under both but the read
                let faultRead = 3.0 * 100  // the #NM and XFD_ERR-clear exits read XFD, and the clear exit clears XFD_ERR
                let faultNM = Double(900 + 250 + 3 * 100)  // the #NM exit: round trip, handler, XFD_ERR read + 2 writes
                let perExit = (Double(a.counts.injectedCycles - p.counts.injectedCycles) + faultRead + faultNM) / 1_200
                let model = XFDCostModel.alwaysMinusReadPerExit(rdmsr: 100, roundTrip: 900, writeHandler: 400,
                                                                interval: Double(interval), slowShare: slow)
                #expect(abs(perExit - model) <= 1e-9 * abs(model))
            }
        }
        #expect(XFDCostModel.breakEvenWritesPerExit(rdmsr: 100, roundTrip: 900, writeHandler: 100, slowShare: 1) == 0.1)
        #expect(XFDCostModel.breakEvenWritesPerExit(rdmsr: 100, roundTrip: 900, writeHandler: 100, slowShare: 0.5) == 0.05)
    }

    @Test func badParametersAreRejected() {
        #expect(throws: BenchError.self) { try ExitMix("hlt=1,bogus=2") }
        #expect(throws: BenchError.self) { try ExitMix("hlt=0") }
        #expect(throws: BenchError.self) { try ExitCostTable.parseUserCycles("hlt=-5") }
        #expect(throws: BenchError.self) { try ExitCostTable.parseUserCycles("/nonexistent/costs.txt") }
        #expect(throws: BenchError.self) { try FleetMix("legacy=1,martian=2") }
        #expect(throws: BenchError.self) { try RdmsrExitConfig.parseRDMSR("100,proxy-rdmsr", userSet: true) }
        #expect((try? ExitCostTable.parseUserCycles("hlt=7,round-trip=3")) == [.handler(.hlt): 7, .roundTrip: 3])
        #expect((try? RdmsrExitConfig.parseRDMSR("50,proxy-rdpid", userSet: true)).map { $0.map(\.source) } == [.input, .proxy])
    }
}
