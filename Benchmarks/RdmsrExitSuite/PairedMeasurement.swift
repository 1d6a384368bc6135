import BenchCore
import Foundation

/// Interleaved measurement of several exit loops, so that configurations
/// compared with each other see the same machine state.
///
/// The timing kernel runs the rounds (`TimingKernel.interleaved`): each
/// round takes one differenced sample of every loop,
/// `(t(2K exits) - t(K exits)) / K` ticks per exit, in an order rotated
/// from round to round so slow drift (core clock, neighbours) does not
/// favour one loop.  `TimingSamples.alignedRounds` pairs the samples by
/// round, so per-round differences cancel what the round had in common; a
/// short round (small K) keeps the machine's speed from moving much within
/// it.
///
/// All loops of a round run the same window of their exit sequences, and
/// the window moves on by K exits every round, so over the rounds the
/// windows tile the sequences: the *mean* over rounds is the long-run cost
/// per exit of the whole sequence (a window may hold no XFD write, or two).
///
/// Disturbances are one-sided: something else ran during a region (an
/// interrupt, a hypervisor exit, another thread), adding time to it.
/// - The kernel reads the thread's context-switch count (outside the timed
///   regions) around each sample; a sample during which the thread was
///   switched out is discarded, counted, and retaken (up to 3 times).  A
///   round that still lacks a loop's sample is dropped for every loop.
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

    /// Retakes of a sample during which the thread was context-switched out.
    static let preemptionRetries = 3

    /// Precondition: every loop has the same number of exits, at least
    /// `2 * inner`; samples >= 1.  `warmup` untimed `run(2 * inner)` calls of
    /// every loop, at offset 0, come first.
    public static func run(_ loops: [ExitLoop], inner: Int, samples: Int, kernel: TimingKernel,
                           warmup: Int = 2) -> Result {
        precondition(!loops.isEmpty && samples >= 1 && loops.allSatisfy { $0.count >= 2 * inner })
        precondition(loops.allSatisfy { $0.count == loops[0].count })
        let windows = (loops[0].count - 2 * inner) / inner + 1
        for l in loops { l.offset = 0 }
        for _ in 0..<warmup { for l in loops { l.run(2 * inner) } }
        // Round r runs window r (mod windows) of every loop; warm-up calls
        // (round -1) would run window 0, but the plan asks for none.
        let cases = loops.map { loop in
            TimedCase.differenced(inner: inner, before: { loop.offset = (max($0, 0) % windows) * inner }) { loop.run($0) }
        }
        let plan = RoundPlan(rounds: samples, samples: samples, warmupCalls: 0, preemptionRetries: preemptionRetries)
        let measured = kernel.interleaved(cases, plan: plan, step: { _ in })
        // [loop][k]: values of the k-th round every loop completed.  The raw
        // regions are stored index for index with the values, so the same
        // rounds line up.
        let aligned = TimingSamples.alignedRounds(measured)
        let short = TimingSamples.alignedRounds(measured.map { TimingSamples(perOp: $0.shortRegions, rounds: $0.rounds) }).values
        let long = TimingSamples.alignedRounds(measured.map { TimingSamples(perOp: $0.longRegions, rounds: $0.rounds) }).values
        let complete = aligned.rounds.count
        // Upper fences per loop and region length.
        func fence(_ v: [Double]) -> Double {
            guard v.count >= 4 else { return .infinity }
            let s = Summary(v)
            return s.p75 + 3 * (s.p75 - s.p25) + fenceSlackTicks
        }
        let fences = loops.indices.map { i in (short: fence(short[i]), long: fence(long[i])) }
        let clean = (0..<complete).filter { k in
            loops.indices.allSatisfy { short[$0][k] <= fences[$0].short && long[$0][k] <= fences[$0].long }
        }
        let kept = clean.count >= min(5, complete) ? clean : Array(0..<complete)
        let per = loops.indices.map { i in kept.map { aligned.values[i][$0] } }
        return Result(perLoop: per, roundsDropped: samples - complete,
                      migratedSamples: measured.reduce(0) { $0 + $1.migrationsDropped },
                      preemptedSamples: measured.reduce(0) { $0 + $1.preempted },
                      disturbedRounds: complete - kept.count)
    }
}
