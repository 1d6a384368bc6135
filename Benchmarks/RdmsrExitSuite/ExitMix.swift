import BenchCore
import Foundation

/// Why a simulated vCPU left the guest.
public enum ExitReason: String, CaseIterable, Sendable {
    case externalInterrupt = "extint"
    case hlt = "hlt"
    /// A TSC_DEADLINE MSR write (the guest re-arming its timer).
    case msrWrite = "msr-write"
    /// An x2APIC ICR MSR write (an IPI).
    case ipi = "ipi"
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

    public static func == (a: ExitMix, b: ExitMix) -> Bool {
        a.weights.map(\.reason) == b.weights.map(\.reason) && a.weights.map(\.weight) == b.weights.map(\.weight)
    }

    /// Parses `reason=weight,...` (weights are non-negative integers, not all zero).
    public init(_ spec: String) throws {
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
