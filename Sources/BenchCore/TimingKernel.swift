import CXState
import Foundation

/// Where a timed region's edges and the CPU id around it come from.
///
/// The kernel's arithmetic is written once, over this protocol.  The real
/// source is `FencedTSC`; a test hands `ClockedKernel` a scripted source and
/// checks the arithmetic exactly, with no duration involved.
public protocol TickSource {
    /// The tick count at one edge of a timed region (start or stop).
    func ticks() -> UInt64
    /// An id of the CPU the thread runs on; read outside timed regions.
    func cpuTag() -> UInt32
    /// Context switches of the calling thread so far; read outside timed
    /// regions, to find measurements during which the thread was switched out.
    func contextSwitches() -> Int
}

/// The real tick source: `lfence; rdtsc; lfence` at each edge, RDTSCP's
/// TSC_AUX (or sched_getcpu without RDTSCP) for the CPU id.  Both are
/// `static inline` C, inlined into the specialised kernel in release builds:
/// a timed region holds the fenced reads and the body's call, nothing else.
public struct FencedTSC: TickSource {
    /// Read the CPU id with RDTSCP (precondition: CPUID.80000001H:EDX[27]).
    public let useRDTSCP: Bool

    public init(useRDTSCP: Bool) { self.useRDTSCP = useRDTSCP }

    @inline(__always)
    public func ticks() -> UInt64 { cx_rdtsc_fenced() }

    @inline(__always)
    public func cpuTag() -> UInt32 {
        if useRDTSCP {
            var aux: UInt32 = 0
            _ = cx_rdtscp(&aux)
            return aux
        }
        return UInt32(bitPattern: cx_current_cpu())
    }

    /// Voluntary + involuntary context switches of the calling thread
    /// (getrusage with RUSAGE_THREAD, Linux value 1); 0 when unavailable.
    public func contextSwitches() -> Int {
        #if os(Linux)
        var ru = rusage()
        guard getrusage(__rusage_who_t(1), &ru) == 0 else { return 0 }
        return ru.ru_nvcsw + ru.ru_nivcsw
        #else
        return 0
        #endif
    }
}

/// The measurement core over any tick source: timed regions, migration
/// checks, and differencing that cancels the harness's own cost.
///
/// Every timed region is exactly
///
///     c0 = cpuTag()                    // outside the region
///     t0 = ticks()                     // lfence; rdtsc; lfence: earlier work done, later work not started
///     body(k)
///     t1 = ticks()
///     c1 = cpuTag()                    // outside the region
///
/// so the migration check adds nothing to what is timed.  A region whose
/// two CPU ids differ is discarded and counted.
public struct ClockedKernel<Clock: TickSource> {
    public let clock: Clock

    public init(clock: Clock) { self.clock = clock }

    /// One timed region around `body(k)`, in ticks, or nil if the thread migrated.
    @inline(__always)
    func region(_ k: Int, _ body: (Int) -> Void) -> UInt64? {
        let c0 = clock.cpuTag()
        let t0 = clock.ticks()
        body(k)
        let t1 = clock.ticks()
        let c1 = clock.cpuTag()
        return c0 == c1 ? t1 &- t0 : nil
    }

    /// `samples` empty timed regions (two back-to-back edge reads), in ticks.
    public func emptyRegion(samples: Int) -> [Double] {
        (0..<max(samples, 0)).map { _ in
            let t0 = clock.ticks()
            let t1 = clock.ticks()
            return Double(t1 &- t0)
        }
    }

    /// Amortised per-operation cost of `body`, in ticks: see `TimingKernel.measure`.
    public func measure(inner: Int, samples: Int, warmup: Int = 3, _ body: (Int) -> Void) -> TimingSamples {
        precondition(inner >= 1 && samples >= 1)
        for _ in 0..<warmup { body(inner) }
        var perOp: [Double] = [], short: [Double] = [], long: [Double] = []
        perOp.reserveCapacity(samples)
        var dropped = 0
        var attempts = 0
        while perOp.count < samples && attempts < samples * 4 {
            attempts += 1
            // Alternate which length goes first, so drift within a pair
            // adds to the long region as often as to the short one.
            let longFirst = attempts & 1 == 0
            let a = region(longFirst ? 2 * inner : inner, body)
            let b = region(longFirst ? inner : 2 * inner, body)
            guard let ta = a, let tb = b else { dropped += 1; continue }
            let (ts, tl) = longFirst ? (tb, ta) : (ta, tb)
            short.append(Double(ts)); long.append(Double(tl))
            // Both regions paid the fences, the reads and the call once;
            // the difference is `inner` operations and nothing else.
            perOp.append(Self.perOperation(short: Double(ts), long: Double(tl), inner: inner))
        }
        return TimingSamples(perOp: perOp, inner: inner, shortRegions: short, longRegions: long,
                             migrationsDropped: dropped)
    }

    /// The differenced per-operation cost: `(t(2K) - t(K)) / K`, ticks.
    @inline(__always)
    static func perOperation(short: Double, long: Double, inner: Int) -> Double {
        (long - short) / Double(inner)
    }

    /// An `inner` count for which one `body(inner)` region takes at least
    /// `targetTicks` (doubling from 1, capped at `maxInner`).
    public func innerCount(targetTicks: Double, maxInner: Int = 1 << 24, _ body: (Int) -> Void) -> Int {
        var k = 1
        body(1)
        while k < maxInner {
            // Spelled out: `map(Double.init)` on a UInt64 picks Double(bitPattern:).
            let t = (0..<3).compactMap { _ in region(k, body) }.min().map { Double($0) } ?? 0
            if t >= targetTicks { break }
            k *= 2
        }
        return k
    }

    /// Single-event latencies, in ticks: see `TimingKernel.events`.
    public func events(count: Int, floor: Double, setup: (Int) -> Void = { _ in },
                       _ event: (Int) -> Void) -> TimingSamples {
        var values: [Double] = []
        values.reserveCapacity(max(count, 0))
        var dropped = 0
        for i in 0..<max(count, 0) {
            setup(i)
            if let t = region(i, event) { values.append(Double(t) - floor) } else { dropped += 1 }
        }
        return TimingSamples(perOp: values, inner: 1, shortRegions: [], longRegions: [],
                             migrationsDropped: dropped)
    }
}

/// The measurement core on the real clock (`FencedTSC`), as the suites use it.
///
/// Every method forwards to `ClockedKernel<FencedTSC>`, which the compiler
/// specialises in this module, so the fenced reads are inlined into the
/// timing loops and the closure call is the only thing between them and
/// the body.
public final class TimingKernel: @unchecked Sendable {
    /// How the CPU id around each sample is read.
    public let migrationProbe: String
    let core: ClockedKernel<FencedTSC>

    public init(features: CPUFeatures) {
        core = ClockedKernel(clock: FencedTSC(useRDTSCP: features.rdtscp))
        migrationProbe = features.rdtscp ? "rdtscp-tsc-aux" : "sched_getcpu"
    }

    /// The empty timed region (two back-to-back fenced reads) from Swift:
    /// `samples` values in ticks.  This is the floor every region pays.
    public func emptyRegion(samples: Int) -> [Double] { core.emptyRegion(samples: samples) }

    /// One event in one fenced region, for what cannot repeat in a loop
    /// (one ioctl, one KVM_RUN, a first tile use): its ticks, the region's
    /// fixed cost (the run's empty region) included, and the body's value.
    /// The first fence makes earlier work finish before the start is read,
    /// the second makes the body finish before the end is read.
    @inline(__always)
    public static func region<T>(_ body: () throws -> T) rethrows -> (ticks: Double, value: T) {
        let t0 = cx_rdtsc_fenced()
        let value = try body()
        let t1 = cx_rdtsc_fenced()
        return (Double(t1 &- t0), value)
    }

    /// Amortised per-operation cost of `body`, in ticks.
    ///
    /// `body(n)` must perform the operation exactly `n` times.  Each sample
    /// times `body(inner)` and `body(2 * inner)` back to back (in alternating
    /// order, so slow drift cancels) and records
    ///
    ///     (t(2 * inner) - t(inner)) / inner
    ///
    /// The fences, the TSC reads, the closure call and anything else paid
    /// once per region appear in both terms and cancel; what is left is the
    /// cost of `inner` more operations, resolvable far below the TSC's
    /// granularity when `inner` is large.  Migrated samples are discarded
    /// (at most `4 * samples` pairs are tried).
    ///
    /// - Parameters:
    ///   - inner: operations per short region (>= 1).
    ///   - samples: paired samples to keep (>= 1).
    ///   - warmup: untimed `body(inner)` calls first (first executions of
    ///     AVX, XSAVE paths and first page touches are slow).
    public func measure(inner: Int, samples: Int, warmup: Int = 3, _ body: (Int) -> Void) -> TimingSamples {
        core.measure(inner: inner, samples: samples, warmup: warmup, body)
    }

    /// An `inner` count for which one `body(inner)` region takes at least
    /// `targetTicks` (doubling from 1, capped at `maxInner`).
    public func innerCount(targetTicks: Double, maxInner: Int = 1 << 24, _ body: (Int) -> Void) -> Int {
        core.innerCount(targetTicks: targetTicks, maxInner: maxInner, body)
    }

    /// Single-event latencies, in ticks, for events too slow or too
    /// stateful to repeat in a loop (an allocation, a first touch).  Each
    /// event is one timed region; `floor` (the median empty region of this
    /// run) is subtracted, which is sound only when events are long compared
    /// with the floor's spread.  `setup` runs untimed before each event.
    /// With an empty `event` and `floor` 0 the values are the region as
    /// every measurement pays it: fences, reads and the closure call.
    public func events(count: Int, floor: Double, setup: (Int) -> Void = { _ in },
                       _ event: (Int) -> Void) -> TimingSamples {
        core.events(count: count, floor: floor, setup: setup, event)
    }
}

/// What one `TimingKernel` measurement produced.  All values in TSC ticks.
public struct TimingSamples: Sendable {
    /// Per-operation samples (differenced, or floor-subtracted for events).
    public var perOp: [Double]
    /// Operations per short region.
    public var inner: Int
    /// Raw region times, kept for `--samples`.
    public var shortRegions: [Double], longRegions: [Double]
    /// Samples discarded because the thread changed CPU.
    public var migrationsDropped: Int
    /// The round each value of `perOp` was taken in, for measurements made
    /// in interleaved rounds (`TimingKernel.interleaved`); empty otherwise.
    public var rounds: [Int]
    /// Slices of rounds discarded and retaken because the thread was
    /// context-switched during them (`RoundPlan.preemptionRetries`).
    public var preempted: Int

    public init(perOp: [Double], inner: Int = 1, shortRegions: [Double] = [], longRegions: [Double] = [],
                migrationsDropped: Int = 0, rounds: [Int] = [], preempted: Int = 0) {
        self.perOp = perOp; self.inner = inner; self.shortRegions = shortRegions
        self.longRegions = longRegions; self.migrationsDropped = migrationsDropped; self.rounds = rounds
        self.preempted = preempted
    }

    /// Summary of `perOp`; nil when every sample migrated.
    public var summary: Summary? { perOp.isEmpty ? nil : Summary(perOp) }
}
