import BenchCore
import Foundation
import Testing
@testable import RdmsrExitSuite

/// The versioned KVM rules, the host set-up they depend on, the exit mix as
/// an input (swept, or read from a captured histogram), and the closed forms.
struct KVMRuleTests {
    func k(_ text: String, hvTimer: Bool = true, ipiv: Bool = false) throws -> KVMExitRules {
        KVMExitRules(kernel: try #require(KernelVersion(release: text)), hvTimer: hvTimer, ipiv: ipiv)
    }
    static var samples: URL { URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/exit-histograms") }

    /// Each rule's first release, written out independently of the table.
    @Test func everyRuleStartsWhereItsSourceSays() {
        let expected: [(LinuxKernelRule, String)] = [
            (KVMRules.xfd, "5.17"), (KVMRules.tscDeadlineWithHVTimer, "5.17"),
            (KVMRules.tscDeadlineUnconditional, "6.18"),
            (KVMRules.icrReenters, "6.12"),       // 0dd45f2cd8cc
            (KVMRules.icrNarrowed, "6.18"),
            (KVMRules.ipiv, "5.19"),              // KVM: VMX: enable IPI virtualization
            (KVMRules.hltWake, "6.12"),           // 1876dd69dfe8
            (KVMRules.invd, "6.18"),              // 6c3d4b917995
            (KVMRules.wrmsrnsImmediate, "6.18"),
            (KVMRules.nmChecksCR0TS, "6.15"),     // 3ef0df3f760f
            (KVMRules.tdx, "6.16"),
        ]
        #expect(expected.count == KVMRules.all.count)
        for (rule, first) in expected {
            #expect(rule.mainline.release == first && rule.stable.isEmpty, "\(rule.name)")
            #expect(rule.citation.contains("stable backports not checked"))
        }
    }

    /// Every declared rule on both sides of its boundary.
    @Test func everyBoundaryOnBothSides() {
        for rule in KVMRules.all {
            for (without, with) in rule.boundaryPairs {
                #expect(!rule.holds(in: without) && rule.holds(in: with), "\(rule.name)")
            }
        }
    }

    /// The fastpath share of the default (illustrative) mix, 6.11 to 6.12:
    /// the ICR write re-enters from 6.12 (0dd45f2cd8cc): 0.25 -> 0.30.
    @Test func icrFastpathFrom612() throws {
        let mix = try ExitMix(ExitMix.defaultSpec)
        #expect(abs(1 - (try k("6.11.11")).slowShare(mix) - 0.25) < 1e-12)
        #expect(abs(1 - (try k("6.12")).slowShare(mix) - 0.30) < 1e-12)
        // IPIv (5.19+): the ICR writes are no exits; of the 95 exits left, 25 re-enter.
        #expect(abs(1 - (try k("6.12", ipiv: true)).slowShare(mix) - 25.0 / 95) < 1e-12)
        let ipiv = try k("6.12", ipiv: true), plain = try k("6.12")
        #expect(!ipiv.exits(.ipi) && plain.exits(.ipi))
    }

    /// Conditions and the 6.18 changes, each on both sides.
    @Test func fastpathConditionsAndBoundaries() throws {
        let k511 = try k("5.18", ipiv: true), k519 = try k("5.19", ipiv: true)
        let k611 = try k("6.11"), k612 = try k("6.12"), k617 = try k("6.17.9"), k617off = try k("6.17.9", hvTimer: false)
        let k618 = try k("6.18"), k618off = try k("6.18", hvTimer: false)
        // TSC_DEADLINE: needs the hv timer before 6.18, not from 6.18.
        #expect(k617.reentersOnFastpath(.msrWrite) && !k617off.reentersOnFastpath(.msrWrite))
        #expect(k618off.reentersOnFastpath(.msrWrite))
        // ICR: fast IPIs from 6.12; others 6.12-6.17 only.
        #expect(!k611.reentersOnFastpath(.ipiOther) && k612.reentersOnFastpath(.ipiOther))
        #expect(k617.reentersOnFastpath(.ipiOther) && !k618.reentersOnFastpath(.ipiOther))
        #expect(k618.reentersOnFastpath(.ipi))
        // HLT with a wake pending from 6.12; a HLT that halts never.
        #expect(!k611.reentersOnFastpath(.hltWake) && k612.reentersOnFastpath(.hltWake))
        #expect(!k618.reentersOnFastpath(.hlt))
        // INVD and immediate WRMSRNS from 6.18.
        for r in [ExitReason.invd, .msrImmediate] {
            #expect(!k617.reentersOnFastpath(r) && k618.reentersOnFastpath(r), "\(r)")
        }
        // IPIv exists from 5.19: before it the switch changes nothing.
        #expect(k511.exits(.ipi) && !k519.exits(.ipi))
        #expect(k618.exits(.other) && !k618.reentersOnFastpath(.other))
    }

    /// An ICR write under IPIv is no exit in the plans: no round trip, no read.
    @Test func ipivSlotsAreNoExits() throws {
        let rules = try k("6.18", ipiv: true)
        let c = ExitPlanConfig(policy: .passthroughAtCPUID, guest: .legacy, msrCost: .cycles(100),
                               costs: ExitCostTable(userCycles: [.roundTrip: 900]), rules: rules, guestQuantum: 0,
                               writeInterval: 10, fpuSwap: false)
        let p = try ExitPlan(reasons: [.ipi, .hlt, .ipiOther], config: c)
        #expect(p.counts.slotsWithoutExit == 2 && p.counts.xfdReads == 1 && p.words[0] == 0 && p.words[2] == 0)
    }

    /// A mix reweighted to a fastpath share has that share under the rules,
    /// and keeps the proportions within each group.
    @Test func mixesWithAGivenFastpathShare() throws {
        let base = try ExitMix(ExitMix.defaultSpec), rules = try k("6.18")
        for s in [0.0, 0.3, 0.55, 1.0] {
            let m = ExitMix.withFastpathShare(s, like: base, rules: rules)
            #expect(abs(1 - rules.slowShare(m) - s) < 1e-9, "\(s)")
        }
        let m = ExitMix.withFastpathShare(0.5, like: base, rules: rules)
        #expect(abs(m.share(.msrWrite) / m.share(.preemptionTimer) - 1.5) < 0.001)  // 15:10 as in the default
    }

    /// `perf kvm stat report` text drives the mix: MSR_WRITE as TSC_DEADLINE,
    /// unknown reasons as `other`.
    @Test func perfKvmStatReportIsRead() throws {
        let path = Self.samples.appendingPathComponent("perf-kvm-stat-report.txt").path
        let mix = try ExitMix(path)
        #expect(mix.description == "extint:2000/hlt:2500/msr-write:3000/io:400/ept:1000/preempt:800/cpuid:100/other:200")
        #expect(mix.origin?.contains("PAUSE_INSTRUCTION") == true && mix.origin?.contains("MSR_WRITE counted as TSC_DEADLINE") == true)
        #expect(abs(1 - (try k("6.18")).slowShare(mix) - 0.38) < 1e-12)             // msr-write + preempt
        #expect(abs(1 - (try k("6.17", hvTimer: false)).slowShare(mix) - 0.08) < 1e-12)  // preempt only
    }

    /// A KVM_GET_STATS_FD snapshot drives the mix: named exit counters by
    /// reason, the unattributed rest as `other`, instant stats ignored.
    @Test func kvmStatsSnapshotIsRead() throws {
        let path = Self.samples.appendingPathComponent("kvm-stats-vcpu0.bin").path
        let mix = try ExitMix(path)
        #expect(mix.description == "extint:2000/hlt:2500/io:400/ept:300/other:4800")
        #expect(mix.origin?.contains("kvm-4242/vcpu-0") == true && mix.origin?.contains("lower bound") == true)
        #expect((try k("6.18")).slowShare(mix) == 1)
    }

    /// A file in neither format, a truncated snapshot, or a missing file is one clear error.
    @Test func badHistogramsAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("xfd-hist-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = dir.appendingPathComponent("notes.txt")
        try "no table here\n".write(to: text, atomically: true, encoding: .utf8)
        #expect(throws: BenchError.self) { try ExitMix(text.path) }
        let full = try Data(contentsOf: Self.samples.appendingPathComponent("kvm-stats-vcpu0.bin"))
        let cut = dir.appendingPathComponent("cut.bin")
        try full.prefix(200).write(to: cut)
        #expect(throws: BenchError.self) { try ExitMix(cut.path) }
        #expect(throws: BenchError.self) { try ExitMix(dir.appendingPathComponent("absent").path) }
    }

    /// The fleet mean divides by the total weight, not by 100.
    @Test func fleetAggregateDividesByTheTotalWeight() throws {
        let fleet = try FleetMix("legacy=1,linux=3")
        let v = XFDCostModel.fleetAggregate([.legacy: 10, .linuxIdle: 30], fleet: fleet)
        #expect(v == 25)  // (1 x 10 + 3 x 30) / 4; a division by 100 gives 1
    }

    /// The CPU share uses the TSC frequency given, not 1 GHz.
    @Test func cpuShareUsesTheTSCFrequency() {
        #expect(XFDCostModel.cpuShare(overheadTicks: 100, exitsPerSecond: 10_000, tscHz: 2.5e9) == 4e-4)
        #expect(XFDCostModel.cpuShare(overheadTicks: 100, exitsPerSecond: 10_000, tscHz: 1e9) == 1e-3)
    }

    /// The loop-fidelity reference comes from the reasons and the rules, not
    /// from a plan: a plan that loses its reads disagrees with it.
    @Test func fidelityReferenceIsIndependentOfThePlans() throws {
        let rules = try k("6.18")
        let reasons: [ExitReason] = [.hlt, .msrWrite, .io, .preemptionTimer, .ipi, .cpuid, .nm, .other]
        let costs = ExitCostTable(userCycles: [.roundTrip: 900, .handler(.nm): 250])
        let ref = RdmsrExitBenchmarks.fidelityAddsPerExit(reasons[...], cycles: 100, costs: costs, rules: rules)
        // Reads on hlt, io, cpuid, nm, other (5 x 100); the #NM slot becomes an exit (900 + 250).
        #expect(ref == Double(5 * 100 + 900 + 250) / 8)
        func plan(_ p: XFDPolicy) throws -> ExitPlan {
            try ExitPlan(reasons: reasons, config: ExitPlanConfig(policy: p, guest: .legacy, msrCost: .cycles(100), costs: costs,
                                                                   rules: rules, guestQuantum: 0, writeInterval: 10, fpuSwap: false))
        }
        let planned = Double(try plan(.passthroughAtCPUID).counts.injectedCycles - plan(.none).counts.injectedCycles) / 8
        #expect(planned == ref)
    }

    /// The plans are linear in the access cost: what the fleet sweep uses.
    @Test func plansAreLinearInTheAccessCost() throws {
        let reasons = try ExitMix(ExitMix.defaultSpec).sequence(count: 2_000, seed: 7)
        for guest in GuestKind.allCases {
            for pol in XFDPolicy.withXFD {
                func c(_ cyc: Int) -> ExitPlanConfig {
                    ExitPlanConfig(policy: pol, guest: guest, msrCost: .cycles(cyc), costs: ExitCostTable(), rules: try! k("6.18"),
                                   guestQuantum: 0, writeInterval: 10, fpuSwap: false)
                }
                let z = try ExitPlan(reasons: reasons, config: c(0)).counts
                let at = try ExitPlan(reasons: reasons, config: c(250)).counts
                #expect(at.injectedCycles == z.injectedCycles + 250 * (z.xfdReads + z.xfdErrReads + z.xfdErrWrites), "\(guest) \(pol)")
            }
        }
    }
}
