import BenchCore
import Foundation

/// Remote NUMA placement: what a vCPU pays when its expanded buffer lives on
/// another node.  Runs only on hosts with two or more nodes with memory.
enum NumaRemote {
    /// Creation (allocate + first touch) and cold touch (memset of the whole
    /// expanded buffer, cycling through a working set larger than a
    /// last-level cache) on the local and on a remote node.
    static func measure(_ ctx: SuiteContext, _ cfg: FpstateAllocConfig, suite: String,
                        local: Int, remote: Int, params: Params) -> [ResultRow] {
        let bytes = cfg.sizes.expandedBufferBytes
        let events = ctx.quick ? 1_000 : 4_000
        let workingSet = ctx.quick ? 2_048 : 4_096  // x ~11 KiB: 22-44 MiB per node
        var rows: [ResultRow] = []
        var medians: [String: Double] = [:]
        for (label, node) in [("local", local), ("remote", remote)] {
            let counting: CountingAllocator
            do {
                counting = CountingAllocator(try NumaAllocator(node: node, topology: cfg.topology, label: "numa-\(label)"))
            } catch {
                rows.append(.skipped(suite, "numa-remote", params, metric: "create_ticks", unit: "ticks", depends: .machine, reason: "\(error)"))
                continue
            }
            var p = params
            p.pairs.append((key: "placement", value: "\(label)(node \(node))"))
            var held: StateBlock?
            let create = ctx.kernel.events(count: events, floor: ctx.emptyRegionTicks,
                                           setup: { _ in if let b = held { counting.release(b); held = nil } }) { _ in
                held = counting.allocate(bytes)
            }
            if let b = held { counting.release(b) }
            rows.append(.timing(suite, "numa-remote", p, metric: "create_ticks", create,
                                note: "numa_alloc_onnode(\(bytes) B, node \(node)) + first touch of every page"))

            var set: [StateBlock] = []
            for _ in 0..<workingSet { if let b = counting.allocate(bytes) { set.append(b) } }
            if set.count == workingSet {
                let touch = ctx.kernel.events(count: events, floor: ctx.emptyRegionTicks) { i in
                    memset(set[i % set.count].base, Int32(i & 0xFF), bytes)
                }
                rows.append(.timing(suite, "numa-remote", p, metric: "touch_ticks", touch,
                                    note: "memset of one resident \(bytes)-byte buffer, cycling through \(workingSet) buffers"))
                medians[label] = touch.summary?.median
            } else {
                rows.append(ResultRow(suite: suite, benchmark: "numa-remote", params: p, metric: "touch_ticks",
                                      source: .measured, gate: .timing, depends: .machine, status: .error, value: nil, unit: "ticks",
                                      note: "could only allocate \(set.count) of \(workingSet) buffers on node \(node)"))
            }
            for b in set { counting.release(b) }
        }
        if let l = medians["local"], let r = medians["remote"] {
            rows.append(.figure(suite, "numa-remote", params, metric: "touch_extra_ticks", r - l, unit: "ticks",
                                source: .measured, gate: .info,
                                depends: .machine, note: "median remote touch - median local touch, node \(remote) vs node \(local)"))
        }
        return rows
    }
}
