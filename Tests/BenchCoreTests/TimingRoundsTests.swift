import Testing
@testable import BenchCore

/// Interleaved rounds through an injected clock: which case runs when, how
/// samples are split and merged.  Exact, no durations.
@Suite struct TimingRoundsTests {
    @Test func samplesAreSplitOverRoundsAndMergedInOrder() {
        let clock = VirtualClock(edgeTicks: 50)
        var log: [String] = []
        let a = TimedCase.differenced(inner: 4, before: { log.append("a<\($0)") }, after: { log.append("a>\($0)") },
                                      clock.body(perOp: 3))
        let b = TimedCase.events(floor: 50, before: { log.append("b<\($0)") }, after: { log.append("b>\($0)") }) { i in
            clock.now += 100
        }
        var steps: [Int] = []
        let m = ClockedKernel(clock: clock).interleaved([a, b], plan: RoundPlan(rounds: 3, samples: 7, warmupCalls: 0)) {
            steps.append($0)
        }
        #expect(steps == [0, 1, 2])
        // 7 samples over 3 rounds: 3, 2, 2; the order rotates every round.
        #expect(log == ["a<0", "a>0", "b<0", "b>0",  "b<1", "b>1", "a<1", "a>1",  "a<2", "a>2", "b<2", "b>2"])
        #expect(m[0].perOp == Array(repeating: 3, count: 7) && m[0].inner == 4)
        #expect(m[0].rounds == [0, 0, 0, 1, 1, 2, 2])
        #expect(m[0].shortRegions.count == 7 && m[0].longRegions.count == 7)
        #expect(m[1].perOp == Array(repeating: 100, count: 7) && m[1].inner == 1)
        #expect(m[1].rounds == [0, 0, 0, 1, 1, 2, 2])
    }

    @Test func fixedOrderWhenNotRotated() {
        let clock = VirtualClock()
        var log: [String] = []
        let cases = ["x", "y", "z"].map { name in TimedCase.events(floor: 0) { _ in log.append(name) } }
        _ = ClockedKernel(clock: clock).interleaved(cases, plan: RoundPlan(rounds: 2, samples: 2, rotate: false)) { _ in }
        #expect(log == ["x", "y", "z", "x", "y", "z"])
    }

    @Test func roundOrderIsTheKernelsForCallersThatRunTheirOwnSlices() {
        let rotated = RoundPlan(rounds: 3, samples: 3)
        #expect((0..<3).map { r in (0..<3).map { rotated.caseIndex($0, inRound: r, of: 3) } }
                == [[0, 1, 2], [1, 2, 0], [2, 0, 1]])
        let fixed = RoundPlan(rounds: 3, samples: 3, rotate: false)
        #expect((0..<3).map { r in (0..<3).map { fixed.caseIndex($0, inRound: r, of: 3) } }
                == [[0, 1, 2], [0, 1, 2], [0, 1, 2]])
        // A fleet per round: 10 samples over 4 rounds are 3, 3, 2, 2.
        #expect((0..<4).map { RoundPlan(rounds: 4, samples: 10).samples(inRound: $0) } == [3, 3, 2, 2])
    }

    @Test func warmUpRunsEveryCaseUntilTheTicksHavePassed() {
        // Each warm-up call costs 2 edge reads' worth of clock (the loop's
        // check) plus the body: 10 + 1,000 ticks; 3,000 ticks take 3 calls.
        let clock = VirtualClock(edgeTicks: 10)
        var calls: [String: [Int]] = [:]
        let a = TimedCase.differenced(inner: 8) { n in calls["a", default: []].append(n); clock.now += 1_000 }
        let b = TimedCase.events(floor: 0) { n in calls["b", default: []].append(n); clock.now += 1_000 }
        _ = ClockedKernel(clock: clock).interleaved([a, b], plan: RoundPlan(rounds: 1, samples: 1, warmupTicks: 3_000,
                                                                            warmupCalls: 0)) { _ in }
        // Warm-up a(8), b(0), a(8); then round 0: a's pair (8, 16), b's event 0.
        #expect(calls["a"] == [8, 8, 8, 16] || calls["a"] == [8, 8, 16, 8])
        #expect(calls["b"] == [0, 0])
    }

    @Test func warmUpIsBoundedWhenTheClockStands() {
        final class StoppedClock: TickSource {
            func ticks() -> UInt64 { 7 }
            func cpuTag() -> UInt32 { 0 }
            func contextSwitches() -> Int { 0 }
        }
        var calls = 0
        let c = TimedCase.events(floor: 0) { _ in calls += 1 }
        let m = ClockedKernel(clock: StoppedClock()).interleaved([c], plan: RoundPlan(rounds: 1, samples: 1, warmupTicks: 100)) { _ in }
        #expect(calls == RoundPlan.maxWarmupCalls + 1)
        #expect(m[0].perOp == [0])
    }

    @Test func anInterruptEndsTheRounds() {
        struct Stop: Error {}
        let clock = VirtualClock()
        var events = 0
        let c = TimedCase.events(floor: 0) { _ in events += 1 }
        #expect(throws: Stop.self) {
            _ = try ClockedKernel(clock: clock).interleaved([c], plan: RoundPlan(rounds: 5, samples: 10)) { r in
                if r == 2 { throw Stop() }
            }
        }
        #expect(events == 4)
    }

    @Test func preemptedSlicesAreRetakenThenDropped() {
        // Context-switch counts read around each slice: round 0 is clean,
        // round 1 is switched out once and retaken, round 2 every time.
        let clock = VirtualClock(edgeTicks: 50)
        clock.switches = [5, 5,  5, 6, 6, 6,  6, 7, 7, 8, 8, 9]
        var windows: [Int] = []
        let c = TimedCase.differenced(inner: 2, before: { windows.append($0) }, clock.body(perOp: 4))
        let m = ClockedKernel(clock: clock).interleaved([c], plan: RoundPlan(rounds: 3, samples: 3, preemptionRetries: 2)) { _ in }
        #expect(m[0].perOp == [4, 4])
        #expect(m[0].rounds == [0, 1])
        #expect(m[0].preempted == 1 + 3)
        #expect(windows == [0, 1, 1, 2, 2, 2])  // `before` again for every retake
    }

    @Test func alignedRoundsKeepRoundsEveryCaseHas() {
        let a = TimingSamples(perOp: [10, 11, 12, 13], rounds: [0, 1, 2, 3])
        let b = TimingSamples(perOp: [20, 22, 23], rounds: [0, 2, 3])
        let (rounds, values) = TimingSamples.alignedRounds([a, b])
        #expect(rounds == [0, 2, 3])
        #expect(values == [[10, 12, 13], [20, 22, 23]])
        #expect(TimingSamples.alignedRounds([]).rounds.isEmpty)
    }
}
