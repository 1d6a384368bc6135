import BenchCore
import CXState
import Foundation

/// One MSR access as the loop executes it (a compile-time choice, so the
/// model loop carries no proxy code at all).
protocol MSRAccessInstruction {
    static func access(_ acc: UInt64) -> UInt64
}

enum NoInstruction: MSRAccessInstruction {
    @inline(__always) static func access(_ acc: UInt64) -> UInt64 { acc }
}

enum RDPIDInstruction: MSRAccessInstruction {
    @inline(__always) static func access(_ acc: UInt64) -> UInt64 { cx_standin_rdpid_chained(acc) }
}

enum RDTSCPInstruction: MSRAccessInstruction {
    @inline(__always) static func access(_ acc: UInt64) -> UInt64 { cx_standin_rdtscp_chained(acc) }
}

/// The host's register state and two XSAVE areas for the FPU swap of exits
/// to user space.
public final class FPUSwapAreas {
    public let mask: UInt64
    let guest: XSaveBuffer, host: XSaveBuffer

    /// Areas for XCR0's full mask, each holding a valid image of this
    /// thread's registers; nil with the reason when XSAVE cannot run here or
    /// the allocation fails.
    public static func make(for cpu: CPUDescription) -> Result<FPUSwapAreas, SkipReason> {
        if let why = cpu.unavailableReason(.xsave) { return .failure(SkipReason(why)) }
        guard let xcr0 = cpu.xcr0, let layout = cpu.xsave else {
            return .failure(SkipReason("XCR0 or the XSAVE layout is unknown"))
        }
        let size = layout.standardSize(for: xcr0)
        guard size > 0, let g = XSaveBuffer(size: size), let h = XSaveBuffer(size: size) else {
            return .failure(SkipReason("cannot allocate two \(size)-byte XSAVE areas"))
        }
        return .success(FPUSwapAreas(mask: xcr0, guest: g, host: h))
    }

    private init(mask: UInt64, guest: XSaveBuffer, host: XSaveBuffer) {
        self.mask = mask; self.guest = guest; self.host = host
        // Valid images before the first XRSTOR: XRSTOR of a zeroed area would
        // fault on a reserved header bit only by luck of the layout.
        cx_xsave(guest.base, mask)
        cx_xsave(host.base, mask)
    }

    /// Standard-format bytes each XSAVE writes.
    public var bytes: Int { guest.size }
}

/// A reason a measurement cannot run here (becomes a skipped row).
public struct SkipReason: Error, Sendable {
    public let text: String
    public init(_ text: String) { self.text = text }
}

/// The timed simulated exit loop over one `ExitPlan`.
///
/// `run(n)` executes exits `offset..<offset + n` of the plan: for each, the word's
/// dependent adds, its stand-in MSR instructions, and its FPU swap, all
/// threaded through one accumulator (see cx_exitloop.h for why).  The plan
/// was built before timing, so no RNG, policy decision or allocation runs
/// inside a timed region.
public final class ExitLoop {
    private let words: UnsafeMutablePointer<UInt32>
    public let count: Int
    private let proxy: ProxyInstruction?
    private let areas: FPUSwapAreas?
    /// Accumulator sink, so the work has an observable result.
    public private(set) var sink: UInt64 = 0

    /// Precondition: a plan with swap bits needs `areas`; a plan with stand-in
    /// instructions needs `proxy`, already checked against CPUID.
    public init(plan: ExitPlan, proxy: ProxyInstruction?, areas: FPUSwapAreas?) {
        count = plan.words.count
        words = .allocate(capacity: max(count, 1))
        words.initialize(from: plan.words, count: count)
        precondition(areas != nil || !plan.words.contains { $0 & ExitPlan.swapBit != 0 },
                     "FPU swap requested without XSAVE areas")
        precondition(proxy != nil || plan.counts.proxyInstructions == 0,
                     "stand-in instructions requested without an instruction")
        self.proxy = proxy
        self.areas = areas
    }

    deinit { words.deallocate() }

    /// First exit `run` executes.  Windows at rotating offsets let short
    /// timed regions cover a long exit sequence, so the average over rounds
    /// is the sequence's long-run cost, not one window's.
    public var offset = 0

    /// Runs exits `offset..<offset + n`.  Precondition: `offset + n <= count`.
    @inline(never)
    public func run(_ n: Int) {
        precondition(offset >= 0 && offset + n <= count)
        let w = words + offset
        switch proxy {
        case nil: sink &+= Self.loop(NoInstruction.self, w, n, areas)
        case .rdpid?: sink &+= Self.loop(RDPIDInstruction.self, w, n, areas)
        case .rdtscp?: sink &+= Self.loop(RDTSCPInstruction.self, w, n, areas)
        }
    }

    @inline(__always)
    private static func loop<I: MSRAccessInstruction>(_: I.Type, _ words: UnsafeMutablePointer<UInt32>,
                                                      _ n: Int, _ areas: FPUSwapAreas?) -> UInt64 {
        var acc: UInt64 = 0
        let g = areas?.guest.base, h = areas?.host.base
        let mask = areas?.mask ?? 0
        var i = 0
        while i < n {
            let w = words[i]
            acc = cx_exit_adds(acc, UInt64(w & UInt32(ExitPlan.maxAddsPerExit)))
            if w >> ExitPlan.proxyShift != 0 {
                var k = (w >> ExitPlan.proxyShift) & 7
                while k != 0 { acc = I.access(acc); k -= 1 }
                if w & ExitPlan.swapBit != 0 { acc = cx_exit_fpu_swap(acc, g!, h!, mask) }
            }
            i += 1
        }
        return acc
    }
}
