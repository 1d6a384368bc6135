import BenchCore
import FpstateAllocSuite
import Foundation
import HarnessSuite
import KvmSuite
import RdmsrExitSuite
import Testing
import XSaveSuite

/// Every row a quick run of every suite writes has its kind declared in its
/// suite's source table (or the runner's, for `_` rows) and carries the
/// source declared there: a new row kind without a declaration fails here.
@Suite struct RowSourceTableTests {
    /// The source a row of `suite` must carry, or nil for an undeclared kind.
    /// No parameter is set, so rdmsr-exit's model figures are `model`.
    static func expected(_ row: ResultRow) -> FigureSource? {
        if row.benchmark.hasPrefix("_") { return RunnerRowSources.expected(row) }
        switch row.suite {
        case "harness": return HarnessRowSources.expected(row)
        case "xsave": return XSaveRowSources.expected(row)
        case "kvm": return KvmRowSources.expected(row)
        case "rdmsr-exit": return RdmsrExitRowSources.expected(row, modelSource: .model)
        case "fpstate-alloc": return FpstateAllocRowSources.expected(row)
        default: return nil
        }
    }

    @Test func everyRowOfAQuickRunHasADeclaredSource() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["all", "--quick", "--quiet", "--output", dir.path, "--run-id", "sources"])
        #expect(r.status == 0, "\(r.stderr)")
        let run = dir.appendingPathComponent("sources")
        var suites = Set<String>()
        for file in try FileManager.default.contentsOfDirectory(atPath: run.path) where file.hasSuffix(".csv") {
            for fields in try CLI.rows(run.appendingPathComponent(file)) {
                let source = try #require(fields["source"].flatMap(FigureSource.init(rawValue:)))
                let row = ResultRow(suite: fields["suite"] ?? "", benchmark: fields["benchmark"] ?? "",
                                    params: Params.parse(fields["params"] ?? ""), metric: fields["metric"] ?? "",
                                    source: source, gate: .info, depends: .machine, value: nil, unit: "")
                suites.insert(row.suite)
                let want = Self.expected(row)
                #expect(want != nil, "\(row.suite): undeclared row kind \(row.benchmark)/\(row.metric) \(row.params)")
                #expect(want == nil || row.source == want, "\(row.suite) \(row.benchmark)/\(row.metric) \(row.params)")
            }
        }
        #expect(suites == ["harness", "xsave", "kvm", "rdmsr-exit", "fpstate-alloc"])
    }
}
