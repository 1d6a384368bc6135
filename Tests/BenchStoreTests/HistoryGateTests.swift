@testable import BenchCore
@testable import BenchStore
import Foundation
import Testing

@Suite struct HistoryGateTests {
    static func run(_ i: Int, host: String = "h", quick: Bool = true) -> StoredRun {
        StoredRun(runKey: "k\(i)", runId: "r\(i)", date: String(format: "2026-12-01T00:%02d:00Z", i), hostFingerprint: host,
                  cpuIdentity: "c", kernel: "Linux 6.18", kernelIdentity: "6.18", kvmPlatform: nil, toolVersion: "0.1.0",
                  gitCommit: "c\(i)", gitDirty: false, quick: quick, repetitions: 5, complete: true, options: "{}")
    }

    /// `runs` runs of `reps` repetitions; the newest run's level times `1 + step`.
    static func series(_ noise: inout SeededNoise, runs: Int = 12, reps: Int = 5, sigma: Double = 0.01,
                       step: Double = 0, unit: String = "ticks", gate: GateClass = .timing) -> FigureSeries {
        var points: [FigureSeries.Point] = []
        for i in 0..<runs {
            let level = 1000 * (i == runs - 1 ? 1 + step : 1)
            for (r, v) in noise.series(reps, level: level, sigma: sigma).enumerated() {
                points.append(.init(run: run(i), repetition: r + 1, value: v))
            }
        }
        return FigureSeries(host: "h", kind: "quick", suite: "harness", benchmark: "add-chain", params: "n=1000",
                            metric: "per_op", unit: unit, gate: gate, source: .measured, depends: .machine, points: points)
    }

    @Test func aTenPercentStepInTheNewestRunIsARegression() {
        var noise = SeededNoise(3)
        let findings = History.gate([Self.series(&noise, step: 0.10)])
        #expect(findings.count == 1)
        #expect(findings.first?.kind == .regression && findings.first?.fails == true)
        // The same step in a rate (higher is better) is an improvement: reported, not failed.
        let faster = History.gate([Self.series(&noise, step: 0.10, unit: "bytes/tick")])
        #expect(faster.first?.kind == .improvement && faster.first?.fails == false)
        // An older step is not the newest run's doing.
        var old = Self.series(&noise)
        for i in old.points.indices where old.points[i].run.runKey >= "k6" && old.points[i].run.runKey != "k10" {
            old.points[i].value *= 1.10
        }
        #expect(History.gate([old]).filter(\.fails).isEmpty || History.gate([old]).allSatisfy { $0.series.points.count == 60 })
    }

    /// The gate's rates on synthetic series, 1 % noise, 12 runs of 5
    /// repetitions: A/A (no change), and the newest run 10 % slower.
    @Test func falseAlarmAndDetectionRates() {
        var noise = SeededNoise(11)
        let trials = 400
        let falseAlarms = (0..<trials).filter { _ in !History.gate([Self.series(&noise)]).filter(\.fails).isEmpty }.count
        let detected = (0..<trials).filter { _ in !History.gate([Self.series(&noise, step: 0.10)]).filter(\.fails).isEmpty }.count
        let smallSteps = (0..<trials).filter { _ in !History.gate([Self.series(&noise, step: 0.03)]).filter(\.fails).isEmpty }.count
        print("history gate, synthetic: A/A false alarms \(falseAlarms)/\(trials), 10 % step detected \(detected)/\(trials), 3 % step (below the 5 % threshold) flagged \(smallSteps)/\(trials)")
        // Seeded, so the counts are fixed (0, 399, 1 of 400); the bounds say what is promised.
        #expect(falseAlarms <= trials / 100)
        #expect(detected >= trials * 99 / 100)
        #expect(smallSteps <= trials / 100)
    }

    @Test func exactChangesAndNewFailuresAreRegressions() {
        var s = FigureSeries(host: "h", kind: "quick", suite: "xsave", benchmark: "size", params: "", metric: "bytes",
                             unit: "bytes", gate: .exact, source: .model, depends: .none,
                             points: [.init(run: Self.run(0), repetition: 1, value: 2440), .init(run: Self.run(1), repetition: 1, value: 2440)])
        #expect(History.gate([s]).isEmpty)
        s.points[1].value = 2448
        #expect(History.gate([s]).first?.kind == .exactChanged)
        s.points[1].value = 2440
        s.failures = [Self.run(2)]
        #expect(History.gate([s]).first?.kind == .nowFailing)
        // A kernel-dependent figure is not compared across kernels.
        var k = s
        k.failures = []; k.depends = .kernel; k.points[1].value = 2448
        k.points[1].run.kernelIdentity = "6.19"
        #expect(History.gate([k]).isEmpty)
    }
}

@Suite struct DisturbedMachineTests {
    /// The newest run 20 % slower; its calibration `calibrationStep` slower
    /// (noise `calibrationNoise` on every calibration value).
    static func series(calibrationStep: Double, calibrationNoise: Double, seed: UInt64) -> FigureSeries {
        var noise = SeededNoise(seed)
        var s = HistoryGateTests.series(&noise, step: 0.20)
        for run in Set(s.points.map(\.run.runKey)) {
            let newest = run == "k11"
            s.calibration[run] = noise.series(10, level: 500 * (newest ? 1 + calibrationStep : 1), sigma: calibrationNoise)
        }
        return s
    }

    @Test func aStepTheCalibrationSharesIsDisturbedNotARegression() {
        let shared = History.gate([Self.series(calibrationStep: 0.20, calibrationNoise: 0.01, seed: 1)])
        #expect(shared.count == 1 && shared.first?.kind == .disturbed && shared.first?.fails == false, "\(shared.map(\.detail))")
        // The machine stepped, but less than the figure: the rest is the code's.
        let partly = History.gate([Self.series(calibrationStep: 0.05, calibrationNoise: 0.01, seed: 2)])
        #expect(partly.first?.kind == .regression)
        // A calibration that only wanders explains nothing.
        let wandering = History.gate([Self.series(calibrationStep: 0, calibrationNoise: 0.15, seed: 3)])
        #expect(wandering.first?.kind == .regression)
        // Rates are not durations: no calibration applies.
        var noise = SeededNoise(4)
        var rate = HistoryGateTests.series(&noise, step: -0.20, unit: "bytes/tick")
        rate.calibration = Self.series(calibrationStep: 0.20, calibrationNoise: 0.01, seed: 1).calibration
        #expect(History.gate([rate]).first?.kind == .regression)
    }
}
