import BenchCore
import Foundation
import Testing
@testable import RdmsrExitSuite

/// Rows of the suite: sources, dependencies, exact model values and the
/// checks.  Nothing here asserts a duration: timed runs are small and only
/// their structure (and an injected fault far beyond any noise) is checked.
@Suite(.serialized) struct RdmsrExitRowTests {
    static func context(_ params: [String: String], quick: Bool = true) -> SuiteContext {
        let host = CPUDescription.host()
        return SuiteContext(host: host, tsc: TSCFrequency(hz: 2e9, method: .calibrated, calibratedHz: 2e9),
                            kernel: TimingKernel(features: host.features), ticksPerCoreCycle: 1, emptyRegionTicks: 0,
                            quick: quick, seed: 1, repetition: 1, progress: Progress(quiet: true),
                            parameters: params, declared: RdmsrExitBenchmarks().parameters)
    }

    static let small = ["samples": "5", "exits": "64", "rdmsr-cost": "200,proxy-rdpid", "exit-rates": "1000",
                        "break-even-round-trips": "950", "kernel": "6.18"]

    @Test func everyRowHasTheSourceItsKindDeclares() throws {
        let result = try RdmsrExitBenchmarks().run(Self.context(Self.small))
        let modelSource: FigureSource = .input  // rdmsr-cost is set
        var kinds = Set<String>()
        for row in result.rows {
            let kind = RdmsrExitRowSources.kind(row)
            kinds.insert(kind)
            let expected = RdmsrExitRowSources.expected(row, modelSource: modelSource)
            #expect(expected != nil, "row kind \(kind) is not in the source table")
            #expect(row.source == expected, "\(kind) \(row.params): \(row.source) but the table says \(String(describing: expected))")
            // Timed figures depend on the machine; untimed ones on the kernel version named (given here: none).
            if RdmsrExitRowSources.table[kind].map({ if case .model = $0 { return true } else { return false } }) == true {
                #expect(row.depends == .none, "\(kind) \(row.params)")
                #expect(row.params["kernel"] == "6.18" || kind == "cost-table/cycles", "\(kind) names no kernel")
            }
            if row.source == .simulated || row.source == .measured { #expect(row.depends == .machine, "\(kind) \(row.params)") }
        }
        for kind in ["exit-loop/ticks_per_exit", "overhead/overhead_ticks", "loop-fidelity/recovered_ticks",
                     "break-even@formula/writes_per_1k_exits", "break-even@loop/writes_per_1k_exits",
                     "break-even@loop-check/always_minus_read_ticks", "plan/injected_overhead_cycles", "fleet/injected_overhead_cycles",
                     "cost-table/cycles", "plan/fastpath_share"] {
            #expect(kinds.contains(kind), "no \(kind) row")
        }
        // Timed rows hold the median of their rounds.
        for row in result.rows where row.benchmark == "exit-loop" && row.status == .ok {
            #expect(row.value == row.summary?.median)
            #expect(row.source == (row.params["rdmsr"] == "proxy-rdpid" ? .proxy : .simulated))
        }
        // TDX rows exist for 6.16+ and are skipped before.
        #expect(result.rows.contains { $0.benchmark == "plan" && $0.params["policy"] == "tdx-xtile" && $0.status == .ok })
        var old = Self.small; old["kernel"] = "6.11"; old["rdmsr-cost"] = "100"
        let r611 = try RdmsrExitBenchmarks().run(Self.context(old))
        #expect(r611.rows.filter { $0.params["policy"] == "tdx-xtile" }.allSatisfy { $0.status == .skipped })
        #expect(r611.rows.first { $0.metric == "fastpath_share" }?.value.map { abs($0 - 0.25) < 1e-12 } == true)
    }

    @Test func runningKernelMakesModelRowsKernelDependent() throws {
        var p = Self.small; p.removeValue(forKey: "kernel"); p["rdmsr-cost"] = "100"
        let r = try RdmsrExitBenchmarks().run(Self.context(p))
        let plan = r.rows.filter { $0.benchmark == "plan" || $0.params["from"] == "formula" }
        #expect(!plan.isEmpty && plan.allSatisfy { $0.depends == .kernel })
        #expect(throws: BenchError.self) { try RdmsrExitBenchmarks().run(Self.context(["kernel": "5.16"])) }
        #expect(throws: BenchError.self) { try RdmsrExitBenchmarks().run(Self.context(["kernel": "latest"])) }
    }

    @Test func breakEvenRowsAreExact() {
        let row = RdmsrExitBenchmarks.breakEvenFormulaRow("rdmsr-exit", rdmsr: 100, roundTrip: 950, handler: 400, slowShare: 0.7,
                                                          kernel: "6.18", source: .model, depends: .none)
        #expect(row.value.map { abs($0 - 1_000.0 * 100 * 0.7 / 1_350) < 1e-9 } == true)  // 51.85 writes per 1k exits
        let loop = RdmsrExitBenchmarks.loopBreakEvenRows("rdmsr-exit", ["from": "loop"], read: 10, trapPerExit: 5, exits: 1_000,
                                                         writes: 10, source: .simulated)
        #expect(loop.map(\.metric) == ["trap_ticks_per_write", "read_ticks_per_exit", "writes_per_1k_exits"])
        #expect(loop.map(\.value) == [500, 10, 20])
    }

    @Test func fidelityCheckPassesOnAgreementAndFailsOnAFault() {
        let ok = RdmsrExitBenchmarks.fidelityRows("rdmsr-exit", rdmsr: 100, recovered: 43, reference: 43, addsPerExit: 70,
                                                  fault: 0, migrated: 0)
        #expect(ok[0].status == .ok && ok[0].metric == "recovered_ticks")
        // A lost access (0) and a doubled one (2x) are far outside.
        for recovered in [0.0, 86.0, 43 * 1.5] {
            let bad = RdmsrExitBenchmarks.fidelityRows("rdmsr-exit", rdmsr: 100, recovered: recovered, reference: 43,
                                                       addsPerExit: 70, fault: 0, migrated: 0)
            #expect(bad[0].status == .failed, "recovered \(recovered)")
            #expect(bad[0].note.contains("OUTSIDE"))
        }
        // The tolerance does not collapse: 15 % + 3 ticks.
        let edge = RdmsrExitBenchmarks.fidelityRows("rdmsr-exit", rdmsr: 100, recovered: 43 * 1.14 + 2.9, reference: 43,
                                                    addsPerExit: 70, fault: 0, migrated: 0)
        #expect(edge[0].status == .ok)
    }

    @Test func injectedFaultFailsTheFidelityCheckInARealRun() throws {
        setenv(SlowdownKnob.variable, "rdmsr-exit/loop-fidelity=3", 1)
        defer { unsetenv(SlowdownKnob.variable) }
        var p = Self.small; p["rdmsr-cost"] = "200"
        let r = try RdmsrExitBenchmarks().run(Self.context(p))
        let check = r.rows.first { $0.benchmark == "loop-fidelity" && $0.metric == "recovered_ticks" }
        #expect(check?.status == .failed)  // the loop runs 4x the planned RDMSR work
        #expect(check?.note.contains("FAULT INJECTED") == true)
        #expect(r.highlights.contains { $0.contains("CHECK FAILED") })
    }

    @Test func breakEvenCheckRowFailsWhenTheLoopDisagrees() {
        let ok = RdmsrExitBenchmarks.breakEvenCheckRow("rdmsr-exit", interval: 4, measured: 120, plannedCycles: 200, trapCycles: 400,
                                                       ticksPerCycle: 0.6, kernel: "6.18")
        #expect(ok.status == .ok)
        let bad = RdmsrExitBenchmarks.breakEvenCheckRow("rdmsr-exit", interval: 4, measured: -120, plannedCycles: 200, trapCycles: 400,
                                                        ticksPerCycle: 0.6, kernel: "6.18")
        #expect(bad.status == .failed)
    }

    static let canSwap: Bool = { if case .success = FPUSwapAreas.make(for: CPUDescription.host()) { return true } else { return false } }()

    @Test(.enabled(if: canSwap, "the host has no XSAVE (or OSXSAVE): there is no FPU swap to run"))
    func exitLoopExecutesTheFPUSwap() throws {
        let areas = try FPUSwapAreas.make(for: CPUDescription.host()).get()
        // XMM15's slot in the legacy area: XSAVE of the guest's registers overwrites it.
        let slot = areas.guest.base.advanced(by: 160 + 15 * 16).assumingMemoryBound(to: UInt8.self)
        for i in 0..<16 { slot[i] = 0xA5 }
        let costs = ExitCostTable.zero
        let plan = try ExitPlan(reasons: Array(repeating: .io, count: 4), config: ExitPlanConfig(
            policy: .none, guest: .legacy, msrCost: .cycles(0), costs: costs, rules: XFDPolicyStateTests.k618,
            guestQuantum: 0, writeInterval: 1, fpuSwap: true))
        #expect(plan.counts.userSpaceExits == 4)
        let loop = ExitLoop(plan: plan, proxy: nil, areas: areas)
        loop.run(4)
        #expect((0..<16).contains { slot[$0] != 0xA5 }, "the swap's XSAVE never ran")
    }

    @Test func pairedMeasurementAccountsForEveryRoundAndTilesTheWindows() throws {
        let host = CPUDescription.host()
        let inner = 8, samples = 6
        let config = ExitPlanConfig(policy: .none, guest: .legacy, msrCost: .cycles(0), costs: .zero,
                                    rules: XFDPolicyStateTests.k618, guestQuantum: 0, writeInterval: 1, fpuSwap: false)
        let count = PairedMeasurement.sequenceLength(inner: inner, samples: samples)
        let plan = try ExitPlan(reasons: Array(repeating: .io, count: count), config: config)
        let loops = [ExitLoop(plan: plan, proxy: nil, areas: nil), ExitLoop(plan: plan, proxy: nil, areas: nil)]
        let r = PairedMeasurement.run(loops, inner: inner, samples: samples, kernel: TimingKernel(features: host.features))
        #expect(r.perLoop.count == 2 && r.perLoop[0].count == r.perLoop[1].count)
        // Every planned round is clean, set aside or dropped.
        #expect(r.perLoop[0].count + r.disturbedRounds + r.roundsDropped == samples)
        // The windows tile the sequence: the last round ran the last window.
        #expect(loops.allSatisfy { $0.offset == (samples - 1) * inner })
    }

    @Test func measuredCostsBecomeTheDefaultWithTheModelKept() {
        let t = ExitCostTable(measured: [.roundTrip: MeasuredExitCost(cycles: 1_234, origin: "kvm suite, CPUID exit"),
                                         .handler(.io): MeasuredExitCost(cycles: .nan, origin: "broken")])
        #expect(t.roundTrip == 1_234 && t[.io] == 1_650)
        let rows = t.rows(suite: "rdmsr-exit").filter { $0.params["item"] == "round-trip" }
        #expect(rows.map { $0.params["basis"] } == ["model", "measured"])
        #expect(rows.map(\.source) == [.model, .measured] && rows.map(\.depends) == [.none, .machine])
        #expect(rows[0].value == 950 && rows[1].value == 1_234 && rows[1].note.contains("used"))
        let user = ExitCostTable(measured: [.roundTrip: MeasuredExitCost(cycles: 1_234, origin: "kvm")], userCycles: [.roundTrip: 700])
        #expect(user.roundTrip == 700 && user.entry(.roundTrip)?.source == .input)
    }
}

@Suite struct ExitCostOriginTests {
    @Test func measuredCostsAreNamedAsMeasured() {
        let measured = ExitCostTable(measured: [.roundTrip: MeasuredExitCost(cycles: 1200, origin: "kvm")])
        let hw = KVMPlatform(modules: ["kvm_intel"], underHypervisor: false)
        let line = RdmsrExitBenchmarks.costOrigin(measured, platform: hw)
        #expect(line.contains("measured through /dev/kvm: round-trip"))
        #expect(!line.contains("/dev/kvm here"))
        #expect(measured.entry(.roundTrip)?.source == .measured && measured.entry(.roundTrip)?.cycles == 1200)
    }

    @Test func aSoftwarePlatformKeepsTheModelAndSaysWhy() {
        let pvm = KVMPlatform(modules: ["kvm_pvm"], underHypervisor: true)
        let line = RdmsrExitBenchmarks.costOrigin(ExitCostTable(), platform: pvm)
        #expect(line.contains("model constants: round-trip"))
        #expect(line.contains("kvm_pvm: software virtualisation"))
    }
}
