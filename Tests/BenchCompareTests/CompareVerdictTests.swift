import BenchCompare
@testable import BenchCore
import Foundation
import Testing

@Suite struct CompareVerdictTests {
    func compare(_ base: [ResultRow], _ cur: [ResultRow], _ configure: (inout CompareOptions) -> Void = { _ in })
        throws -> ComparisonReport {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let b = try Fixture.folder(root, "base", base)
        let c = try Fixture.folder(root, "cur", cur)
        var o = CompareOptions()
        configure(&o)
        return try Comparison.run(baseline: b, current: c, options: o)
    }

    func row(_ r: ComparisonReport, _ name: String) -> RowComparison? { r.rows.first { $0.name == name } }

    @Test func unchangedRerunPasses() throws {
        let r = try compare(Fixture.timing("t", Fixture.steady) + Fixture.exact("x", 8192),
                            Fixture.timing("t", Fixture.steadyAgain) + Fixture.exact("x", 8192))
        #expect(r.exitStatus == .ok)
        #expect(row(r, "s/t/op")?.verdict == .unchanged)
        #expect(row(r, "s/x/size")?.verdict == .unchanged)
        #expect(r.warnings.isEmpty)
    }

    /// "More than the threshold": a significant change of exactly the
    /// threshold is unchanged, one just beyond it regresses.
    @Test func aChangeOfExactlyTheThresholdIsUnchanged() throws {
        let base = Fixture.timing("t", [100, 100, 100, 100, 100])
        let at = try compare(base, Fixture.timing("t", [125, 125, 125, 125, 125])) { $0.thresholdPercent = 25 }
        #expect(row(at, "s/t/op")?.verdict == .unchanged)
        let beyond = try compare(base, Fixture.timing("t", [126, 126, 126, 126, 126])) { $0.thresholdPercent = 25 }
        #expect(row(beyond, "s/t/op")?.verdict == .regressed)
    }

    @Test func exactMismatchIsARegression() throws {
        let r = try compare(Fixture.exact("x", 8192), Fixture.exact("x", 11008))
        #expect(row(r, "s/x/size")?.verdict == .regressed)
        #expect(row(r, "s/x/size")?.detail.contains("8192 -> 11008") == true)
        #expect(r.exitStatus == .regression)
        #expect(r.exitStatus.rawValue == 2)
    }

    @Test func exactStatusChangeIsARegression() throws {
        var skipped = Fixture.exact("x", 8192)
        for i in skipped.indices { skipped[i].status = .skipped; skipped[i].value = nil }
        let r = try compare(Fixture.exact("x", 8192), skipped)
        #expect(row(r, "s/x/size")?.verdict == .regressed)
        #expect(r.exitStatus == .regression)
    }

    @Test func notANumberIsReadAndEqualToItself() throws {
        let r = try compare(Fixture.exact("x", .nan) + Fixture.info("d", .nan) + Fixture.timing("t", Fixture.steady),
                            Fixture.exact("x", .nan) + Fixture.info("d", .infinity)
                                + Fixture.timing("t", Fixture.steadyAgain + [.nan]))
        #expect(row(r, "s/x/size")?.verdict == .unchanged)
        #expect(row(r, "s/d/derived")?.verdict == .info)
        let t = try #require(row(r, "s/t/op"))
        #expect(t.verdict == .unchanged)
        #expect(t.currentValues.count == 5)
        let changed = try compare(Fixture.exact("x", .nan), Fixture.exact("x", 3))
        #expect(row(changed, "s/x/size")?.verdict == .regressed)
    }

    @Test func tenPercentSlowerWithClearSeparationRegresses() throws {
        let r = try compare(Fixture.timing("t", Fixture.steady), Fixture.timing("t", Fixture.tenPercentSlower))
        let t = try #require(row(r, "s/t/op"))
        #expect(t.verdict == .regressed)
        #expect(abs(t.pValue! - 2.0 / 252.0) < 1e-12)
        #expect(abs(t.relativeChange! - 0.0999) < 0.001)
        #expect(r.exitStatus == .regression)
    }

    @Test func tenPercentFasterImproves() throws {
        let r = try compare(Fixture.timing("t", Fixture.tenPercentSlower), Fixture.timing("t", Fixture.steady))
        #expect(row(r, "s/t/op")?.verdict == .improved)
        #expect(r.exitStatus == .ok)
    }

    @Test func higherIsBetterForRatesOverTime() throws {
        let r = try compare(Fixture.timing("bw", unit: "bytes/tick", Fixture.tenPercentSlower),
                            Fixture.timing("bw", unit: "bytes/tick", Fixture.steady))
        #expect(row(r, "s/bw/op")?.verdict == .regressed)
        #expect(Direction(unit: "bytes/tick") == .higherIsBetter)
        #expect(Direction(unit: "MHz") == .higherIsBetter)
        #expect(Direction(unit: "ticks") == .lowerIsBetter)
        #expect(Direction(unit: "bytes") == .lowerIsBetter)
        #expect(Direction(unit: "ticks/op") == .lowerIsBetter)
    }

    @Test func significantButBelowThresholdIsUnchanged() throws {
        let r = try compare(Fixture.timing("t", Fixture.steady), Fixture.timing("t", Fixture.steady.map { $0 * 1.02 }))
        let t = try #require(row(r, "s/t/op"))
        #expect(t.pValue! < 0.05)
        #expect(t.verdict == .unchanged)
    }

    @Test func beyondThresholdWithoutSignificanceIsInconclusive() throws {
        let noisy: [Double] = [900, 1300, 1150, 1250, 950]
        let r = try compare(Fixture.timing("t", Fixture.steady), Fixture.timing("t", noisy))
        let t = try #require(row(r, "s/t/op"))
        #expect(t.verdict == .inconclusive)
        #expect(r.exitStatus == .ok)
        let strict = try compare(Fixture.timing("t", Fixture.steady), Fixture.timing("t", noisy)) {
            $0.failOnInconclusive = true
        }
        #expect(strict.exitStatus == .inconclusive)
        #expect(strict.exitStatus.rawValue == 3)
    }

    @Test func tooFewRepetitionsAreInconclusiveAndWarned() throws {
        let r = try compare(Fixture.timing("t", [1000, 1001, 1002]), Fixture.timing("t", [1200, 1201, 1202]))
        #expect(row(r, "s/t/op")?.verdict == .inconclusive)
        #expect(r.warnings.contains { $0.contains("5 or more") })
        let one = try compare(Fixture.timing("t", [1000]), Fixture.timing("t", [1200]))
        #expect(row(one, "s/t/op")?.verdict == .inconclusive)
        #expect(row(one, "s/t/op")?.pValue == nil)
    }

    @Test func thresholdOverridesApplyMostSpecificFirst() throws {
        let base = Fixture.timing("t", Fixture.steady), cur = Fixture.timing("t", Fixture.tenPercentSlower)
        let suiteWide = try compare(base, cur) { $0.thresholdOverrides["s"] = 20 }
        #expect(row(suiteWide, "s/t/op")?.verdict == .unchanged)
        let specific = try compare(base, cur) {
            $0.thresholdOverrides["s"] = 20
            $0.thresholdOverrides["s/t/op"] = 5
        }
        #expect(row(specific, "s/t/op")?.verdict == .regressed)
        // A threshold that names no suite or metric of the two folders gates nothing: refused.
        #expect(throws: BenchError.self) { try compare(base, cur) { $0.thresholdOverrides["nope/op"] = 5 } }
        #expect(throws: BenchError.self) { try compare(base, cur) { $0.thresholdOverrides["s/nometric"] = 5 } }
        #expect(throws: BenchError.self) { try compare(base, cur) { $0.thresholdOverrides["x"] = 5 } }
        #expect(throws: BenchError.badInput("--threshold-for s/opp: no suite, SUITE/METRIC or SUITE/BENCHMARK/METRIC of that name in either folder (did you mean 's/op'?)")) {
            try compare(base, cur) { $0.thresholdOverrides["s/opp"] = 5 }
        }
        #expect(try CompareOptions.parseOverride("s/t/op=10").percent == 10)
        #expect(throws: BenchError.self) { try CompareOptions.parseOverride("s/t/op") }
        #expect(throws: BenchError.self) { try CompareOptions.parseOverride("a/b/c/d=1") }
        #expect(throws: BenchError.self) { try CompareOptions.parseOverride("s=-1") }
    }

    @Test func onlyExactReportsTimingWithoutGatingIt() throws {
        let r = try compare(Fixture.timing("t", Fixture.steady) + Fixture.exact("x", 64),
                            Fixture.timing("t", Fixture.tenPercentSlower) + Fixture.exact("x", 64)) {
            $0.onlyExact = true
        }
        let t = try #require(row(r, "s/t/op"))
        #expect(t.verdict == .regressed)
        #expect(!t.gated)
        #expect(r.exitStatus == .ok)
    }

    @Test func infoRowsAreShownNeverGated() throws {
        let r = try compare(Fixture.info("d", 10), Fixture.info("d", 50))
        let d = try #require(row(r, "s/d/derived"))
        #expect(d.verdict == .info)
        #expect(!d.gated)
        #expect(r.exitStatus == .ok)
        #expect(TextReport.render(r, all: true).contains("s/d/derived"))
        #expect(TextReport.render(r).contains("1 info row(s) reported, not gated"))
        #expect(MarkdownReport.render(r).contains("`s/d/derived`"))
    }

    @Test func aMissingExactRowFailsANewRowIsListed() throws {
        let r = try compare(Fixture.exact("x", 1) + Fixture.exact("gone", 2) + Fixture.info("old", 5),
                            Fixture.exact("x", 1) + Fixture.exact("new", 3))
        #expect(row(r, "s/gone/size")?.verdict == .missing)
        #expect(row(r, "s/gone/size")?.gated == true)
        #expect(row(r, "s/old/derived")?.verdict == .onlyInBaseline)
        #expect(row(r, "s/new/size")?.verdict == .onlyInCurrent)
        #expect(r.exitStatus == .regression)
        let text = TextReport.render(r)
        #expect(text.contains("missing") && text.contains("s/gone/size"))
        #expect(text.contains("only in current: s/new/size"))
        #expect(text.contains("1 missing from the current run"))
    }

    @Test func aSuiteNotSelectedIsNotRunASuiteUnfinishedIsMissing() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let rows = Fixture.exact("x", 1) + Fixture.exact("y", 2, suite: "other")
        let b = try Fixture.folder(root, "base", rows)
        // Not selected: reported, not gated.
        let notRun = try Fixture.folder(root, "one", Fixture.exact("x", 1))
        let r = try Comparison.run(baseline: b, current: notRun, options: CompareOptions())
        #expect(r.suitesNotRun == ["other"])
        #expect(row(r, "other/y/size")?.verdict == .notRun)
        #expect(r.exitStatus == .ok)
        #expect(TextReport.render(r).contains("suite other: not selected in the current run"))
        // Selected but never finished (an interrupted run): its rows are missing.
        let cut = try Fixture.folder(root, "cut", Fixture.exact("x", 1), selected: ["s", "other"])
        let r2 = try Comparison.run(baseline: b, current: cut, options: CompareOptions())
        #expect(row(r2, "other/y/size")?.verdict == .missing)
        #expect(r2.exitStatus == .regression)
        #expect(r2.warnings.contains { $0.contains("incomplete") })
    }

    @Test func rowsAFilteredRunDidNotSelectAreNotRun() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let b = try Fixture.folder(root, "base", Fixture.exact("x", 1) + Fixture.exact("y", 2))
        let c = try Fixture.folder(root, "cur", Fixture.exact("x", 1))
        var env = try EnvironmentRecord.read(from: c)
        env.filter = "s/x/"
        try env.write(to: c)
        let r = try Comparison.run(baseline: b, current: c, options: CompareOptions())
        #expect(row(r, "s/y/size")?.verdict == .notRun)
        #expect(r.exitStatus == .ok)
        // Without the filter the same absence is a missing row.
        env.filter = nil
        try env.write(to: c)
        #expect(try Comparison.run(baseline: b, current: c, options: CompareOptions()).exitStatus == .regression)
    }

    @Test func aFailedSelfCheckIsARegressionWhateverItsGate() throws {
        func check(_ v: Double) -> [ResultRow] {
            [ResultRow.check("s", "c", metric: "error", v, expected: 0, tolerance: 1, unit: "ticks",
                             source: .measured, depends: .machine, note: "test")]
        }
        let r = try compare(check(0.5), check(5))
        #expect(row(r, "s/c/error")?.verdict == .regressed)
        #expect(r.exitStatus == .regression)
        #expect(try compare(check(0.5), check(0.7)).exitStatus == .ok)
    }

    /// A timed check (gate info) as `ResultRow.check` writes it, `reps` times.
    func infoCheck(_ v: Double, reps: Int = 1, status: RowStatus? = nil) -> [ResultRow] {
        (1...reps).map { rep in
            var r = ResultRow.check("s", "c", metric: "ratio", v, expected: 1, tolerance: 0.03, unit: "ratio",
                                    source: .measured, depends: .machine, note: "test")
            if let status { r.status = status }
            r.repetition = rep
            return r
        }
    }

    /// The same check row in error: every sample migrated, no value, no check note.
    func erroredCheck() -> [ResultRow] {
        [ResultRow(suite: "s", benchmark: "c", metric: "ratio", source: .measured, gate: .info, depends: .machine,
                   status: .error, value: nil, unit: "ratio", note: "every sample migrated between CPUs")]
    }

    @Test func aCheckThatFailedInTheBaselineAndStillFailsRegresses() throws {
        let r = try compare(infoCheck(1.2), infoCheck(1.1))
        #expect(row(r, "s/c/ratio")?.verdict == .regressed && row(r, "s/c/ratio")?.gated == true)
        #expect(row(r, "s/c/ratio")?.detail.contains("failed in the baseline too") == true)
        #expect(r.exitStatus == .regression)
        // Fixed since the baseline: improved, not a failure.
        let fixed = try compare(infoCheck(1.2), infoCheck(1.01))
        #expect(row(fixed, "s/c/ratio")?.verdict == .improved && fixed.exitStatus == .ok)
        // Passing on both sides with different values: the value's gate (info) is not gated.
        let moved = try compare(infoCheck(0.98), infoCheck(1.02))
        #expect(row(moved, "s/c/ratio")?.gated == false && moved.exitStatus == .ok)
    }

    @Test func aCheckThatErrorsOrDisappearsIsGatedWhateverItsValuesGate() throws {
        let errored = try compare(infoCheck(1.0), erroredCheck())
        #expect(row(errored, "s/c/ratio")?.verdict == .regressed)
        #expect(row(errored, "s/c/ratio")?.detail.contains("check status ok -> error") == true)
        #expect(errored.exitStatus == .regression)
        // An info row that is not a check may disappear; a check may not.
        let gone = try compare(infoCheck(1.0) + Fixture.info("i", 3, reps: 1), Fixture.info("i", 3, reps: 1))
        #expect(row(gone, "s/c/ratio")?.verdict == .missing && row(gone, "s/c/ratio")?.gated == true)
        #expect(gone.exitStatus == .regression)
        let infoGone = try compare(infoCheck(1.0) + Fixture.info("i", 3, reps: 1), infoCheck(1.0))
        #expect(infoGone.exitStatus == .ok)
    }

    @Test func aDisturbedCheckIsInconclusive() throws {
        let r = try compare(infoCheck(1.0, reps: 2), infoCheck(1.1, reps: 2, status: .disturbed))
        #expect(row(r, "s/c/ratio")?.verdict == .inconclusive && row(r, "s/c/ratio")?.gated == true)
        #expect(r.exitStatus == .ok)
        let strict = try compare(infoCheck(1.0, reps: 2), infoCheck(1.1, reps: 2, status: .disturbed)) {
            $0.failOnInconclusive = true
        }
        #expect(strict.exitStatus == .inconclusive)
    }

    @Test func aNewCheckThatFailsRegresses() throws {
        let r = try compare(Fixture.info("i", 3, reps: 1), Fixture.info("i", 3, reps: 1) + infoCheck(1.5))
        #expect(row(r, "s/c/ratio")?.verdict == .regressed && r.exitStatus == .regression)
        let passing = try compare(Fixture.info("i", 3, reps: 1), Fixture.info("i", 3, reps: 1) + infoCheck(1.0))
        #expect(row(passing, "s/c/ratio")?.verdict == .onlyInCurrent && passing.exitStatus == .ok)
    }

    @Test func reportsStateTheResult() throws {
        let r = try compare(Fixture.timing("t", Fixture.steady), Fixture.timing("t", Fixture.tenPercentSlower))
        let text = TextReport.render(r)
        #expect(text.contains("verdicts: 1 regressed"))
        #expect(text.contains("FAIL"))
        let md = MarkdownReport.render(r)
        #expect(md.hasPrefix("## Benchmark comparison"))
        #expect(md.contains("| regressed | `s/t/op` |"))
    }
}
