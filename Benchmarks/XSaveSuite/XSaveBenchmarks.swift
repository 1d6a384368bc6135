import BenchCore

// Placeholder until the suite lands; it reports nothing as done.
public struct XSaveBenchmarks: BenchmarkSuite {
    public init() {}
    public let name = "xsave"
    public let summary = "(not implemented yet)"
    public let benchmarks: [BenchmarkInfo] = []
    public let parameters: [SuiteParameter] = []
    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        SuiteResult(rows: [.skipped(name, "all", metric: "none", unit: "", reason: "suite not implemented yet")])
    }
}
