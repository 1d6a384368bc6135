import Foundation
import Testing
@testable import BenchCore

/// A tick source on a virtual clock: each edge read costs `edgeTicks`, a
/// CPU-id read `cpuTagTicks` (it must stay outside every region), a body
/// advances the clock by what it says it costs, and the CPU id comes from a
/// script (0 when the script is empty), as does the context-switch count.
/// Every figure the kernel computes from it is known exactly.
final class VirtualClock: TickSource {
    var now: UInt64 = 1_000
    let edgeTicks: UInt64
    let cpuTagTicks: UInt64 = 10_000
    var cpus: [UInt32]
    var switches: [Int] = []
    private(set) var reads = 0

    init(edgeTicks: UInt64 = 50, cpus: [UInt32] = []) { self.edgeTicks = edgeTicks; self.cpus = cpus }

    func ticks() -> UInt64 {
        let t = now
        now += edgeTicks
        reads += 1
        return t
    }

    func cpuTag() -> UInt32 {
        now += cpuTagTicks
        return cpus.isEmpty ? 0 : cpus.removeFirst()
    }

    func contextSwitches() -> Int { switches.isEmpty ? 0 : switches.removeFirst() }

    /// A body of `perOp` ticks per operation.
    func body(perOp: UInt64) -> (Int) -> Void { { n in self.now += perOp * UInt64(n) } }
}

/// The kernel's arithmetic, exactly, through an injected clock.  No test
/// here times anything.
@Suite struct ClockedKernelTests {
    @Test func regionIsEdgeCostPlusBody() {
        let clock = VirtualClock(edgeTicks: 50)
        let k = ClockedKernel(clock: clock)
        #expect(k.region(4, clock.body(perOp: 7)) == 50 + 28)
        #expect(k.emptyRegion(samples: 3) == [50, 50, 50])
    }

    @Test func differencingCancelsTheRegionCost() {
        let clock = VirtualClock(edgeTicks: 50)
        let m = ClockedKernel(clock: clock).measure(inner: 8, samples: 5, warmup: 2, clock.body(perOp: 7))
        // (t(2K) - t(K)) / K with t(n) = 50 + 7n: exactly 7, whatever the edge cost.
        #expect(m.perOp == [7, 7, 7, 7, 7])
        #expect(m.shortRegions == Array(repeating: 50 + 7 * 8, count: 5))
        #expect(m.longRegions == Array(repeating: 50 + 7 * 16, count: 5))
        #expect(m.inner == 8 && m.migrationsDropped == 0)
        // Two edges per region, two regions per sample; warm-up reads nothing.
        #expect(clock.reads == 5 * 4)
    }

    @Test func differencingIsExactForFractionalCosts() {
        // 9 ticks for 4 operations per region step: 2.25 per operation.
        let clock = VirtualClock(edgeTicks: 31)
        let k = ClockedKernel(clock: clock)
        var extra = 0
        let m = k.measure(inner: 4, samples: 4, warmup: 0) { n in
            extra += 1
            clock.now += UInt64(9 * n / 4)
        }
        #expect(m.perOp == [2.25, 2.25, 2.25, 2.25])
        #expect(extra == 8)
    }

    @Test func migratedPairsAreDroppedAndCounted() {
        // Sample 1: both regions on CPU 0.  Sample 2: the short region moves
        // (0 -> 1).  Sample 3: the long region moves.  Then stable.
        let cpus: [UInt32] = [0, 0, 0, 0,  0, 1, 1, 1,  1, 1, 1, 2] + Array(repeating: 3, count: 40)
        let clock = VirtualClock(edgeTicks: 50, cpus: cpus)
        let m = ClockedKernel(clock: clock).measure(inner: 2, samples: 3, warmup: 0, clock.body(perOp: 5))
        #expect(m.perOp == [5, 5, 5])
        #expect(m.migrationsDropped == 2)
    }

    @Test func aThreadThatAlwaysMigratesGivesUpAfterFourTriesPerSample() {
        let clock = VirtualClock(edgeTicks: 50, cpus: (0..<200).map { UInt32($0) })
        let m = ClockedKernel(clock: clock).measure(inner: 2, samples: 3, warmup: 0, clock.body(perOp: 5))
        #expect(m.perOp.isEmpty && m.summary == nil)
        #expect(m.migrationsDropped == 12)
    }

    @Test func eventsSubtractTheFloorFromEachRegion() {
        let clock = VirtualClock(edgeTicks: 40)
        var setups: [Int] = []
        let m = ClockedKernel(clock: clock).events(count: 4, floor: 40, setup: { setups.append($0) }) { i in
            clock.now += UInt64(1_000 * (i + 1))
        }
        #expect(m.perOp == [1_000, 2_000, 3_000, 4_000])
        #expect(setups == [0, 1, 2, 3])
        #expect(m.inner == 1 && m.migrationsDropped == 0)
    }

    @Test func innerCountIsTheFirstPowerOfTwoReachingTheTarget() {
        // region(k) = 50 + 7k >= 1,000 first at k = 256 (k = 128 gives 946).
        let clock = VirtualClock(edgeTicks: 50)
        let k = ClockedKernel(clock: clock)
        #expect(k.innerCount(targetTicks: 1_000, clock.body(perOp: 7)) == 256)
        #expect(k.innerCount(targetTicks: 946, clock.body(perOp: 7)) == 128)
        #expect(k.innerCount(targetTicks: 1e12, maxInner: 64, clock.body(perOp: 7)) == 64)
    }
}
