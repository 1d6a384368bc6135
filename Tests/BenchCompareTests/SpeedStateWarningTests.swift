import BenchCompare
@testable import BenchCore
import Foundation
import Testing

/// `compare` says when the two runs met the machine in different speed
/// states (their `_calibration` rows differ beyond the tolerance).
@Suite struct SpeedStateWarningTests {
    func calibration(_ ticks: Double, suite: String = "s", reps: Int = 5) -> [ResultRow] {
        (1...reps).flatMap { rep in
            SpeedCalibration.rows(suite: suite, start: TimingSamples(perOp: [ticks - 1, ticks, ticks + 1]),
                                  end: TimingSamples(perOp: [ticks, ticks + 1, ticks + 2])).map { row -> ResultRow in
                var r = row
                r.repetition = rep
                return r
            }
        }
    }

    func compare(_ base: [ResultRow], _ cur: [ResultRow]) throws -> ComparisonReport {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        return try Comparison.run(baseline: try Fixture.folder(root, "base", base),
                                  current: try Fixture.folder(root, "cur", cur), options: CompareOptions())
    }

    @Test func differentStatesAreNamed() throws {
        let r = try compare(Fixture.timing("t", Fixture.steady) + calibration(754),
                            Fixture.timing("t", Fixture.steadyAgain) + calibration(780))
        let w = r.warnings.filter { $0.contains("different speed states") }
        #expect(w.count == 1)
        #expect(w.first?.hasPrefix("s: speed calibration 754.5 (baseline) vs 780.5 (current)") == true)
        #expect(r.exitStatus == .ok)  // a warning, not a verdict
        #expect(TextReport.render(r).contains("warning: s: speed calibration"))
    }

    @Test func aFasterCurrentStateIsNamedToo() throws {
        let r = try compare(Fixture.timing("t", Fixture.steady) + calibration(780),
                            Fixture.timing("t", Fixture.steadyAgain) + calibration(754))
        let w = r.warnings.filter { $0.contains("different speed states") }
        #expect(w.first?.hasPrefix("s: speed calibration 780.5 (baseline) vs 754.5 (current)") == true)
    }

    /// A timing change between two speed states is not a verdict: the
    /// same +10 % is a regression in one state and inconclusive across two.
    @Test func aChangeAcrossSpeedStatesIsInconclusive() throws {
        let across = try compare(Fixture.timing("t", Fixture.steady) + calibration(754),
                                 Fixture.timing("t", Fixture.tenPercentSlower) + calibration(790))
        let row = try #require(across.rows.first { $0.name == "s/t/op" })
        #expect(row.verdict == .inconclusive && row.gated)
        #expect(row.detail.hasPrefix("would be regressed, but the runs' speed calibrations differ by +4.8%"))
        #expect(across.exitStatus == .ok)
        let same = try compare(Fixture.timing("t", Fixture.steady) + calibration(754),
                               Fixture.timing("t", Fixture.tenPercentSlower) + calibration(760))
        #expect(same.rows.first { $0.name == "s/t/op" }?.verdict == .regressed)
        #expect(same.exitStatus == .regression)
    }

    @Test func aChangeBeyondTheSpeedStatesStaysARegression() throws {
        // +20 % against a calibration +4.8 % slower: +14.5 % net, beyond the 5 % threshold.
        let twenty = Fixture.steady.map { $0 * 1.2 }
        let beyond = try compare(Fixture.timing("t", Fixture.steady) + calibration(754),
                                 Fixture.timing("t", twenty) + calibration(790))
        let row = try #require(beyond.rows.first { $0.name == "s/t/op" })
        #expect(row.verdict == .regressed)
        #expect(row.detail.contains("once the speed calibrations' +4.8% is taken out"))
        #expect(beyond.exitStatus == .regression)
        // The same +20 % against a calibration +20 % slower is the machine's: inconclusive.
        let explained = try compare(Fixture.timing("t", Fixture.steady) + calibration(754),
                                    Fixture.timing("t", twenty) + calibration(905))
        #expect(explained.rows.first { $0.name == "s/t/op" }?.verdict == .inconclusive)
    }

    @Test func sameStateOrNoCalibrationSaysNothing() throws {
        let same = try compare(Fixture.timing("t", Fixture.steady) + calibration(754),
                               Fixture.timing("t", Fixture.steadyAgain) + calibration(760))
        #expect(!same.warnings.contains { $0.contains("speed") })
        let old = try compare(Fixture.timing("t", Fixture.steady),
                              Fixture.timing("t", Fixture.steadyAgain) + calibration(780))
        #expect(!old.warnings.contains { $0.contains("speed") })
    }
}
