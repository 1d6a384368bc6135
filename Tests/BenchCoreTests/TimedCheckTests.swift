import Testing
@testable import BenchCore

/// Timed self-checks decide on repeated evidence: scripted attempts and
/// calibrations, no timing.
@Suite struct TimedCheckTests {
    func attempt(_ v: Double, _ before: Double? = 760, _ after: Double? = 760) -> TimedCheckAttempt {
        TimedCheckAttempt(value: v, calibrationBefore: before, calibrationAfter: after)
    }

    @Test func aSingleExcursionIsMeasuredAgainNotFailed() {
        #expect(TimedCheck.verdict([attempt(0.934)], expected: 1, tolerance: 0.03) == nil)
        #expect(TimedCheck.verdict([attempt(0.934), attempt(0.95)], expected: 1, tolerance: 0.03) == nil)
        #expect(TimedCheck.verdict([attempt(0.934), attempt(0.999)], expected: 1, tolerance: 0.03) == .passed)
        #expect(TimedCheck.verdict([attempt(1.0)], expected: 1, tolerance: 0.03) == .passed)
    }

    @Test func aPersistentDeviationOnASteadyMachineFails() {
        let steady = [attempt(0.93, 760, 762), attempt(0.94, 762, 759), attempt(0.93, 759, 765)]
        #expect(TimedCheck.verdict(steady, expected: 1, tolerance: 0.03) == .failed)
        // Not a finite figure at all: fails (ResultRow.check does the same).
        #expect(TimedCheck.verdict([attempt(.nan), attempt(.nan), attempt(.nan)], expected: 1, tolerance: 0.03) == .failed)
    }

    @Test func aMachineThatMovedUnderTheCheckIsDisturbed() {
        // 760 -> 790 is +3.9 %, beyond the 3 % drift tolerance.
        let moved = [attempt(0.93, 760, 790), attempt(0.94, 790, 770), attempt(0.93, 770, 775)]
        #expect(TimedCheck.calibrationDrift(moved).map { abs($0 - 30.0 / 760) < 1e-12 } == true)
        #expect(TimedCheck.verdict(moved, expected: 1, tolerance: 0.03) == .disturbed)
        // Unmeasured calibrations are no evidence of a move.
        #expect(TimedCheck.verdict([attempt(0.9, nil, nil), attempt(0.9, nil, nil), attempt(0.9, nil, nil)],
                                   expected: 1, tolerance: 0.03) == .failed)
    }

    @Test func aDeviationTheMoveCannotExplainStillFails() {
        // +3.9 % of speed cannot make 1.5 out of 1: an injected +50 % fault fails under a small move.
        let moved = [attempt(1.5, 760, 790), attempt(1.49, 790, 770), attempt(1.51, 770, 775)]
        #expect(TimedCheck.verdict(moved, expected: 1, tolerance: 0.03) == .failed)
        // Per-attempt references (measured with the figure) are what the move is weighed against.
        let own = [TimedCheckAttempt(value: 22.5, calibrationBefore: 843, calibrationAfter: 846, expected: 14.9, tolerance: 5.2),
                   TimedCheckAttempt(value: 22.4, calibrationBefore: 846, calibrationAfter: 820, expected: 14.3, tolerance: 5.1),
                   TimedCheckAttempt(value: 22.5, calibrationBefore: 820, calibrationAfter: 842, expected: 14.9, tolerance: 5.2)]
        #expect(TimedCheck.verdict(own, expected: 0, tolerance: 0) == .failed)
        // The same attempts with a reference the move can reach are disturbed.
        let near = own.map { a -> TimedCheckAttempt in var b = a; b.expected = a.value - a.tolerance! - 0.5; return b }
        #expect(TimedCheck.verdict(near, expected: 0, tolerance: 0) == .disturbed)
    }

    @Test func runStopsAtTheFirstAttemptWithinAndAtTheBound() {
        var values = [0.934, 0.998, 0.5]
        var calls = 0
        let passed = TimedCheck.run(calibrate: { calls += 1; return 760 }, expected: 1, tolerance: 0.03) { i in
            (value: values[i], payload: i)
        }
        #expect(passed.verdict == .passed && passed.attempts.count == 2 && passed.payload == 1)
        #expect(calls == 3)  // before the first attempt and after each
        values = [0.9, 0.9, 0.9]
        let failed = TimedCheck.run(calibrate: { 760 }, expected: 1, tolerance: 0.03) { i in (value: values[i], payload: i) }
        #expect(failed.verdict == .failed && failed.attempts.count == TimedCheck.maxAttempts && failed.payload == 2)
        // The calibration after one attempt is the one before the next; a
        // +5.3 % move can explain 0.94 against 1 (not 0.9: that one fails).
        values = [0.94, 0.94, 0.94]
        var c = [760.0, 800, 770, 765].makeIterator()
        let disturbed = TimedCheck.run(calibrate: { c.next() }, expected: 1, tolerance: 0.03) { i in (value: values[i], payload: i) }
        #expect(disturbed.verdict == .disturbed)
        #expect(disturbed.attempts.map(\.calibrationBefore) == [760, 800, 770])
        #expect(disturbed.attempts.map(\.calibrationAfter) == [800, 770, 765])
    }

    @Test func theRowCarriesEveryAttemptAndItsVerdict() {
        let attempts = [attempt(0.934, 760, 790), attempt(0.94, 790, 780), attempt(0.95, 780, 770)]
        for (verdict, status) in [(TimedCheckVerdict.passed, RowStatus.ok), (.failed, .failed), (.disturbed, .disturbed)] {
            let r = TimedCheck.row("harness", "x", metric: "ratio", attempts: attempts, verdict: verdict, expected: 1,
                                   tolerance: 0.03, unit: "ratio", source: .measured, depends: .machine, note: "n")
            #expect(r.status == status)
            #expect(r.value == 0.95)
            #expect(r.note.contains("3 of at most 3 attempts: 0.934 (calibration 760.0 -> 790.0), 0.94 (calibration 790.0 -> 780.0), 0.95"))
            #expect(TimedCheck.isCheckNote(r.note))
            #expect(ConsoleReport.failedChecks([r]).count == (status == .failed ? 1 : 0))
            #expect(ConsoleReport.disturbedChecks([r]).count == (status == .disturbed ? 1 : 0))
        }
    }

    /// Only timed checks are reported instead of enforced; exact checks fail the run.
    @Test func reportModeKeepsExactChecksStrict() {
        let timed = ResultRow.check("h", "t", metric: "ratio", 2, expected: 1, tolerance: 0.03, unit: "ratio",
                                    source: .measured, depends: .machine, note: "timed")
        let exact = ResultRow.check("x", "s", metric: "bytes", 2, expected: 1, tolerance: 0, unit: "bytes",
                                    source: .model, gate: .exact, depends: .none, note: "size")
        let enforced = Runner.failedChecks([timed, exact], enforceTimingChecks: true)
        #expect(enforced.fatal.count == 2 && enforced.reported.isEmpty)
        let reported = Runner.failedChecks([timed, exact], enforceTimingChecks: false)
        #expect(reported.fatal.map(\.metric) == ["bytes"] && reported.reported.map(\.metric) == ["ratio"])
        let warnings = Runner.checkWarnings([timed, exact], reported: reported.reported)
        #expect(warnings == ["warning: timed self-check failed, reported not enforced (--timing-checks report): h/t/ratio"])
    }
}
