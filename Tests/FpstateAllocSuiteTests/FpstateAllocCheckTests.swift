import BenchCore
import Foundation
import Testing
@testable import FpstateAllocSuite

/// An mmap allocator whose last page of every buffer is dropped again
/// after the touch (MADV_DONTNEED): resident memory below the page model
/// (the state saves write only the first page).
final class HalfResidentAllocator: StateAllocator {
    let inner = PageAllocator()
    var name: String { inner.name }
    var source: FigureSource { inner.source }
    var alignment: Int { inner.alignment }
    var pageGranular: Bool { true }
    func allocate(_ bytes: Int) -> StateBlock? {
        guard let b = inner.allocate(bytes) else { return nil }
        _ = madvise(b.base + (b.reserved - FpstateSizes.pageBytes), FpstateSizes.pageBytes, MADV_DONTNEED)
        return b
    }
    func release(_ block: StateBlock) -> Bool { inner.release(block) }
}

/// The suite's checks, each shown passing and failing with an injected fault.
@Suite(.serialized) struct FpstateAllocCheckTests {
    func context(_ params: [String: String] = [:]) -> SuiteContext {
        SuiteContext(host: Fixture.host, tsc: TSCFrequency.determine(cpu: Fixture.host, calibrationSeconds: 0.01),
                     kernel: Fixture.kernel, ticksPerCoreCycle: nil, emptyRegionTicks: 0, quick: true, seed: 1,
                     repetition: 1, progress: Progress(quiet: true), parameters: params,
                     declared: FpstateAllocBenchmarks().parameters)
    }

    /// munmap's result counts: a refused release leaves the buffer live and
    /// fails the `unfreed_buffers` check.
    @Test func refusedMunmapFailsTheLeakCheck() throws {
        let counting = CountingAllocator(PageAllocator())
        let b = try #require(counting.allocate(4096))
        // An unaligned address: munmap refuses it (EINVAL).
        let bad = StateBlock(base: b.base + 1, requested: b.requested, reserved: b.reserved)
        #expect(counting.release(bad) == false)
        let rows = LeakCount.rows("fpstate-alloc", "lifecycle", [:], counting)
        let leak = try #require(rows.first { $0.metric == "unfreed_buffers" })
        #expect(leak.value == 1 && leak.status == .failed)
        #expect(counting.release(b))
        let clean = try #require(LeakCount.rows("fpstate-alloc", "lifecycle", [:], counting).first { $0.metric == "unfreed_buffers" })
        #expect(clean.value == 0 && clean.status == .ok)
    }

    /// mincore's count is checked against the page model: pages that are not
    /// resident make the check fail.
    @Test func residentMemoryBelowTheModelFailsTheCheck() throws {
        let s = try Fixture.spr()
        let (sim, _) = Fixture.simulator(HalfResidentAllocator(), sizes: s)
        let plan = FleetPlan(vcpus: 4, cpuidPercent: 100, adoptionPercent: 0, seed: 1)
        let o = try sim.run(plan, policy: .expandAtCpuid)
        let model = try #require(o.memory.residentModel)
        #expect(model == 4 * 12288 && o.memory.residentMeasured == model - 4 * 4096)
        let rows = FpstateAllocBenchmarks().residentRows(["vcpus": "4"], o.memory, vcpus: 4, depends: .none)
        let check = try #require(rows.first { $0.metric == "resident_bytes" })
        #expect(check.status == .failed && check.source == .proxy)
        // A fully touched fleet passes.
        let (good, _) = Fixture.simulator(PageAllocator(), sizes: s)
        let g = try good.run(plan, policy: .expandAtCpuid)
        let ok = FpstateAllocBenchmarks().residentRows(["vcpus": "4"], g.memory, vcpus: 4, depends: .none)
        #expect(ok.first { $0.metric == "resident_bytes" }?.status == .ok)
    }

    /// A failed mincore is an error row with the reason, never the model.
    @Test func mincoreFailureIsAnError() throws {
        let b = try #require(PageAllocator().allocate(4096))
        defer { _ = PageAllocator().release(b) }
        let bad = StateBlock(base: b.base + 1, requested: b.requested, reserved: b.reserved)
        guard case .failure(let e) = ResidentPages.measure([bad]) else { Issue.record("mincore accepted an unaligned address"); return }
        let memory = FleetMemory(requested: 4096, residentMeasured: nil, residentModel: 4096, residentError: e.description)
        let rows = FpstateAllocBenchmarks().residentRows(["vcpus": "1"], memory, vcpus: 1, depends: .none)
        let row = try #require(rows.first { $0.metric == "resident_bytes" })
        #expect(row.status == .error && row.value == nil && row.note.contains("mincore"))
    }

    /// With an allocator that refuses the expanded size, eager and
    /// expand-at-cpuid fail before the guest runs; lazy fails at first use.
    @Test func failureModePerPolicy() throws {
        let cfg = try FpstateAllocConfig(context(["kernel": "6.18"]))
        let rows = FailureMode.rows(suite: "fpstate-alloc", ctx: context(), cfg: cfg, params: [:])
        func value(_ policy: Policy) -> Double? {
            rows.first { $0.params["policy"] == policy.rawValue && $0.metric == "fails_before_guest_runs" }?.value
        }
        #expect(value(.eagerAtCreate) == 1 && value(.expandAtCpuid) == 1 && value(.lazyOnTrap) == 0)
        #expect(rows.first { $0.params["policy"] == "lazy-on-trap" && $0.metric == "fails_before_guest_runs" }?
            .note.contains("#NM") == true)
        #expect(rows.filter { $0.metric == "unfreed_buffers" }.allSatisfy { $0.status == .ok && $0.value == 0 })
        #expect(rows.allSatisfy { $0.depends == .none })  // recorded CPU, kernel given
    }

    /// The lifecycle's rounds follow the kernel's plan: every cell takes one
    /// fleet's events per round, merged in round order.
    @Test func lifecycleTakesOneFleetPerCellAndRound() throws {
        let ctx = context(["latency-vcpus": "8"])
        let cfg = try FpstateAllocConfig(ctx)
        let suite = FpstateAllocBenchmarks()
        let lifecycle = LifecycleBenchmark(suite: suite.name, ctx: ctx, cfg: cfg, allocators: try suite.makeAllocators(cfg))
        _ = try lifecycle.run()
        let plan = lifecycle.roundPlan
        #expect(plan.rounds == cfg.rounds && (0..<plan.rounds).allSatisfy { plan.samples(inRound: $0) == 8 })
        #expect(!lifecycle.cells.isEmpty)
        for c in lifecycle.cells {
            #expect(c.error == nil)
            for m in [c.latency.create, c.latency.destroy] {
                #expect(m.rounds.count == m.perOp.count && m.rounds == m.rounds.sorted())
                #expect(Set(m.rounds).isSubset(of: Set(0..<plan.rounds)))
                #expect(m.perOp.count + m.migrationsDropped == plan.samples, "\(c.label) \(c.policy)")
            }
        }
    }

    /// The cold heap is made for every heap allocator (page-granular ones
    /// are cold in `lifecycle` already), one fleet per allocator and round,
    /// and frees every buffer.
    @Test func coldHeapTakesOneFleetPerHeapAllocatorAndRound() throws {
        let ctx = context(["latency-vcpus": "8"])
        let cfg = try FpstateAllocConfig(ctx)
        let suite = FpstateAllocBenchmarks()
        #expect(ColdHeap.mallocTrim != nil)  // glibc
        let allocators = try suite.makeAllocators(cfg)
        let rows = try ColdHeap.rows(suite: suite.name, ctx: ctx, cfg: cfg, allocators: allocators) { suite.params(cfg, $0) }
        let timed = rows.filter { $0.metric == "create_ticks" }
        let heaps = allocators.filter { $0.allocator.map { !$0.pageGranular } ?? false }.map(\.label)
        #expect(timed.compactMap { $0.params["allocator"] } == heaps && heaps == ["malloc", "posix-memalign"])
        for r in timed {
            #expect(r.status == .ok && r.benchmark == "cold-heap" && r.unit == "ticks")
            #expect((r.summary?.count ?? 0) + (r.migrationsDropped ?? 0) == cfg.rounds * 8)
        }
        #expect(rows.filter { $0.metric == "allocations" }.allSatisfy { $0.value == Double(cfg.rounds * 8) })
        #expect(rows.filter { $0.metric == "unfreed_buffers" }.count == 2)
        #expect(rows.filter { $0.metric == "unfreed_buffers" }.allSatisfy { $0.status == .ok && $0.value == 0 })
    }

    /// Every row of a small run carries the source its kind declares, and
    /// rows depend on what chose their inputs.
    @Test func smallRunMatchesTheSourceTable() throws {
        for params in [["kernel": "5.17"], ["cpu-model": "host"], [:]] {
            var p = ["vcpus": "1,8", "adoption": "0,50", "latency-vcpus": "8"]
            p.merge(params) { _, b in b }
            let rows = try FpstateAllocBenchmarks().run(context(p)).rows
            for r in rows {
                let expected = FpstateAllocRowSources.expected(r)
                #expect(expected != nil, "undeclared row kind \(FpstateAllocRowSources.kind(r))")
                #expect(r.source == expected, "\(FpstateAllocRowSources.kind(r)) \(r.params)")
            }
            #expect(!rows.contains { $0.status == .failed || $0.status == .error })
            let sizes = rows.filter { $0.benchmark == "sizes" && $0.metric == "default_buffer_bytes" }
            let want: HostDependency = params["cpu-model"] == "host" ? .cpuKernel : (params["kernel"] != nil ? .none : .kernel)
            #expect(sizes.count == 1 && sizes.allSatisfy { $0.depends == want && $0.source == .model }, "\(params)")
            #expect(rows.filter { $0.benchmark != "numa-remote" }.allSatisfy { $0.params["kernel"] != nil })
        }
    }
}
