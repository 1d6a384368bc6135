import BenchCore
import Foundation

/// Why a simulated vCPU left the guest.
public enum ExitReason: String, CaseIterable, Sendable {
    case externalInterrupt = "extint"
    case hlt = "hlt"
    case msrWrite = "msr-write"
    /// Port I/O handled by the VMM: the only reason that returns to user space.
    case io = "io"
    case eptViolation = "ept"
    case preemptionTimer = "preempt"
    /// Simulated by its handler cost only: a real CPUID is itself a VM exit
    /// on a virtualised host (thousands of ticks) and never runs in the loop.
    case cpuid = "cpuid"
    /// A #NM fault KVM intercepted.
    case nm = "nm"

    /// The exit leaves the kernel for the VMM, so the FPU is swapped.
    public var goesToUserSpace: Bool { self == .io }
}

/// Handler cost per exit reason, in core cycles, on top of the exit round
/// trip.  Injected as that many dependent adds (one per core cycle).
///
/// Defaults and where they come from (figures on record in the project's
/// domain notes; "estimate" means no public figure was found and the value
/// is an order-of-magnitude guess, to be overridden when a better one exists):
///
/// | reason    | cycles | source |
/// |-----------|--------|--------|
/// | cpuid     |    110 | a CPUID exit round trip is ~1,020-1,110 TSC cycles (kvm-unit-tests vmexit, modern Intel, KVM list 2024); with the 950-cycle round trip below the CPUID exit totals ~1,060 |
/// | io        |  1,500 | a whole KVM_RUN on AMD SVM is ~2,500 cycles with the VMRUN segment ~1,350 (LKML 2012): ~1,150 for the trip through user space, plus ~350 estimated VMM device work; the FPU swap is real XSAVE/XRSTOR, not in this figure |
/// | msr-write |    400 | estimate (e.g. a TSC-deadline write re-arming an hrtimer); also the handler of every trapped XFD write under always-intercept |
/// | extint    |    600 | estimate (host interrupt handler run after the exit) |
/// | hlt       |    300 | estimate (handler only; time spent halted is not exit-path cost) |
/// | ept       |    800 | estimate (guest page-table walk and MMU update) |
/// | preempt   |    150 | estimate (timer expiry bookkeeping) |
/// | nm        |    250 | estimate (exception reinjection) |
public struct CostTable: Sendable, Equatable {
    public var cycles: [ExitReason: Int]

    public static let defaults: [ExitReason: Int] = [
        .cpuid: 110, .io: 1_500, .msrWrite: 400, .externalInterrupt: 600,
        .hlt: 300, .eptViolation: 800, .preemptionTimer: 150, .nm: 250,
    ]

    public init(cycles: [ExitReason: Int] = CostTable.defaults) { self.cycles = cycles }

    public subscript(reason: ExitReason) -> Int { cycles[reason] ?? 0 }

    /// Every reason costs zero: for the loop-overhead measurement.
    public static let zero = CostTable(cycles: [:])

    /// Parses `spec`: empty or `builtin` (the defaults), inline
    /// `reason=cycles,reason=cycles` (unnamed reasons keep their default), or
    /// the path of a file with one `reason = cycles` per line (`#` starts a
    /// comment).  Throws `BenchError.badInput` on anything else.
    public static func parse(_ spec: String) throws -> CostTable {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "builtin" { return CostTable() }
        let text: String
        let what: String
        if trimmed.contains("=") {
            text = trimmed.replacingOccurrences(of: ",", with: "\n"); what = "cost-table"
        } else {
            guard let t = try? String(contentsOfFile: trimmed, encoding: .utf8) else {
                throw BenchError.badInput("cost-table=\(trimmed): cannot read the file (or give reason=cycles,...)")
            }
            text = t; what = "cost-table file \(trimmed)"
        }
        var table = CostTable()
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let kv = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let reason = ExitReason(rawValue: kv[0]) else {
                throw BenchError.badInput("\(what): '\(line)': expected reason=cycles with reason one of "
                    + ExitReason.allCases.map(\.rawValue).joined(separator: ", "))
            }
            guard let c = Int(kv[1]), (0...ExitPlan.maxAddsPerExit / 4).contains(c) else {
                throw BenchError.badInput("\(what): '\(line)': cycles must be an integer in 0...\(ExitPlan.maxAddsPerExit / 4)")
            }
            table.cycles[reason] = c
        }
        return table
    }

    /// `reason=cycles,...` in a stable order, for notes.
    public var description: String {
        ExitReason.allCases.map { "\($0.rawValue)=\(self[$0])" }.joined(separator: ",")
    }
}

/// The weighted mix exit reasons are drawn from.
public struct ExitMix: Sendable, Equatable {
    /// (reason, weight > 0) in `ExitReason.allCases` order.
    public let weights: [(reason: ExitReason, weight: Int)]

    /// Default mix (illustrative, not a measured workload): interrupt-, HLT-
    /// and timer-MSR-heavy, as an idle-to-moderate server guest.
    public static let defaultSpec = "extint=25,hlt=20,msr-write=20,io=5,ept=10,preempt=10,cpuid=5,nm=5"

    public static func == (a: ExitMix, b: ExitMix) -> Bool {
        a.weights.map(\.reason) == b.weights.map(\.reason) && a.weights.map(\.weight) == b.weights.map(\.weight)
    }

    /// Parses `reason=weight,...` (weights are non-negative integers, not all zero).
    public init(_ spec: String) throws {
        var w: [ExitReason: Int] = [:]
        for part in spec.split(separator: ",") {
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
