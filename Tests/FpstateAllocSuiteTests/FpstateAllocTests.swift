import BenchCore
import Foundation
import Testing
@testable import FpstateAllocSuite

/// Shared fixtures: the host, a timing kernel, Sapphire Rapids sizes.
enum Fixture {
    static let host = CPUDescription.host()
    static let kernel = TimingKernel(features: host.features)
    static let rules618 = LinuxXStateRules(kernel: LinuxKernelVersion(6, 18))
    static func spr(_ rules: LinuxXStateRules = rules618) throws -> FpstateSizes {
        try FpstateSizes(cpu: try #require(CPUCatalog.lookup("spr")).description, rules: rules)
    }
    static func simulator(_ alloc: StateAllocator, sizes: FpstateSizes) -> (FleetSimulator, CountingAllocator) {
        let counting = CountingAllocator(alloc)
        let copier = StateCopier(host: host, sizes: sizes, alignment: alloc.alignment)
        return (FleetSimulator(sizes: sizes, allocator: counting, copier: copier, kernel: kernel, floor: 0), counting)
    }
    /// Every allocator this host can run.
    static func allocators() -> [StateAllocator] {
        var list: [StateAllocator] = [MallocAllocator(), AlignedAllocator(), PageAllocator()]
        let topo = NumaTopology.read()
        if topo.available, let node = try? topo.resolve("auto"), let numa = try? NumaAllocator(node: node, topology: topo) {
            list.append(numa)
        }
        return list
    }
}

@Suite struct SizeModelTests {
    /// ceil(bytes / 4096): a buffer of whole pages takes no extra page.
    @Test func pagesRoundUpOnlyPartPages() {
        #expect(FpstateSizes.pages(0) == 0)
        #expect(FpstateSizes.pages(1) == 1)
        #expect(FpstateSizes.pages(4096) == 1)
        #expect(FpstateSizes.pages(4097) == 2)
        #expect(FpstateSizes.pages(8192) == 2)
        #expect(ResidentPages.model([4096, 8192, 10816]) == (1 + 2 + 3) * 4096)
    }

    @Test func sapphireRapidsBuffers() throws {
        let s = try Fixture.spr()
        #expect(s.compacted)
        #expect(s.dynamicMask == 1 << 18)
        #expect(s.defaultRegisterBytes == 2560)   // up to XTILECFG, compacted
        #expect(s.expandedRegisterBytes == 10752) // CPUID.(0xD,1).EBX of SPR
        #expect(s.defaultBufferBytes == 2624)
        #expect(s.expandedBufferBytes == 10816)
        #expect(FpstateSizes.pages(s.defaultBufferBytes) == 1)
        #expect(FpstateSizes.pages(s.expandedBufferBytes) == 3)
        #expect(s.createRegisterBytesUntil6_14 + 64 == 2880 && s.createRegisterBytesFrom6_15 + 64 == 2624)
        // 5.17-6.14 created the guest buffer with fpu_user_cfg.default_size (standard format).
        let old = try Fixture.spr(LinuxXStateRules(kernel: LinuxKernelVersion(5, 17)))
        #expect(old.defaultBufferBytes == 2880 && old.expandedBufferBytes == 10816)
        #expect(FpstateSizes.pages(old.defaultBufferBytes) == 1)
    }

    @Test func zen3HasNothingToExpand() throws {
        let s = try FpstateSizes(cpu: try #require(CPUCatalog.lookup("zen3")).description, rules: Fixture.rules618)
        #expect(!s.hasDynamicState)
        #expect(s.defaultBufferBytes == s.expandedBufferBytes)
        #expect(s.expandedRegisterBytes == 880)  // 840 + CET_U 16 + CET_S 24 (guest-only, 6.18)
    }

    @Test func modelNamesResolve() throws {
        #expect(try FpstateSizes.resolveModel("host", host: Fixture.host).origin == .live)
        #expect(try FpstateSizes.resolveModel("SPR", host: Fixture.host).id == "spr")
        // One --cpu-model grammar: a list models its first CPU.
        #expect(try FpstateSizes.resolveModel("zen3,spr", host: Fixture.host).id == "zen3")
        #expect(throws: BenchError.self) { try FpstateSizes.resolveModel("spr,pentium", host: Fixture.host) }
        #expect(throws: BenchError.self) { try AllocatorKind.parseList("malloc,slab") }
        #expect(try AllocatorKind.parseList(" mmap , malloc,mmap") == [.mmap, .malloc])
    }
}

@Suite struct FleetPlanTests {
    @Test func countsAreExactAndAdoptersHaveAMX() {
        for seed: UInt64 in [1, 2, 99] {
            let plan = FleetPlan(vcpus: 1000, cpuidPercent: 50, adoptionPercent: 10, seed: seed)
            #expect(plan.cpuidAMX.filter { $0 }.count == 500)
            #expect(plan.adopts.filter { $0 }.count == 100)
            #expect(zip(plan.adopts, plan.cpuidAMX).allSatisfy { !$0 || $1 })
        }
        #expect(FleetPlan(vcpus: 64, adoptionPercent: 10, seed: 5) == FleetPlan(vcpus: 64, adoptionPercent: 10, seed: 5))
        #expect(FleetPlan(vcpus: 64, adoptionPercent: 50, seed: 5) != FleetPlan(vcpus: 64, adoptionPercent: 50, seed: 6))
        #expect(FleetPlan.share(1024, percent: 10) == 102)
    }

    /// A share rounds to the nearest vCPU, not down: the fleets `summary`
    /// reads (16 vCPUs at 10 %: 2 adopters, 12.5 %) depend on it.
    @Test func sharesRoundToTheNearestVCPU() {
        let cases: [(n: Int, percent: Double, count: Int)] = [
            (16, 10, 2), (16, 50, 8), (10, 15, 2), (1, 50, 1), (1, 49, 0), (3, 50, 2), (1024, 10, 102), (7, 0, 0), (7, 100, 7),
        ]
        for c in cases {
            #expect(FleetPlan.share(c.n, percent: c.percent) == c.count, "\(c.n) vCPUs at \(c.percent) %")
            let plan = FleetPlan(vcpus: c.n, cpuidPercent: 100, adoptionPercent: c.percent, seed: 3)
            #expect(plan.adopts.filter { $0 }.count == c.count, "\(c.n) vCPUs at \(c.percent) %")
        }
    }

    /// Exposure and adoption are weighted by their own percentages: a plan
    /// whose two shares differ has different counts, and each policy ends
    /// with its own number of expanded buffers.
    @Test func exposureAndAdoptionKeepTheirOwnShares() throws {
        let s = try Fixture.spr()
        let plan = FleetPlan(vcpus: 16, cpuidPercent: 50, adoptionPercent: 10, seed: 1)
        #expect(plan.cpuidAMX.filter { $0 }.count == 8 && plan.adopts.filter { $0 }.count == 2)
        let counts = Policy.allCases.map { FleetSimulator.expandedCount(plan, policy: $0, sizes: s) }
        #expect(counts == [16, 8, 2])
    }
}

@Suite(.serialized) struct MemoryTests {
    /// Requested and resident bytes are exact, equal the model, and do not
    /// depend on which vCPUs the seed picks.
    @Test func memoryIsExactAndDeterministic() throws {
        let s = try Fixture.spr()
        let (sim, counting) = Fixture.simulator(PageAllocator(), sizes: s)
        let n = 64
        let expected: [Policy: (requested: Int, resident: Int)] = [
            .eagerAtCreate: (n * 10816, n * 12288),
            .expandAtCpuid: (n * 10816, n * 12288),
            .lazyOnTrap: (32 * 10816 + 32 * 2624, 32 * 12288 + 32 * 4096),
        ]
        for policy in Policy.allCases {
            for seed: UInt64 in [1, 7] {
                let plan = FleetPlan(vcpus: n, cpuidPercent: 100, adoptionPercent: 50, seed: seed)
                let o = try sim.run(plan, policy: policy)
                #expect(o.memory.requested == expected[policy]!.requested, "\(policy)")
                #expect(o.memory.requested == sim.predictedRequested(plan, policy: policy))
                #expect(o.memory.residentModel == expected[policy]!.resident, "\(policy)")
                #expect(o.memory.residentMeasured == expected[policy]!.resident, "\(policy): mincore")
            }
        }
        #expect(counting.live == 0)
    }

    @Test func expandAtCpuidGrowsOnlyVCPUsWithAMX() throws {
        let s = try Fixture.spr()
        let (sim, _) = Fixture.simulator(PageAllocator(), sizes: s)
        let plan = FleetPlan(vcpus: 10, cpuidPercent: 30, adoptionPercent: 10, seed: 3)
        let o = try sim.run(plan, policy: .expandAtCpuid)
        #expect(o.expandedVCPUs == 3)
        #expect(o.memory.requested == 3 * 10816 + 7 * 2624)
        #expect(o.setCpuid.perOp.count == 3 && o.firstUse.perOp.isEmpty)
    }

    @Test func heapAllocatorsHaveNoPerBufferResidency() throws {
        let (sim, _) = Fixture.simulator(MallocAllocator(), sizes: try Fixture.spr())
        let o = try sim.run(FleetPlan(vcpus: 4, adoptionPercent: 50, seed: 1), policy: .lazyOnTrap)
        #expect(o.memory.requested == 2 * 10816 + 2 * 2624)
        #expect(o.memory.residentMeasured == nil && o.memory.residentModel == nil)
    }
}

@Suite(.serialized) struct LeakTests {
    @Test func everyPolicyFreesEveryBuffer() throws {
        let s = try Fixture.spr()
        for alloc in Fixture.allocators() {
            for policy in Policy.allCases {
                let (sim, counting) = Fixture.simulator(alloc, sizes: s)
                let plan = FleetPlan(vcpus: 40, cpuidPercent: 100, adoptionPercent: 50, seed: 11)
                _ = try sim.run(plan, policy: policy)
                _ = try sim.run(plan, policy: policy)
                let expansions = FleetSimulator.expandedCount(plan, policy: policy, sizes: s)
                let perRun = 40 + (policy == .eagerAtCreate ? 0 : expansions)
                #expect(counting.allocations == 2 * perRun, "\(alloc.name) \(policy)")
                #expect(counting.frees == counting.allocations, "\(alloc.name) \(policy)")
                #expect(counting.live == 0 && counting.liveRequestedBytes == 0 && counting.liveReservedBytes == 0)
            }
        }
    }

    @Test(arguments: [5, 40, 45, 79])
    func injectedAllocationLimitLeaksNothing(limit: Int) throws {
        // 40 creations, then 40 expansions: limits hit creation and both expansion phases.
        let s = try Fixture.spr()
        for policy in [Policy.expandAtCpuid, .lazyOnTrap] {
            let (sim, counting) = Fixture.simulator(PageAllocator(), sizes: s)
            counting.allocationLimit = limit
            let plan = FleetPlan(vcpus: 40, adoptionPercent: 100, seed: 1)
            #expect(throws: FleetError.self) { try sim.run(plan, policy: policy) }
            #expect(counting.failures == 1)
            #expect(counting.live == 0, "\(policy) limit \(limit)")
            #expect(counting.frees == counting.allocations)
        }
    }

    @Test func injectedByteLimitGivesAClearError() throws {
        let s = try Fixture.spr()
        let (sim, counting) = Fixture.simulator(MallocAllocator(), sizes: s)
        counting.liveByteLimit = 10 * s.expandedBufferBytes
        do {
            _ = try sim.run(FleetPlan(vcpus: 20, adoptionPercent: 0, seed: 1), policy: .eagerAtCreate)
            Issue.record("expected a failure")
        } catch let e as FleetError {
            #expect(e.phase == "create" && e.vcpu == 10 && e.bytes == 10816)
            #expect(e.description.contains("every buffer was freed"))
        }
        #expect(counting.live == 0)
    }

    @Test func impossibleNumaNodeIsRejectedBeforeAllocating() throws {
        let topo = NumaTopology.read()
        #expect(throws: BenchError.self) { try NumaAllocator(node: 4095, topology: topo) }
        #expect(throws: BenchError.self) { try topo.resolve("4095") }
        #expect(throws: BenchError.self) { try topo.resolve("-1") }
        #expect(throws: BenchError.self) { try topo.resolve("zero") }
        if topo.available { #expect(topo.memoryNodes.contains(try topo.resolve("auto"))) }
    }
}

@Suite(.serialized) struct StateCopyTests {
    /// Expansion of a buffer not in use (KVM_SET_CPUID2): no register work,
    /// a zeroed new buffer holding only XCOMP_BV, the old one freed.
    @Test func expansionNotInUseDoesNoRegisterWork() throws {
        let s = try Fixture.spr()
        for alloc in Fixture.allocators() {
            let counting = CountingAllocator(alloc)
            let copier = StateCopier(host: Fixture.host, sizes: s, alignment: alloc.alignment)
            let old = try #require(counting.allocate(s.defaultBufferBytes))
            copier.save(into: old)
            let bv: UInt64 = 1 << 63 | s.fullMask
            let r = try #require(expandState(old, to: s.expandedBufferBytes, allocator: counting, copier: copier,
                                             inUse: false, xcompBV: bv))
            #expect(!r.restored, "\(alloc.name)")
            let n = UnsafeRawBufferPointer(start: r.block.registers, count: s.expandedRegisterBytes)
            #expect(n.load(fromByteOffset: 520, as: UInt64.self) == bv)
            #expect(n.enumerated().allSatisfy { $0.offset >= 520 && $0.offset < 528 || $0.element == 0 }, "\(alloc.name): nothing copied")
            #expect(counting.frees == 1 && counting.live == 1)
            counting.release(r.block)
        }
    }

    /// Whether this host's copier saves with XSAVE into page-aligned
    /// buffers (not the memcpy fallback of a host without usable XSAVE or
    /// whose default image is larger than the modelled SPR default area).
    static func hostCopiesWithXSAVE() -> Bool {
        guard let s = try? Fixture.spr() else { return false }
        let copier = StateCopier(host: Fixture.host, sizes: s, alignment: CountingAllocator(PageAllocator()).alignment)
        if case .xsave = copier.mode { return true }
        return false
    }

    /// Expansion of a buffer in use restores the registers from the old
    /// buffer (XRSTOR) and copies nothing into the new one.
    @Test(.enabled(if: StateCopyTests.hostCopiesWithXSAVE(), "the copier cannot XSAVE here (no usable XSAVE, or this host's image exceeds the modelled SPR default area): it falls back to memcpy"))
    func expansionInUseRestoresFromTheOldBuffer() throws {
        let s = try Fixture.spr()
        let counting = CountingAllocator(PageAllocator())
        let copier = StateCopier(host: Fixture.host, sizes: s, alignment: counting.alignment)
        guard case .xsave = copier.mode else { Issue.record("the enabling condition said XSAVE"); return }
        let old = try #require(counting.allocate(s.defaultBufferBytes))
        copier.save(into: old)
        let r = try #require(expandState(old, to: s.expandedBufferBytes, allocator: counting, copier: copier,
                                         inUse: true, xcompBV: 0))
        #expect(r.restored)
        #expect(UnsafeRawBufferPointer(start: r.block.registers, count: s.expandedRegisterBytes).allSatisfy { $0 == 0 })
        counting.release(r.block)
        #expect(counting.live == 0)
    }

    /// In a fleet, only the first-use trap (buffer in use) restores registers.
    @Test func onlyTheTrapPathRestoresRegisters() throws {
        let s = try Fixture.spr()
        let plan = FleetPlan(vcpus: 8, cpuidPercent: 100, adoptionPercent: 50, seed: 2)
        let (sim, _) = Fixture.simulator(PageAllocator(), sizes: s)
        let atCpuid = try sim.run(plan, policy: .expandAtCpuid)
        #expect(atCpuid.restoresAtSetCpuid == 0 && atCpuid.setCpuid.perOp.count == 8)
        let lazy = try sim.run(plan, policy: .lazyOnTrap)
        if case .xsave = sim.copier.mode { #expect(lazy.restoresAtTrap == 4) } else { #expect(lazy.restoresAtTrap == 0) }
    }

    @Test func mallocAlignmentFallsBackToMemcpy() throws {
        let c = StateCopier(host: Fixture.host, sizes: try Fixture.spr(), alignment: 16)
        guard case .memcpy(let why) = c.mode else { Issue.record("expected memcpy"); return }
        #expect(why.contains("alignment"))
    }
}

@Suite(.serialized) struct SuiteRunTests {
    func context(_ params: [String: String]) -> SuiteContext {
        SuiteContext(host: Fixture.host, tsc: TSCFrequency.determine(cpu: Fixture.host, calibrationSeconds: 0.01),
                     kernel: Fixture.kernel, ticksPerCoreCycle: nil, emptyRegionTicks: 0, quick: true, seed: 1,
                     repetition: 1, progress: Progress(quiet: true), parameters: params,
                     declared: FpstateAllocBenchmarks().parameters)
    }

    @Test func smallRunHasNoErrorsAndFreesEverything() throws {
        let r = try FpstateAllocBenchmarks().run(context(["vcpus": "1,8", "adoption": "0,50", "latency-vcpus": "8"]))
        #expect(!r.rows.contains { $0.status == .error })
        #expect(r.rows.filter { $0.metric == "unfreed_buffers" }.allSatisfy { $0.value == 0 })
        // Timed rows come from this machine (directly or through a
        // stand-in); a model row times nothing, so it has no samples.
        for row in r.rows {
            let name = "\(row.benchmark)/\(row.metric)"
            if row.summary != nil { #expect(row.source == .measured || row.source == .proxy, "\(name)") }
            if row.source == .model { #expect(row.summary == nil && row.samples.isEmpty, "\(name)") }
        }
        #expect(r.rows.filter { $0.metric == "resident_bytes_model" }.allSatisfy { $0.source == .model })
        #expect(r.rows.contains { $0.source == .model } && r.rows.contains { $0.summary != nil })
        let resident = r.rows.first { $0.benchmark == "memory" && $0.metric == "resident_bytes"
            && $0.params["policy"] == "lazy-on-trap" && $0.params["vcpus"] == "8" && $0.params["adoption"] == "50" }
        #expect(resident?.value == Double(4 * 12288 + 4 * 4096))
        #expect(resident?.source == .proxy && resident?.gate == .exact)
        #expect(!r.highlights.isEmpty)
    }

    @Test(arguments: [["node": "4095"], ["vcpus": "0"], ["adoption": "50", "cpuid-amx": "10"],
                      ["allocators": "slab"], ["cpu-model": "pentium"], ["latency-vcpus": "x"]])
    func badInputIsOneClearError(params: [String: String]) throws {
        do {
            _ = try FpstateAllocBenchmarks().run(context(params))
            Issue.record("expected bad input for \(params)")
        } catch let e as BenchError {
            guard case .badInput(let m) = e else { Issue.record("\(e)"); return }
            #expect(!m.contains("\n") && !m.isEmpty)
        }
    }
}
