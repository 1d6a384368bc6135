@testable import BenchCore
import Testing

@Suite struct BenchmarkFilterTests {
    struct Fake: BenchmarkSuite {
        var name: String
        var summary = ""
        var benchmarks: [BenchmarkInfo]
        var parameters: [SuiteParameter] = []
        func run(_ context: SuiteContext) throws -> SuiteResult { SuiteResult(rows: []) }
    }

    static let suites: [BenchmarkSuite] = [
        Fake(name: "xsave", benchmarks: [BenchmarkInfo("sizes", ""), BenchmarkInfo("save-restore", "")]),
        Fake(name: "rdmsr-exit", benchmarks: [BenchmarkInfo("fleet", ""), BenchmarkInfo("overhead", "")]),
    ]

    func plan(_ pattern: String) throws -> [String] {
        try BenchmarkFilter(pattern).plan(Self.suites).flatMap { p in p.benchmarks.map { "\(p.suite.name)/\($0)" } }
    }

    @Test func selectsByNameBeforeRunning() throws {
        #expect(try plan("xsave") == ["xsave/sizes", "xsave/save-restore"])
        #expect(try plan("^rdmsr-exit/fleet$") == ["rdmsr-exit/fleet"])
        #expect(try plan("xsave/save-restore/.*mask=0xe7") == ["xsave/save-restore"])
        #expect(try plan("fleet|sizes") == ["xsave/sizes", "rdmsr-exit/fleet"])
        // A parameter alone names no benchmark: everything runs, rows are filtered.
        #expect(try plan("cpu=spr").count == 4)
    }

    @Test func splitsOnlyAtTopLevelSlashes() {
        #expect(BenchmarkFilter.heads(of: "a/b/c") == ["a", "a/b", "a/b/c"])
        #expect(BenchmarkFilter.heads(of: "(a/b)|c") == ["(a/b)|c"])
        #expect(BenchmarkFilter.heads(of: "a[/]b\\/c") == ["a[/]b\\/c"])
    }

    @Test func keepsMatchingRowsAndTheTimer() throws {
        let f = try BenchmarkFilter("xsave/sizes/cpu=spr")
        let spr = ResultRow.figure("xsave", "sizes", ["cpu": "spr"], metric: "bytes", 1, unit: "bytes", source: .model, depends: .none)
        let zen = ResultRow.figure("xsave", "sizes", ["cpu": "zen3"], metric: "bytes", 1, unit: "bytes", source: .model, depends: .none)
        let timer = ResultRow.figure("xsave", "_timer", metric: "empty_region", 1, unit: "ticks", source: .measured, depends: .machine)
        #expect(f.keeps(spr) && !f.keeps(zen) && f.keeps(timer))
    }

    @Test func rejectsWhatIsNotARegularExpression() {
        #expect(throws: BenchError.self) { try BenchmarkFilter("(unclosed") }
        #expect(throws: BenchError.self) { try BenchmarkFilter("") }
    }
}
