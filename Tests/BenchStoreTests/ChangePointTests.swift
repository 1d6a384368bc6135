@testable import BenchStore
import Foundation
import Testing

/// Deterministic noise: a 64-bit LCG turned into normal deviates (Box-Muller).
struct SeededNoise {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 6364136223846793005 &+ 1442695040888963407 }
    mutating func uniform() -> Double {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return (Double(state >> 11) + 0.5) / Double(1 << 53)
    }
    mutating func normal() -> Double { (-2 * log(uniform())).squareRoot() * cos(2 * .pi * uniform()) }
    /// `count` points around `level` with relative spread `sigma`.
    mutating func series(_ count: Int, level: Double, sigma: Double) -> [Double] {
        (0..<count).map { _ in (level * (1 + sigma * normal()) * 1000).rounded() / 1000 }
    }
}

@Suite struct ChangePointTests {
    @Test func aStepIsFoundWhereItStarts() {
        var noise = SeededNoise(1)
        let s = noise.series(25, level: 1000, sigma: 0.01) + noise.series(15, level: 1100, sigma: 0.01)
        let cps = ChangePoints.detect(s)
        #expect(cps.map(\.index) == [25])
        #expect(abs(cps[0].stats.forwardChange - 0.10) < 0.01)
        #expect(ChangePoints.detect(noise.series(40, level: 1000, sigma: 0.01)).isEmpty)
    }

    @Test func studentTMatchesKnownValues() {
        // scipy.stats.t.sf(t, df) * 2
        #expect(abs(StudentT.twoSidedP(t: 2.0, df: 10) - 0.07338803477074039) < 1e-13)
        #expect(abs(StudentT.twoSidedP(t: -4.5, df: 3) - 0.020490412344453403) < 1e-12)
        #expect(abs(StudentT.twoSidedP(t: 12, df: 40) / 7.82417130425597e-15 - 1) < 1e-6)
        #expect(StudentT.twoSidedP(t: .infinity, df: 5) == 0)
        #expect(StudentT.twoSidedP(t: .nan, df: 5).isNaN)
    }

    /// Synthetic series with steps of several sizes and places, and the
    /// committed reference's timing rows as series, through both this
    /// implementation and Apache Otava (tools/otava_change_points.py).
    @Test func changePointsEqualOtavas() throws {
        var noise = SeededNoise(7)
        var series: [[Double]] = []
        for i in 0..<60 {
            let sigma = [0.005, 0.01, 0.03][i % 3]
            let step = [0.0, 0.02, 0.05, 0.10, -0.08][i % 5]
            let before = 10 + (i * 7) % 50, after = 3 + (i * 5) % 30
            var s = noise.series(before, level: 500, sigma: sigma) + noise.series(after, level: 500 * (1 + step), sigma: sigma)
            if i % 4 == 0 { s += noise.series(12, level: 480, sigma: sigma) }
            series.append(s)
        }
        series.append(contentsOf: try Self.realSeries())
        for options in [ChangePoints.Options(), ChangePoints.Options(window: 20, maxPValue: 0.01, minMagnitude: 0.03)] {
            guard let otava = try Otava.changePoints(series, options) else { return }
            var compared = 0
            for (s, expected) in zip(series, otava) {
                let mine = ChangePoints.detect(s, options)
                #expect(mine.map(\.index) == expected.map(\.index), "series \(s)")
                for (a, b) in zip(mine, expected) {
                    #expect(abs(a.stats.pValue - b.pValue) <= 1e-9 * max(1, b.pValue) + 1e-300, "p at \(a.index)")
                }
                compared += 1
            }
            #expect(compared == series.count)
            #expect(otava.contains { !$0.isEmpty } && otava.contains { $0.isEmpty })
        }
    }

    /// Each timing row of the committed full reference, its samples' spread
    /// summary turned into a short series: p5, p25, median, p75, p95 repeated
    /// with a level change, a shape real figures have.
    static func realSeries() throws -> [[Double]] {
        let text = try String(contentsOf: StoreFixture.reference.appendingPathComponent("xsave.csv"), encoding: .utf8)
        let lines = text.split(whereSeparator: \.isNewline).dropFirst()
        var out: [[Double]] = []
        for line in lines where line.contains(",timing,") {
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            let nums = [15, 16, 17, 18, 19].compactMap { Double(f[$0]) }
            guard nums.count == 5, nums[2] > 0 else { continue }
            out.append(nums + nums.map { $0 * 1.0001 } + nums.map { $0 * 1.12 } + nums.map { $0 * 1.1201 })
            if out.count == 20 { break }
        }
        #expect(out.count == 20)
        return out
    }
}

/// Runs Apache Otava from the tools venv on the same series.
enum Otava {
    struct Point: Decodable { var index: Int; var pValue: Double }

    /// nil (and the test skipped) when Otava is not installed, except under
    /// CI=true, where that fails.
    static func changePoints(_ series: [[Double]], _ o: ChangePoints.Options) throws -> [[Point]]? {
        let python = StoreFixture.package.appendingPathComponent(".venv/bin/python")
        let script = StoreFixture.package.appendingPathComponent("tools/otava_change_points.py")
        guard FileManager.default.isExecutableFile(atPath: python.path) else {
            if TestServer.inCI { Issue.record("no .venv: run tools/install-deps.sh") }
            return nil
        }
        let request: [String: Any] = ["window": o.window, "max_pvalue": o.maxPValue, "min_magnitude": o.minMagnitude, "series": series]
        let p = Process()
        p.executableURL = python
        p.arguments = [script.path]
        let input = Pipe(), output = Pipe(), err = Pipe()
        p.standardInput = input; p.standardOutput = output; p.standardError = err
        try p.run()
        nonisolated(unsafe) var data = Data(), errData = Data()
        let g = DispatchGroup()
        DispatchQueue.global().async(group: g) { data = output.fileHandleForReading.readDataToEndOfFile() }
        DispatchQueue.global().async(group: g) { errData = err.fileHandleForReading.readDataToEndOfFile() }
        input.fileHandleForWriting.write(try JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        p.waitUntilExit()
        g.wait()
        guard p.terminationStatus == 0 else {
            let why = String(decoding: errData, as: UTF8.self)
            if why.contains("No module named 'otava'") && !TestServer.inCI { return nil }
            Issue.record("otava failed: \(why)")
            return nil
        }
        let raw = try JSONSerialization.jsonObject(with: data) as? [[[Double]]] ?? []
        return raw.map { $0.map { Point(index: Int($0[0]), pValue: $0[1]) } }
    }
}
