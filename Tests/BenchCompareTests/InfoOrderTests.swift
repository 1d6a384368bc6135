@testable import BenchCompare
@testable import BenchCore
import Foundation
import Testing

/// The info rows of `compare --markdown`: float noise is no change, a move
/// from zero has no relative size, and the largest moves come first.
@Suite struct InfoOrderTests {
    func info(_ benchmark: String, _ value: Double) -> ResultRow {
        ResultRow.figure("s", benchmark, metric: "overhead_pct", value, unit: "%", source: .measured, depends: .machine)
    }

    func report() throws -> ComparisonReport {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let base = [info("noise-to-real", 1.87e-13), info("half-again", 100), info("noise", 1e-13), info("small", 10)]
        let cur = [info("noise-to-real", 0.526), info("half-again", 150), info("noise", 2e-13), info("small", 10.1)]
        return try Comparison.run(baseline: try Fixture.folder(root, "base", base),
                                  current: try Fixture.folder(root, "cur", cur), options: CompareOptions())
    }

    @Test func floatNoiseIsNoChangeAndAMoveFromZeroHasNoPercentage() throws {
        let r = try report()
        let byName = Dictionary(uniqueKeysWithValues: r.rows.map { ($0.benchmark, $0) })
        #expect(byName["noise"]?.relativeChange == 0)
        #expect(byName["noise-to-real"]?.relativeChange == nil)
        #expect(byName["half-again"]?.relativeChange == 0.5)
        let md = MarkdownReport.render(r)
        #expect(md.contains("| info | `s/noise-to-real/overhead_pct` | 1.87e-13 % | 0.526 % | from 0 |"))
        #expect(!md.contains("281474976710400"))
        #expect(md.contains("| info | `s/noise/overhead_pct` | 1e-13 % | 2e-13 % | +0.0% |"))
    }

    @Test func largestMovesComeFirst() throws {
        let sec = ReportText.sections(try report())
        // noise-to-real: 0 -> 0.526 moves by all of it (1); half-again 50/150; small 0.1/10.1; noise 0.
        #expect(sec.info.map(\.benchmark) == ["noise-to-real", "half-again", "small", "noise"])
    }
}
