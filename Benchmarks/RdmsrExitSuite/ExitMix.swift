import BenchCore
import Foundation

/// Why a simulated vCPU left the guest.
public enum ExitReason: String, CaseIterable, Sendable {
    case externalInterrupt = "extint"
    /// A HLT that really halts (no wake event pending): leaves the loop.
    case hlt = "hlt"
    /// A HLT with a wake event already pending: the fastpath re-enters (6.12+).
    case hltWake = "hlt-wake"
    /// A TSC_DEADLINE MSR write (the guest re-arming its timer).
    case msrWrite = "msr-write"
    /// An immediate-form WRMSRNS of a fastpath MSR (6.18+ fastpath).
    case msrImmediate = "wrmsrns-imm"
    /// An x2APIC ICR MSR write of a "fast" IPI (fixed delivery to one
    /// target): fastpath from 6.12, still from 6.18.
    case ipi = "ipi"
    /// Any other x2APIC ICR write (broadcast, NMI, ...): fastpath 6.12-6.17,
    /// leaves the loop from 6.18.
    case ipiOther = "ipi-other"
    /// INVD (fastpath from 6.18).
    case invd = "invd"
    /// Port I/O handled by the VMM: the only reason that returns to user space.
    case io = "io"
    case eptViolation = "ept"
    case preemptionTimer = "preempt"
    /// Simulated by its handler cost only: a real CPUID is itself a VM exit
    /// on a virtualised host (thousands of ticks) and never runs in the loop.
    case cpuid = "cpuid"
    /// A #NM that is not an XFD fault (a guest using CR0.TS for lazy FPU
    /// switching).  It exits only while KVM intercepts #NM, i.e. while XFD
    /// writes pass through; otherwise the guest handles it without an exit
    /// and the slot costs only its guest quantum.  XFD faults are not drawn
    /// from the mix: the guest kinds raise them (a task's first AMX use).
    case nm = "nm"
    /// Any exit the model has no handler of its own for (a captured
    /// histogram's other reasons): leaves the loop.
    case other = "other"

    /// The exit leaves the kernel for the VMM, so the FPU is swapped.
    public var goesToUserSpace: Bool { self == .io }
}

/// The weighted mix exit reasons are drawn from.
public struct ExitMix: Sendable, Equatable {
    /// (reason, weight > 0) in `ExitReason.allCases` order.
    public let weights: [(reason: ExitReason, weight: Int)]

    /// Default mix (illustrative, not a measured workload): interrupt-, HLT-
    /// and timer-heavy, as an idle-to-moderate server guest.  No `nm`: a
    /// Linux guest takes #NM only as an XFD fault (which the guest kinds
    /// model), never for lazy FPU switching.
    public static let defaultSpec = "extint=25,hlt=25,msr-write=15,ipi=5,io=5,ept=10,preempt=10,cpuid=5"

    /// Where the weights come from, for notes: nil for the spec given
    /// inline (or the illustrative default), the capture's description for a
    /// histogram read from a file.
    public let origin: String?

    public static func == (a: ExitMix, b: ExitMix) -> Bool {
        a.weights.map(\.reason) == b.weights.map(\.reason) && a.weights.map(\.weight) == b.weights.map(\.weight)
    }

    /// Parses `reason=weight,...` (weights are non-negative integers, not all
    /// zero) or, for text without `=`, reads a captured histogram from that
    /// file (`ExitHistogram`: `perf kvm stat report` text or a
    /// KVM_GET_STATS_FD snapshot).
    public init(_ spec: String) throws {
        let t = spec.trimmingCharacters(in: .whitespaces)
        if !t.isEmpty && !t.contains("=") {
            let h = try ExitHistogram.read(path: t)
            try self.init(weightsSpec: ExitHistogram.weights(h.counts), origin: h.origin)
        } else {
            try self.init(weightsSpec: spec, origin: nil)
        }
    }

    /// A mix with `fastpathShare` of its weight on the fastpath reasons of
    /// `rules` and the rest on the others, each group keeping `base`'s
    /// proportions; a group `base` leaves empty uses `msr-write` (fastpath)
    /// or `hlt` (slow).  Weights are out of 10,000.  Precondition: 0...1.
    public static func withFastpathShare(_ fastpathShare: Double, like base: ExitMix, rules: KVMExitRules) -> ExitMix {
        precondition((0...1).contains(fastpathShare))
        let exiting = base.weights.filter { rules.exits($0.reason) }
        let fast = exiting.filter { rules.reentersOnFastpath($0.reason) }
        let slow = exiting.filter { !rules.reentersOnFastpath($0.reason) }
        func spread(_ group: [(reason: ExitReason, weight: Int)], _ fallback: ExitReason, _ total: Int) -> [ExitReason: Int] {
            let g = group.isEmpty ? [(reason: fallback, weight: 1)] : group
            let sum = g.reduce(0) { $0 + $1.weight }
            var out: [ExitReason: Int] = [:]
            var given = 0
            for (i, e) in g.enumerated() {
                let w = i == g.count - 1 ? total - given : Int((Double(total) * Double(e.weight) / Double(sum)).rounded(.down))
                out[e.reason, default: 0] += w; given += w
            }
            return out
        }
        let fastTotal = Int((10_000 * fastpathShare).rounded())
        let merged = spread(fast, .msrWrite, fastTotal).merging(spread(slow, .hlt, 10_000 - fastTotal), uniquingKeysWith: +)
        let spec = ExitReason.allCases.compactMap { r in merged[r].map { "\(r.rawValue)=\($0)" } }.joined(separator: ",")
        // The weights sum to 10,000 and are non-negative: the spec always parses.
        return try! ExitMix(weightsSpec: spec, origin: String(format: "fastpath share %.2f", fastpathShare))
    }

    init(weightsSpec spec: String, origin: String?) throws {
        self.origin = origin
        var w: [ExitReason: Int] = [:]
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {  // an empty item fails
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let r = ExitReason(rawValue: kv[0]), let n = Int(kv[1]), n >= 0, n <= 1_000_000 else {
                throw BenchError.badInput("exit-mix=\(spec): expected reason=weight,... with reasons "
                    + ExitReason.allCases.map(\.rawValue).joined(separator: ", ") + " and integer weights")
            }
            w[r] = n
        }
        let list = ExitReason.allCases.compactMap { r in w[r].flatMap { $0 > 0 ? (reason: r, weight: $0) : nil } }
        guard !list.isEmpty else { throw BenchError.badInput("exit-mix=\(spec): at least one weight must be positive") }
        weights = list
    }

    /// `reason:weight/...` in `ExitReason.allCases` order (a params value:
    /// no `,`, `;` or `=`).
    public var description: String {
        weights.map { "\($0.reason.rawValue):\($0.weight)" }.joined(separator: "/")
    }

    /// Fraction of exits with `reason`.
    public func share(_ reason: ExitReason) -> Double {
        let total = weights.reduce(0) { $0 + $1.weight }
        return Double(weights.first { $0.reason == reason }?.weight ?? 0) / Double(total)
    }

    /// `count` reasons drawn with SplitMix64 from `seed`: the same seed gives
    /// the same sequence everywhere.  Drawn before timing so the generator is
    /// never inside a timed region.
    public func sequence(count: Int, seed: UInt64) -> [ExitReason] {
        precondition(count >= 0)
        var rng = SplitMix64(seed: seed)
        let total = UInt64(weights.reduce(0) { $0 + $1.weight })
        return (0..<count).map { _ in
            // Modulo bias is below 2^-40 for any total this parser accepts.
            var pick = Int(rng.next() % total)
            for (reason, weight) in weights {
                if pick < weight { return reason }
                pick -= weight
            }
            return weights[weights.count - 1].reason
        }
    }
}
