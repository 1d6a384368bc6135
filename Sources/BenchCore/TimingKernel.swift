import CXState
import Foundation

/// The measurement core: fenced TSC reads around a body, migration checks,
/// and differencing that cancels the harness's own cost.
///
/// Every timed region is exactly
///
///     t0 = lfence; rdtsc; lfence      // earlier work done, later work not started
///     body(k)
///     t1 = lfence; rdtsc; lfence
///
/// and the CPU id is read *outside* that region, before t0 and after t1
/// (RDTSCP's TSC_AUX where the CPU has RDTSCP, else sched_getcpu), so the
/// migration check adds nothing to what is timed.  A sample whose two CPU
/// ids differ is discarded and counted.
public final class TimingKernel: @unchecked Sendable {
    /// How the CPU id around each sample is read.
    public let migrationProbe: String
    private let useRDTSCP: Bool

    public init(features: CPUFeatures) {
        useRDTSCP = features.rdtscp
        migrationProbe = features.rdtscp ? "rdtscp-tsc-aux" : "sched_getcpu"
    }

    @inline(__always)
    func cpuTag() -> UInt32 {
        if useRDTSCP {
            var aux: UInt32 = 0
            _ = cx_rdtscp(&aux)
            return aux
        }
        return UInt32(bitPattern: cx_current_cpu())
    }

    /// One timed region around `body(k)`, in ticks, or nil if the thread migrated.
    @inline(__always)
    func region(_ k: Int, _ body: (Int) -> Void) -> UInt64? {
        let c0 = cpuTag()
        let t0 = cx_rdtsc_fenced()
        body(k)
        let t1 = cx_rdtsc_fenced()
        let c1 = cpuTag()
        return c0 == c1 ? t1 &- t0 : nil
    }

    /// The empty timed region (two back-to-back fenced reads) from Swift:
    /// `samples` values in ticks.  This is the floor every region pays.
    public func emptyRegion(samples: Int) -> [Double] {
        (0..<samples).map { _ in
            let t0 = cx_rdtsc_fenced()
            let t1 = cx_rdtsc_fenced()
            return Double(t1 &- t0)
        }
    }

    /// The same empty region timed entirely in C, as a reference for the Swift one.
    public func emptyRegionC(samples: Int) -> [Double] {
        (0..<samples).map { _ in Double(cx_empty_region_ticks()) }
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
    /// granularity when `inner` is large.  Migrated samples are discarded.
    ///
    /// - Parameters:
    ///   - inner: operations per short region (>= 1).
    ///   - samples: paired samples to keep (>= 1).
    ///   - warmup: untimed `body(inner)` calls first (first executions of
    ///     AVX, XSAVE paths and first page touches are slow).
    public func measure(inner: Int, samples: Int, warmup: Int = 3, _ body: (Int) -> Void) -> TimingSamples {
        precondition(inner >= 1 && samples >= 1)
        for _ in 0..<warmup { body(inner) }
        var perOp: [Double] = [], short: [Double] = [], long: [Double] = []
        perOp.reserveCapacity(samples)
        var dropped = 0
        var attempts = 0
        while perOp.count < samples && attempts < samples * 4 {
            attempts += 1
            let longFirst = attempts & 1 == 0
            let a = region(longFirst ? 2 * inner : inner, body)
            let b = region(longFirst ? inner : 2 * inner, body)
            guard let ta = a, let tb = b else { dropped += 1; continue }
            let (ts, tl) = longFirst ? (tb, ta) : (ta, tb)
            short.append(Double(ts)); long.append(Double(tl))
            perOp.append((Double(tl) - Double(ts)) / Double(inner))
        }
        return TimingSamples(perOp: perOp, inner: inner, shortRegions: short, longRegions: long,
                           migrationsDropped: dropped)
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

    /// Single-event latencies, in ticks, for events too slow or too
    /// stateful to repeat in a loop (an allocation, a first touch).  Each
    /// event is one timed region; `floor` (the median empty region of this
    /// run) is subtracted, which is sound only when events are long compared
    /// with the floor's spread.  `setup` runs untimed before each event.
    public func events(count: Int, floor: Double, setup: (Int) -> Void = { _ in },
                       _ event: (Int) -> Void) -> TimingSamples {
        var values: [Double] = []
        values.reserveCapacity(count)
        var dropped = 0
        for i in 0..<count {
            setup(i)
            if let t = region(i, event) { values.append(Double(t) - floor) } else { dropped += 1 }
        }
        return TimingSamples(perOp: values, inner: 1, shortRegions: [], longRegions: [],
                           migrationsDropped: dropped)
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

    public init(perOp: [Double], inner: Int = 1, shortRegions: [Double] = [], longRegions: [Double] = [],
                migrationsDropped: Int = 0) {
        self.perOp = perOp; self.inner = inner; self.shortRegions = shortRegions
        self.longRegions = longRegions; self.migrationsDropped = migrationsDropped
    }

    /// Summary of `perOp`; nil when every sample migrated.
    public var summary: Summary? { perOp.isEmpty ? nil : Summary(perOp) }
}
