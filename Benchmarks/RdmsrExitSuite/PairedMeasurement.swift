import BenchCore
import Foundation

/// Interleaved measurement of several exit loops, so that configurations
/// compared with each other see the same machine state.
///
/// Each round takes one differenced sample of every loop,
/// `(t(2K exits) - t(K exits)) / K` ticks per exit through
/// `TimingKernel.measure`, in an order rotated from round to round so slow
/// drift (core clock, neighbours) does not favour one loop.  Sample `s` of
/// every loop comes from the same round, so per-round differences cancel
/// what the round had in common; a short round (small K) keeps the
/// machine's speed from moving much within it.
///
/// All loops of a round run the same window of their exit sequences, and
/// the window moves on by K exits every round, so over the rounds the
/// windows tile the sequences: the *mean* over rounds is the long-run cost
/// per exit of the whole sequence (a window may hold no XFD write, or two).
///
/// Disturbances are one-sided: something else ran during a region (an
/// interrupt, a hypervisor exit, another thread), adding time to it.
/// - The thread's context-switch count is read (getrusage, outside the timed
///   regions) around each sample; a sample during which the thread was
///   switched out is discarded, counted, and retaken (up to 3 times).
/// - Disturbances the guest OS cannot see (interrupts, the hypervisor
///   descheduling this vCPU) are found afterwards: a region longer than the
///   far-out Tukey fence (Q3 + 3 IQR) of that loop's regions of the same
///   length, plus `fenceSlackTicks`, marks its round as disturbed.  Disturbed rounds are set aside
///   and counted (kept when fewer than 5 rounds would remain), and the
///   figures come from the clean rounds.
public enum PairedMeasurement {
    /// Added to every fence: a few TSC steps (the TSC advances in ~24-tick
    /// steps on some virtualised hosts), so that the quantisation of a
    /// nearly constant region time is not taken for a disturbance.  An
    /// interrupt or exit costs thousands of ticks and stays far above it.
    public static let fenceSlackTicks = 64.0

    public struct Result {
        /// perLoop[i][s]: ticks per exit of loop i in clean round s.
        public var perLoop: [[Double]]
        /// Rounds lost because a sample kept migrating or being preempted.
        public var roundsDropped: Int
        /// Samples the timing kernel discarded because the thread changed CPU.
        public var migratedSamples: Int
        /// Samples discarded because the thread was context-switched during them.
        public var preemptedSamples: Int
        /// Rounds set aside because a region was beyond its fence.
        public var disturbedRounds: Int

        /// Per-round differences loop[i] - loop[j], ticks per exit.
        public func difference(_ i: Int, minus j: Int) -> [Double] {
            zip(perLoop[i], perLoop[j]).map { $0 - $1 }
        }
    }

    /// Exits a plan needs so that `samples` rounds of windows of `inner`
    /// exits tile it without wrapping.
    public static func sequenceLength(inner: Int, samples: Int) -> Int { inner * (samples + 1) }

    /// Precondition: every loop has the same number of exits, at least
    /// `2 * inner`; samples >= 1.
    public static func run(_ loops: [ExitLoop], inner: Int, samples: Int, kernel: TimingKernel,
                           warmup: Int = 2) -> Result {
        precondition(!loops.isEmpty && samples >= 1 && loops.allSatisfy { $0.count >= 2 * inner })
        precondition(loops.allSatisfy { $0.count == loops[0].count })
        let windows = (loops[0].count - 2 * inner) / inner + 1
        for l in loops { l.offset = 0 }
        for _ in 0..<warmup { for l in loops { l.run(2 * inner) } }
        // rounds[r][i] = (perOp, short region, long region) of loop i.
        var rounds: [[(perOp: Double, short: Double, long: Double)]] = []
        var dropped = 0, preempted = 0, migrated = 0, round = 0
        while rounds.count < samples && round < samples * 4 {
            var got: [(perOp: Double, short: Double, long: Double)?] = Array(repeating: nil, count: loops.count)
            var ok = true
            for l in loops { l.offset = (round % windows) * inner }
            for j in 0..<loops.count {
                let i = (j + round) % loops.count
                for _ in 0..<4 {
                    let before = contextSwitches()
                    let m = kernel.measure(inner: inner, samples: 1, warmup: 0) { loops[i].run($0) }
                    migrated += m.migrationsDropped
                    if contextSwitches() != before { preempted += 1; continue }
                    if let v = m.perOp.first, let s = m.shortRegions.first, let l = m.longRegions.first {
                        got[i] = (v, s, l); break
                    }
                }
                if got[i] == nil { ok = false; break }
            }
            round += 1
            if ok { rounds.append(got.map { $0! }) } else { dropped += 1 }
        }
        // Upper fences per loop and region length.
        var fences: [(short: Double, long: Double)] = []
        for i in 0..<loops.count {
            func fence(_ v: [Double]) -> Double {
                guard v.count >= 4 else { return .infinity }
                let s = Summary(v)
                return s.p75 + 3 * (s.p75 - s.p25) + fenceSlackTicks
            }
            fences.append((fence(rounds.map { $0[i].short }), fence(rounds.map { $0[i].long })))
        }
        let clean = rounds.filter { r in
            r.indices.allSatisfy { r[$0].short <= fences[$0].short && r[$0].long <= fences[$0].long }
        }
        let kept = clean.count >= min(5, rounds.count) ? clean : rounds
        let per = (0..<loops.count).map { i in kept.map { $0[i].perOp } }
        return Result(perLoop: per, roundsDropped: dropped, migratedSamples: migrated, preemptedSamples: preempted,
                      disturbedRounds: rounds.count - kept.count)
    }

    /// Voluntary + involuntary context switches of the calling thread so far
    /// (getrusage with RUSAGE_THREAD, Linux value 1).
    static func contextSwitches() -> Int {
        var ru = rusage()
        guard getrusage(__rusage_who_t(1), &ru) == 0 else { return 0 }
        return ru.ru_nvcsw + ru.ru_nivcsw
    }
}
