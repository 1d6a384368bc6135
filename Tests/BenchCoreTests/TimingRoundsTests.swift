import Testing
@testable import BenchCore

/// Interleaved rounds through an injected clock: which case runs when, how
/// samples are split and merged.  Exact, no durations.
@Suite struct TimingRoundsTests {
    @Test func samplesAreSplitOverRoundsAndMergedInOrder() {
        let clock = VirtualClock(edgeTicks: 50)
        var log: [String] = []
        let a = TimedCase.differenced(inner: 4, before: { log.append("a<") }, after: { log.append("a>") },
                                      clock.body(perOp: 3))
        let b = TimedCase.events(floor: 50, before: { log.append("b<") }, after: { log.append("b>") }) { i in
            clock.now += 100
        }
        var steps: [Int] = []
        let m = ClockedKernel(clock: clock).interleaved([a, b], plan: RoundPlan(rounds: 3, samples: 7, warmupCalls: 0)) {
            steps.append($0)
        }
        #expect(steps == [0, 1, 2])
        // 7 samples over 3 rounds: 3, 2, 2; the order rotates every round.
        #expect(log == ["a<", "a>", "b<", "b>",  "b<", "b>", "a<", "a>",  "a<", "a>", "b<", "b>"])
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
}
