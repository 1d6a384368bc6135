import Testing
@testable import BenchCore

/// The speed-state calibration's verdicts, from given figures.
@Suite struct SpeedCalibrationTests {
    @Test func steadySuiteNearTheBestSaysNothing() {
        #expect(SpeedCalibration.warnings(suite: "xsave", start: 754, end: 760, best: 750).isEmpty)
    }

    @Test func aMoveWithinTheSuiteIsReported() {
        let w = SpeedCalibration.warnings(suite: "xsave", start: 754, end: 780, best: 754)
        #expect(w.count == 1)
        #expect(w.first?.contains("moved during the suite") == true && w.first?.contains("+3.4%") == true)
    }

    @Test func aSlowStateIsReportedAgainstTheRunsBest() {
        let w = SpeedCalibration.warnings(suite: "rdmsr-exit", start: 850, end: 852, best: 754)
        #expect(w.count == 1)
        #expect(w.first?.contains("slower than the fastest calibration") == true)
    }

    @Test func aMissingCalibrationIsReported() {
        #expect(SpeedCalibration.warnings(suite: "s", start: nil, end: 700, best: 700).count == 1)
    }

    @Test func compareWarnsOnlyBeyondItsTolerance() {
        #expect(SpeedCalibration.comparisonWarning(suite: "xsave", baseline: 754, current: 770) == nil)
        let w = SpeedCalibration.comparisonWarning(suite: "xsave", baseline: 754, current: 780)
        #expect(w?.contains("different speed states") == true)
        #expect(SpeedCalibration.comparisonWarning(suite: "xsave", baseline: 0, current: 780) == nil)
    }

    /// A faster current run is another speed state as much as a slower one:
    /// its timings would read as improvements that are not.
    @Test func compareWarnsInBothDirections() {
        let slower = SpeedCalibration.comparisonWarning(suite: "xsave", baseline: 754, current: 780)
        let faster = SpeedCalibration.comparisonWarning(suite: "xsave", baseline: 780, current: 754)
        #expect(slower?.contains("+3.4%") == true)
        #expect(faster?.contains("-3.3%") == true && faster?.contains("different speed states") == true)
        #expect(SpeedCalibration.comparisonWarning(suite: "xsave", baseline: 770, current: 754) == nil)
    }

    @Test func rowsAreInfoTimingRowsAtStartAndEnd() {
        let rows = SpeedCalibration.rows(suite: "xsave", start: TimingSamples(perOp: [754, 755, 753]),
                                         end: TimingSamples(perOp: []))
        #expect(rows.map { $0.params.description } == ["at=start", "at=end"])
        #expect(rows.allSatisfy { $0.benchmark == "_calibration" && $0.gate == .info && $0.source == .measured })
        #expect(rows[0].value == 754 && rows[0].status == .ok)
        #expect(rows[1].status == .error)  // every sample migrated
    }
}
