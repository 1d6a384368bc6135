import BenchCore
import Foundation

/// `cold-heap`: the expanded buffer's creation on a heap whose free pages
/// went back to the kernel, next to `lifecycle`'s warm heap.
///
/// A heap allocation of the expanded size (~11 KiB, below glibc's 128 KiB
/// mmap threshold) lands on pages that are either resident (recycled from
/// an earlier fleet: the warm case, which `lifecycle` keeps with a pin above
/// the fleets) or not: glibc gives the top of the heap back when more than
/// M_TRIM_THRESHOLD (128 KiB) is free there, and malloc_trim gives back any
/// whole free page, so the next fleet faults every page in on first touch.
/// Which one a run met decided its figure: on a 2-vCPU kvm_pvm VM a fleet of
/// 512 malloc + zero of 10,880 B read ~1k ticks per buffer warm and ~9-11k
/// cold (three page faults), and runs landed on either.  Here the cold case
/// is made on purpose (`malloc_trim(0)` before every fleet) and named.
enum ColdHeap {
    /// glibc's `malloc_trim`, looked up at run time (not in Swift's Glibc
    /// module); nil on a C library without it.
    static let mallocTrim: (@convention(c) (Int) -> Int32)? = {
        guard let symbol = dlsym(nil, "malloc_trim") else { return nil }  // nil: RTLD_DEFAULT, the global scope
        return unsafeBitCast(symbol, to: (@convention(c) (Int) -> Int32).self)
    }()

    /// `create_ticks` of the expanded size per heap allocator, over
    /// `cfg.rounds` fleets of `cfg.latencyVCPUs`, each after the heap's free
    /// pages were returned; plus the allocators' leak counts.  Page-granular
    /// allocators are always cold (every buffer is a fresh mapping): their
    /// `lifecycle` rows are this case already.
    static func rows(suite: String, ctx: SuiteContext, cfg: FpstateAllocConfig,
                     allocators: [FpstateAllocBenchmarks.AllocatorEntry], params: ([(String, String)]) -> Params) throws -> [ResultRow] {
        let heaps = allocators.compactMap { e in e.allocator.flatMap { $0.pageGranular ? nil : (e.label, $0) } }
        guard !heaps.isEmpty else { return [] }
        let bytes = cfg.sizes.expandedBufferBytes
        guard let trim = mallocTrim else {
            return heaps.map { label, _ in
                ResultRow.skipped(suite, "cold-heap", params([("allocator", label)]), metric: "create_ticks", unit: "ticks",
                                  depends: .machine, reason: "no malloc_trim in this C library: the cold case cannot be made")
            }
        }
        let counting = heaps.map { CountingAllocator($0.1) }
        var samples = heaps.map { _ in TimingSamples(perOp: []) }
        let plan = RoundPlan(rounds: cfg.rounds, samples: cfg.rounds * cfg.latencyVCPUs)
        for r in 0..<plan.rounds {
            try Interrupt.check()
            for j in heaps.indices {
                let i = plan.caseIndex(j, inRound: r, of: heaps.count)
                var blocks: [StateBlock?] = Array(repeating: nil, count: plan.samples(inRound: r))
                _ = trim(0)  // every whole free page of the heap back to the kernel
                let m = ctx.kernel.events(count: blocks.count, floor: ctx.emptyRegionTicks) { k in
                    blocks[k] = counting[i].allocate(bytes)
                }
                for case let b? in blocks { _ = counting[i].release(b) }
                samples[i].append(m, round: r)
            }
        }
        _ = trim(0)
        var rows: [ResultRow] = []
        for (i, (label, allocator)) in heaps.enumerated() {
            let p = params([("allocator", label)])
            rows.append(.timing(suite, "cold-heap", p, metric: "create_ticks", samples[i], source: allocator.source,
                                note: "allocate \(bytes) B + zero on a heap whose free pages were returned (malloc_trim(0) before each fleet): "
                                    + "first-touch page faults; \(cfg.latencyVCPUs) vCPUs x \(cfg.rounds) interleaved fleets, one event per region, "
                                    + "run's empty region subtracted; lifecycle's create_ticks of eager-at-create is the warm case"))
            var counted = p
            counted.pairs += [(key: "vcpus", value: "\(cfg.latencyVCPUs)"), (key: "fleets", value: "\(cfg.rounds)")]
            rows += LeakCount.rows(suite, "cold-heap", counted, counting[i])
        }
        return rows
    }
}
