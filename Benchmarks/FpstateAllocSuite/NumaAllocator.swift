import BenchCore
import CNuma
import CXState
import Foundation

/// What libnuma says about this host's NUMA nodes.
public struct NumaTopology: Sendable {
    /// False when libnuma reports no NUMA support (`numa_available() < 0`);
    /// every other field is then empty.
    public var available: Bool
    /// Nodes with memory this process may allocate from (`numa_all_nodes_ptr`).
    public var memoryNodes: [Int]
    /// Node of the CPU the calling thread runs on, or nil.
    public var currentNode: Int?

    /// Reads the topology.  `numa_available()` is called first, as libnuma
    /// requires before any other call.
    public static func read() -> NumaTopology {
        guard numa_available() >= 0 else { return NumaTopology(available: false, memoryNodes: [], currentNode: nil) }
        let maxNode = Int(numa_max_node())
        let nodes = maxNode < 0 ? [] : (0...maxNode).filter {
            numa_bitmask_isbitset(numa_all_nodes_ptr, UInt32($0)) != 0
        }
        let cpu = cx_current_cpu()
        let node = cpu >= 0 ? Int(numa_node_of_cpu(cpu)) : -1
        return NumaTopology(available: true, memoryNodes: nodes, currentNode: node >= 0 ? node : nil)
    }

    /// The node buffers go to: `spec` "auto" means the current CPU's node.
    /// Throws `badInput` for a node that does not exist or has no memory,
    /// before anything is allocated.
    public func resolve(_ spec: String) throws -> Int {
        guard available else { throw BenchError.badInput("node=\(spec): libnuma reports no NUMA support on this host") }
        let known = memoryNodes.map(String.init).joined(separator: ", ")
        if spec.lowercased() == "auto" {
            guard let n = currentNode ?? memoryNodes.first else {
                throw BenchError.badInput("node=auto: libnuma names no node with memory")
            }
            return n
        }
        guard let n = Int(spec) else { throw BenchError.badInput("node=\(spec): expected auto or a node number (nodes with memory: \(known))") }
        guard memoryNodes.contains(n) else {
            throw BenchError.badInput("node=\(n): no such NUMA node with memory on this host (nodes with memory: \(known))")
        }
        return n
    }

    /// A node with memory other than `local`, or nil on a one-node host.
    public func remote(from local: Int) -> Int? { memoryNodes.first { $0 != local } }
}

/// numa_alloc_onnode on one node, every page touched: page-granular memory
/// placed on the vCPU's node (or a remote one).
public final class NumaAllocator: StateAllocator {
    public let node: Int
    public let name: String
    public let source = FigureSource.measured
    public let alignment = FpstateSizes.pageBytes
    public let pageGranular = true

    /// Throws `badInput` when libnuma is unavailable or `node` has no memory
    /// (libnuma itself would only print a warning and place pages anywhere).
    public init(node: Int, topology: NumaTopology = .read(), label: String = "numa") throws {
        _ = try topology.resolve(String(node))
        self.node = node
        name = label
    }

    public func allocate(_ bytes: Int) -> StateBlock? {
        guard bytes > 0, let p = numa_alloc_onnode(bytes, Int32(node)) else { return nil }
        let len = FpstateSizes.pages(bytes) * FpstateSizes.pageBytes
        touchPages(p, len)
        return StateBlock(base: p, requested: bytes, reserved: len)
    }

    /// numa_free reports nothing; munmap underneath cannot fail for a block it mapped.
    public func release(_ block: StateBlock) -> Bool { numa_free(block.base, block.requested); return true }
}
