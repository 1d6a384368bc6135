/// One measurement of a set taken in interleaved rounds
/// (`TimingKernel.interleaved`): what to time, how, and the untimed work
/// around it.
public struct TimedCase {
    public enum Method: Equatable {
        /// `measure(inner:)`: `(t(2K) - t(K)) / K` per sample.
        case differenced(inner: Int)
        /// `events(floor:)`: one event per region, `floor` subtracted.
        case events(floor: Double)
    }

    public var method: Method
    /// The timed work: `body(n)` runs the operation `n` times (differenced),
    /// or event number `n` (events).
    public var body: (Int) -> Void
    /// Untimed, before each event (events only).
    public var setup: (Int) -> Void
    /// Untimed, before and after this case's slice of round r (the
    /// argument): state a slice needs (a buffer reset, an image to restore,
    /// the window of a sequence to run) or must put back.  Warm-up calls
    /// pass -1.
    public var before: (Int) -> Void
    public var after: (Int) -> Void

    /// A differenced case of `inner` operations per short region.
    public static func differenced(inner: Int, before: @escaping (Int) -> Void = { _ in },
                                   after: @escaping (Int) -> Void = { _ in },
                                   _ body: @escaping (Int) -> Void) -> TimedCase {
        TimedCase(method: .differenced(inner: inner), body: body, setup: { _ in }, before: before, after: after)
    }

    /// An event case; `floor` is subtracted from every region.
    public static func events(floor: Double, setup: @escaping (Int) -> Void = { _ in },
                              before: @escaping (Int) -> Void = { _ in }, after: @escaping (Int) -> Void = { _ in },
                              _ event: @escaping (Int) -> Void) -> TimedCase {
        TimedCase(method: .events(floor: floor), body: event, setup: setup, before: before, after: after)
    }

    /// What one untimed warm-up call passes to `body`.
    var warmupCount: Int {
        if case .differenced(let inner) = method { return inner }
        return 0
    }
}

/// How a set of cases is spread over rounds.
public struct RoundPlan: Sendable {
    /// Rounds (>= 1).  Every round takes a slice of every case, so a slow
    /// spell of a shared machine lands on a slice of each case instead of
    /// all the samples of a few, and figures compared with each other see
    /// the same machine states.
    public var rounds: Int
    /// Samples per case over all rounds (>= 1); round r takes
    /// `samples / rounds`, the first `samples % rounds` rounds one more.
    public var samples: Int
    /// Untimed calls of the cases' bodies, in turn, before the first round,
    /// until at least this many ticks have passed (a core ramping up from
    /// idle, first executions of AVX or XSAVE paths, first page touches).
    public var warmupTicks: UInt64
    /// Untimed `body(inner)` calls before each differenced slice.
    public var warmupCalls: Int
    /// Rotate the order of the cases by one every round, so no case always
    /// runs first (just after the previous round's last case).
    public var rotate: Bool
    /// Times a slice during which the thread was context-switched out is
    /// discarded and taken again (0: slices are kept as they come).  A
    /// slice still preempted after the last retry is dropped: its round
    /// then lacks that case (see `TimingSamples.alignedRounds`).
    public var preemptionRetries: Int

    public init(rounds: Int, samples: Int, warmupTicks: UInt64 = 0, warmupCalls: Int = 2, rotate: Bool = true,
                preemptionRetries: Int = 0) {
        self.rounds = rounds; self.samples = samples; self.warmupTicks = warmupTicks
        self.warmupCalls = warmupCalls; self.rotate = rotate; self.preemptionRetries = preemptionRetries
    }

    /// Samples round `r` takes of each case.
    public func samples(inRound r: Int) -> Int {
        samples / rounds + (r < samples % rounds ? 1 : 0)
    }

    /// The case that runs `position`-th (0-based) in round `r` of `count`
    /// cases: with `rotate`, the order starts one case later every round.
    /// Precondition: `0 <= position < count`, `r >= 0`.
    public func caseIndex(_ position: Int, inRound r: Int, of count: Int) -> Int {
        rotate ? (position + r) % count : position
    }

    /// Upper bound on untimed warm-up calls, whatever the clock says.
    static let maxWarmupCalls = 1 << 22
}

extension ClockedKernel {
    /// Measures `cases` in interleaved rounds and merges each case's samples
    /// over the rounds (in round order; `TimingSamples.rounds` says which
    /// round each sample came from).  `step(r)` runs before round r (a
    /// progress line; throwing there, on an interrupt, ends the measurement).
    public func interleaved(_ cases: [TimedCase], plan: RoundPlan,
                            step: (Int) throws -> Void) rethrows -> [TimingSamples] {
        precondition(plan.rounds >= 1 && plan.samples >= 1 && plan.preemptionRetries >= 0)
        var merged = cases.map { c -> TimingSamples in
            if case .differenced(let inner) = c.method { return TimingSamples(perOp: [], inner: inner) }
            return TimingSamples(perOp: [])
        }
        if plan.warmupTicks > 0 && !cases.isEmpty {
            let t0 = clock.ticks()
            var calls = 0
            while clock.ticks() &- t0 < plan.warmupTicks && calls < RoundPlan.maxWarmupCalls {
                let c = cases[calls % cases.count]
                c.before(-1)
                c.body(c.warmupCount)
                c.after(-1)
                calls += 1
            }
        }
        for r in 0..<plan.rounds {
            try step(r)
            let n = plan.samples(inRound: r)
            guard n > 0 else { continue }
            for j in cases.indices {
                let i = plan.caseIndex(j, inRound: r, of: cases.count)
                let c = cases[i]
                for attempt in 0...plan.preemptionRetries {
                    c.before(r)
                    let switches = plan.preemptionRetries > 0 ? clock.contextSwitches() : 0
                    let m: TimingSamples
                    switch c.method {
                    case .differenced(let inner):
                        m = measure(inner: inner, samples: n, warmup: plan.warmupCalls, c.body)
                    case .events(let floor):
                        m = events(count: n, floor: floor, setup: c.setup, c.body)
                    }
                    let switchedOut = plan.preemptionRetries > 0 && clock.contextSwitches() != switches
                    c.after(r)
                    if switchedOut {
                        merged[i].preempted += 1
                        merged[i].migrationsDropped += m.migrationsDropped
                        if attempt < plan.preemptionRetries { continue }
                        break
                    }
                    merged[i].append(m, round: r)
                    break
                }
            }
        }
        return merged
    }
}

extension TimingKernel {
    /// Measures `cases` in interleaved rounds: see `ClockedKernel.interleaved`.
    public func interleaved(_ cases: [TimedCase], plan: RoundPlan,
                            step: (Int) throws -> Void) rethrows -> [TimingSamples] {
        try core.interleaved(cases, plan: plan, step: step)
    }
}

extension TimingSamples {
    /// Appends the samples of `other`, taken in round `round`: values and
    /// raw regions in order, migrations and preemptions summed.
    public mutating func append(_ other: TimingSamples, round: Int) {
        perOp += other.perOp
        shortRegions += other.shortRegions
        longRegions += other.longRegions
        migrationsDropped += other.migrationsDropped
        preempted += other.preempted
        rounds += Array(repeating: round, count: other.perOp.count)
    }

    /// Per-round values of measurements made together with one sample per
    /// round (`RoundPlan.samples == rounds`): `[case][k]` is case's value in
    /// the k-th round that every case completed, so figures of one round
    /// can be differenced pairwise.  Rounds a case lacks (all its samples
    /// migrated, or preempted past the retries) are left out for all.
    public static func alignedRounds(_ cases: [TimingSamples]) -> (rounds: [Int], values: [[Double]]) {
        let byRound = cases.map { c in Dictionary(zip(c.rounds, c.perOp), uniquingKeysWith: { first, _ in first }) }
        guard let first = byRound.first else { return ([], []) }
        let common = first.keys.filter { r in byRound.allSatisfy { $0[r] != nil } }.sorted()
        return (common, byRound.map { d in common.compactMap { d[$0] } })
    }
}
