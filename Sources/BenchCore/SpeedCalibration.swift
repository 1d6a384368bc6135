import Foundation

/// The machine's speed state, measured before and after every suite.
///
/// Shared and virtual machines run at different speeds from one process to
/// the next and hold that speed within a process: on a Zen 4 VM the same
/// loop of 1,000 dependent adds took 754 or 780 ticks in consecutive
/// processes (XSAVE 135 or 169).  A run reports whichever state it met, so
/// two unchanged runs can differ.  The calibration is a fixed block (16 and
/// 32 chains of 1,000 dependent adds, differenced, 200 samples, ~2-3 ms),
/// the same in every run and every mode, so its figure can be compared
/// between runs: ticks per 1,000 adds.  It reads core clock and contention
/// on the core's ALUs; work that leans on memory or microcode (XSAVE) can
/// move several times more between states than this figure does, so a
/// moved calibration says "another state", not "by this much".
public final class SpeedCalibration: @unchecked Sendable {
    /// Adds per chain, in blocks of 100.
    public static let chainBlocks: UInt64 = 10
    /// Chains per short region (the long region has twice as many).
    public static let chainsPerRegion = 16
    /// Differenced samples per calibration.
    public static let samples = 200
    /// Largest move within one suite (end against start) that is not
    /// reported, as a fraction.  Within a quick harness run on the Zen 4 VM
    /// the figure moved up to 2 %; the two states seen there between
    /// processes were 3.4 % apart.
    public static let driftTolerance = 0.03
    /// Largest distance from the fastest calibration of the run that is not
    /// reported, as a fraction.
    public static let bestTolerance = 0.10
    /// Largest difference between two runs' calibrations that `compare`
    /// does not report, as a fraction (the same reasoning as `driftTolerance`).
    public static let compareTolerance = 0.03

    /// The row name the calibration rows carry.
    public static let benchmark = "_calibration"
    public static let metric = "per_1000_adds"

    private let kernel: TimingKernel
    private let chain = AddChain(blocks: chainBlocks)
    /// The fastest (lowest) figure this run measured, ticks per 1,000 adds.
    public private(set) var best: Double?

    public init(kernel: TimingKernel) { self.kernel = kernel }

    /// One calibration: ticks per 1,000 dependent adds; no summary when
    /// every sample migrated.
    public func measure() -> TimingSamples {
        let m = kernel.measure(inner: Self.chainsPerRegion, samples: Self.samples, warmup: 3, chain.run)
        if let v = m.summary?.median, v > 0 { best = min(best ?? v, v) }
        return m
    }

    /// One calibration's median, ticks per 1,000 adds; nil when every
    /// sample migrated.
    public func median() -> Double? { measure().summary?.median }

    /// The two rows of one repetition of a suite, `at=start` and `at=end`.
    public static func rows(suite: String, start: TimingSamples, end: TimingSamples) -> [ResultRow] {
        [("start", start), ("end", end)].map { at, m in
            var row = ResultRow.timing(
                suite, benchmark, ["at": at], metric: metric, m,
                note: "speed state \(at == "start" ? "before" : "after") the suite: (t(32) - t(16)) / 16 chains of 1,000 dependent adds, "
                    + "\(samples) samples; reported, not gated")
            row.gate = .info
            return row
        }
    }

    /// Warnings about one suite's calibrations: moved during the suite by
    /// more than `driftTolerance`, or far (`bestTolerance`) from `best`.
    public static func warnings(suite: String, start: Double?, end: Double?, best: Double?) -> [String] {
        guard let start, let end, start > 0, end > 0 else {
            return ["warning: \(suite): the speed calibration could not be measured (every sample migrated)"]
        }
        var out: [String] = []
        let moved = end / start - 1
        if abs(moved) > driftTolerance {
            out.append(String(format: "warning: %@: the machine's speed moved during the suite: calibration %.1f -> %.1f ticks per 1,000 adds (%+.1f%%, tolerance %.0f%%); its timings mix two speed states",
                              suite, start, end, 100 * moved, 100 * driftTolerance))
        }
        if let best, best > 0 {
            let slowest = max(start, end)
            if slowest / best - 1 > bestTolerance {
                out.append(String(format: "warning: %@: ran %.0f%% slower than the fastest calibration of this run (%.1f against %.1f ticks per 1,000 adds, tolerance %.0f%%); its timings are from a slow state",
                                  suite, 100 * (slowest / best - 1), slowest, best, 100 * bestTolerance))
            }
        }
        return out
    }

    /// The line `compare` prints when two runs' calibrations of a suite
    /// differ by more than `compareTolerance`, else nil.
    public static func comparisonWarning(suite: String, baseline: Double, current: Double) -> String? {
        guard baseline > 0, current > 0 else { return nil }
        let change = current / baseline - 1
        guard abs(change) > compareTolerance else { return nil }
        return String(format: "%@: speed calibration %.1f (baseline) vs %.1f (current) ticks per 1,000 adds (%+.1f%%, tolerance %.0f%%): the machines were in different speed states; timing differences of that size are not regressions",
                      suite, baseline, current, 100 * change, 100 * compareTolerance)
    }
}

/// One suite's speed calibrations, as `environment.json` records them:
/// ticks per 1,000 dependent adds before its first repetition and after
/// its last (`SpeedCalibration`).
public struct SpeedCalibrationRecord: Codable, Sendable, Equatable {
    public var startTicks: Double?
    public var endTicks: Double?

    public init(startTicks: Double?, endTicks: Double?) {
        self.startTicks = startTicks; self.endTicks = endTicks
    }

    enum CodingKeys: String, CodingKey {
        case startTicks = "start_ticks_per_1000_adds", endTicks = "end_ticks_per_1000_adds"
    }
}
