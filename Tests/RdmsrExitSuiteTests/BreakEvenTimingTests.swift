import BenchCore
import Testing
@testable import RdmsrExitSuite

/// The analytic break-even formula against the simulated loop's measured
/// costs.  Small (a few hundred exits per region) so it stays quick in a
/// debug build on a shared machine; no cycle or time threshold is asserted:
/// the tolerance comes from the spread of the measurements themselves.
struct BreakEvenTimingTests {
    /// Half-width of the 95% confidence interval of the median.
    static func halfCI(_ v: [Double]) -> Double {
        let s = Summary(v)
        return (s.ciHigh - s.ciLow) / 2
    }

    @Test func formulaAgreesWithTheLoop() throws {
        let cpu = CPUDescription.host()
        let kernel = TimingKernel(features: cpu.features)
        // Round trip + handler = 1,600 cycles, RDMSR = 400: break-even at one write per 4 exits.
        let rdmsr = 400, roundTrip = 1_200, handler = 400
        let costs = CostTable(cycles: [.hlt: 200, .msrWrite: handler])
        let k = 1_024
        let reasons = Array(repeating: ExitReason.hlt, count: 2 * k)
        func plan(_ p: XFDPolicy, interval: Int) throws -> ExitPlan {
            try ExitPlan(reasons: reasons, config: ExitPlanConfig(
                policy: p, guest: .amxActive, msrCost: .cycles(rdmsr), roundTrip: roundTrip, guestQuantum: 0,
                costs: costs, writeInterval: interval, fpuSwap: false))
        }
        let intervals = [2, 4, 8]
        let plans = try [plan(.none, interval: 4), plan(.passthroughAtCPUID, interval: 4)]
            + intervals.map { try plan(.alwaysIntercept, interval: $0) }
        let loops = plans.map { ExitLoop(plan: $0, proxy: nil, areas: nil) }
        let r = PairedMeasurement.run(loops, inner: k, samples: 31, kernel: kernel)
        try #require(r.perLoop[0].count >= 5)  // clean rounds (disturbed ones are set aside)

        // The loop's own tick scale: the measured cost of one injected RDMSR per exit.
        let read = r.difference(1, minus: 0)
        let readTicks = Summary(read).median
        try #require(readTicks > 0)
        let ticksPerCycle = readTicks / Double(rdmsr)
        let relScaleError = Self.halfCI(read) / readTicks

        for (j, interval) in intervals.enumerated() {
            let measured = r.difference(2 + j, minus: 1)  // always-intercept - passthrough, per round
            let predictedCycles = XFDCostModel.alwaysMinusReadPerExit(
                rdmsr: Double(rdmsr), roundTrip: Double(roundTrip), writeHandler: Double(handler), interval: Double(interval))
            let predicted = predictedCycles * ticksPerCycle
            // Noise of this difference plus the scale's uncertainty carried into the prediction,
            // widened by 3 so a noisy neighbour does not fail the test on its own.
            let tolerance = 3 * (Self.halfCI(measured) + abs(predicted) * relScaleError)
            let m = Summary(measured).median
            #expect(abs(m - predicted) <= tolerance,
                    "interval \(interval): measured \(m) ticks/exit, formula \(predicted) (tolerance \(tolerance))")
            // The sign flips at the break-even interval whenever the prediction is resolvable.
            if abs(predicted) > tolerance { #expect((m > 0) == (predicted > 0)) }
        }
        let breakEven = 1 / XFDCostModel.breakEvenWritesPerExit(rdmsr: Double(rdmsr), roundTrip: Double(roundTrip),
                                                                writeHandler: Double(handler))
        #expect(breakEven == 4)
    }
}
