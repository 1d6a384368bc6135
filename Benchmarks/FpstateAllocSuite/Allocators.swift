import BenchCore
import Foundation

/// One live register-state buffer: header, then the register area.
public struct StateBlock {
    public let base: UnsafeMutableRawPointer
    /// Bytes asked for (header + register area).
    public let requested: Int
    /// Bytes the allocator set aside: `requested` rounded up to whole pages
    /// for page-granular allocators, `requested` for heap allocators.
    public let reserved: Int
    /// The register area (where XSAVE writes), `FpstateSizes.headerBytes` in.
    public var registers: UnsafeMutableRawPointer { base + FpstateSizes.headerBytes }
}

/// Where register-state buffers come from.  Every allocation is returned
/// zeroed and with every page touched, as the kernel's vzalloc/kzalloc
/// return it, so "allocate" includes the first-touch page faults.
public protocol StateAllocator: AnyObject {
    /// Stable name used in parameters and rows ("malloc", "mmap", ...).
    var name: String { get }
    /// Source of figures timed through it: `.proxy` for a stand-in for what
    /// the kernel does, `.measured` otherwise.
    var source: FigureSource { get }
    /// Guaranteed alignment of `StateBlock.base`, in bytes.
    var alignment: Int { get }
    /// True when every buffer has pages of its own, so its resident pages
    /// can be counted (mincore) and modelled exactly (page rounding).
    var pageGranular: Bool { get }
    /// `bytes` (> 0) zeroed bytes, every page touched; nil on failure, in
    /// which case nothing is held.
    func allocate(_ bytes: Int) -> StateBlock?
    /// Returns a block this allocator produced.  False when the system
    /// refused (munmap failed): the block is then still held.
    func release(_ block: StateBlock) -> Bool
}

/// The allocator kinds the `allocators` parameter names.
public enum AllocatorKind: String, CaseIterable, Sendable {
    case malloc
    case posixMemalign = "posix-memalign"
    case mmap
    case numa

    /// Parses a comma-separated list; throws `badInput` naming the bad entry.
    public static func parseList(_ text: String) throws -> [AllocatorKind] {
        let parts = ParameterKind.list(text).map { $0.lowercased() }  // an empty item fails
        guard !parts.isEmpty else { throw BenchError.badInput("allocators=\(text): expected a list") }
        var out: [AllocatorKind] = []
        for p in parts {
            guard let k = AllocatorKind(rawValue: p) else {
                throw BenchError.badInput("allocators=\(text): unknown allocator '\(p)' (known: \(allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            if !out.contains(k) { out.append(k) }
        }
        return out
    }
}

/// malloc + memset: a kzalloc-like heap allocation (16-byte alignment).
public final class MallocAllocator: StateAllocator {
    public init() {}
    public let name = "malloc"
    public let source = FigureSource.measured
    public let alignment = 16
    public let pageGranular = false
    public func allocate(_ bytes: Int) -> StateBlock? {
        guard bytes > 0, let p = malloc(bytes) else { return nil }
        memset(p, 0, bytes)
        return StateBlock(base: p, requested: bytes, reserved: bytes)
    }
    public func release(_ block: StateBlock) -> Bool { free(block.base); return true }
}

/// posix_memalign(64) + memset: the alignment `struct fpstate` asks for.
public final class AlignedAllocator: StateAllocator {
    public init() {}
    public let name = "posix-memalign"
    public let source = FigureSource.measured
    public let alignment = 64
    public let pageGranular = false
    public func allocate(_ bytes: Int) -> StateBlock? {
        var p: UnsafeMutableRawPointer?
        guard bytes > 0, posix_memalign(&p, 64, bytes) == 0, let p else { return nil }
        memset(p, 0, bytes)
        return StateBlock(base: p, requested: bytes, reserved: bytes)
    }
    public func release(_ block: StateBlock) -> Bool { free(block.base); return true }
}

/// Anonymous mmap of whole zeroed pages, each touched once: the user-space
/// stand-in for the kernel's vzalloc (page-granular, zeroed); its rows say
/// `proxy`.  Biased high: vzalloc zeroes its pages at allocation and maps
/// them into the kernel's vmalloc area with no page fault, and vfree unmaps
/// lazily (batched TLB flushes); here creation is a syscall, a new VMA and
/// one page fault per page, and release is munmap with its TLB flush.  On
/// the reference VM, mmap + touch of 3 pages is ~13.9k ticks and munmap
/// ~8.7k.
public final class PageAllocator: StateAllocator {
    public let name = "mmap"
    public let source = FigureSource.proxy
    public let alignment = FpstateSizes.pageBytes
    public let pageGranular = true
    /// With THP "always", merged neighbouring mappings could be backed by a
    /// huge page and break per-buffer page counting; the buffers then opt out.
    private let avoidHugePages: Bool

    public init() { avoidHugePages = PageAllocator.transparentHugePagesAlways() }

    public func allocate(_ bytes: Int) -> StateBlock? {
        guard bytes > 0 else { return nil }
        let len = FpstateSizes.pages(bytes) * FpstateSizes.pageBytes
        guard let p = mmap(nil, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              p != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        if avoidHugePages { _ = madvise(p, len, MADV_NOHUGEPAGE) }
        touchPages(p, len)
        return StateBlock(base: p, requested: bytes, reserved: len)
    }

    public func release(_ block: StateBlock) -> Bool { munmap(block.base, block.reserved) == 0 }

    /// True when /sys/kernel/mm/transparent_hugepage/enabled selects "[always]".
    public static func transparentHugePagesAlways() -> Bool {
        (try? String(contentsOfFile: "/sys/kernel/mm/transparent_hugepage/enabled", encoding: .utf8))?
            .contains("[always]") ?? false
    }
}

/// Writes one zero byte per page, so each page faults in now (a fresh
/// anonymous page reads as zero already; the write makes it resident).
@inline(__always)
func touchPages(_ base: UnsafeMutableRawPointer, _ len: Int) {
    var off = 0
    while off < len {
        base.storeBytes(of: 0 as UInt8, toByteOffset: off, as: UInt8.self)
        off += FpstateSizes.pageBytes
    }
}

/// Wraps an allocator and counts what passes through it, so every policy
/// can be shown to free everything it allocated; can be told to fail.
public final class CountingAllocator: StateAllocator {
    public let inner: StateAllocator
    public var name: String { inner.name }
    public var source: FigureSource { inner.source }
    public var alignment: Int { inner.alignment }
    public var pageGranular: Bool { inner.pageGranular }

    /// Successful allocations and releases so far.
    public private(set) var allocations = 0, frees = 0
    /// Releases the system refused (the block stays held and counts as live).
    public private(set) var failedFrees = 0
    /// Allocations refused (by the limits below or by the inner allocator).
    public private(set) var failures = 0
    /// Requested / reserved bytes currently held.
    public private(set) var liveRequestedBytes = 0, liveReservedBytes = 0
    /// Highest `liveReservedBytes` seen.
    public private(set) var peakReservedBytes = 0

    /// Injected failure: refuse the allocation that would make the number
    /// of successful allocations exceed this.
    public var allocationLimit: Int?
    /// Injected failure: refuse an allocation that would take the requested
    /// bytes held above this (an address-space limit for one allocator).
    public var liveByteLimit: Int?

    /// Injected failure: refuse every allocation of at least this many bytes
    /// (an allocator that cannot provide the expanded buffer).
    public var failFromBytes: Int?

    public init(_ inner: StateAllocator) { self.inner = inner }

    /// Blocks allocated and not yet released.
    public var live: Int { allocations - frees }

    public func allocate(_ bytes: Int) -> StateBlock? {
        if let limit = allocationLimit, allocations >= limit { failures += 1; return nil }
        if let limit = liveByteLimit, liveRequestedBytes + bytes > limit { failures += 1; return nil }
        if let limit = failFromBytes, bytes >= limit { failures += 1; return nil }
        guard let b = inner.allocate(bytes) else { failures += 1; return nil }
        allocations += 1
        liveRequestedBytes += b.requested
        liveReservedBytes += b.reserved
        peakReservedBytes = max(peakReservedBytes, liveReservedBytes)
        return b
    }

    @discardableResult
    public func release(_ block: StateBlock) -> Bool {
        guard inner.release(block) else { failedFrees += 1; return false }
        frees += 1
        liveRequestedBytes -= block.requested
        liveReservedBytes -= block.reserved
        return true
    }
}

/// Keeps a heap allocator's pages resident between timed fleets.
///
/// glibc returns the top of its heap to the kernel when a large enough free
/// chunk reaches it, so whether a fleet's allocations page-fault depends on
/// what the previous fleet left behind: the latency medians flip between
/// two modes from run to run.  Touching `bytes` of heap once, then holding a
/// small "pin" allocation above it, keeps that memory in the heap, so every
/// timed heap allocation is allocation + zeroing of resident memory (the
/// kernel's slab case); page-granular allocators keep their fault cost.
public final class HeapPin {
    private var pins: [UnsafeMutableRawPointer] = []

    /// Grows the heap by `bytes` through `allocator` (blocks of `blockBytes`)
    /// and pins it.  Does nothing for page-granular allocators.
    public init(_ allocator: StateAllocator, bytes: Int, blockBytes: Int) {
        guard !allocator.pageGranular, blockBytes > 0 else { return }
        var blocks: [StateBlock] = []
        var total = 0
        while total < bytes, let b = allocator.allocate(blockBytes) { blocks.append(b); total += blockBytes }
        let highest = blocks.map { UInt(bitPattern: $0.base) }.max() ?? 0
        // A small chunk may come from a free list below the blocks; take
        // chunks until one lies above them (the heap grows upwards).
        for _ in 0..<32 {
            guard let p = malloc(4096) else { break }
            pins.append(p)
            if UInt(bitPattern: p) > highest { break }
        }
        for b in blocks { _ = allocator.release(b) }
    }

    /// Releases the pin; the heap may then shrink again.
    public func release() {
        for p in pins { free(p) }
        pins = []
    }

    deinit { release() }
}
