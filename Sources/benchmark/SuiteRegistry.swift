import BenchCore
import FpstateAllocSuite
import HarnessSuite
import KvmSuite
import RdmsrExitSuite
import XSaveSuite

/// Every suite the CLI knows, in the order `benchmark all` runs them.
enum SuiteRegistry {
    static let all: [BenchmarkSuite] = [
        // kvm before rdmsr-exit: a run reports the exits it measured before
        // the model that takes the same measurement as its cost defaults.
        HarnessBenchmarks(), XSaveBenchmarks(), KvmBenchmarks(),
        RdmsrExitBenchmarks(measuredExitCosts: MeasuredExitCosts.forRdmsrExit), FpstateAllocBenchmarks(),
    ]

    static var names: [String] { all.map(\.name) }

    /// Resolves names given on the command line, in the order given.
    static func select(_ names: [String]) throws -> [BenchmarkSuite] {
        var out: [BenchmarkSuite] = []
        for n in names {
            guard let s = all.first(where: { $0.name == n }) else {
                throw BenchError.badInput("unknown suite '\(n)' (known: \(SuiteRegistry.names.joined(separator: ", ")))")
            }
            if !out.contains(where: { $0.name == n }) { out.append(s) }
        }
        return out
    }
}

/// The reporters `--format` can select; CSV is always written.
enum ReporterRegistry {
    static let formats = ["csv", "json", "smaller-is-better"]

    static func make(_ formats: [String]) throws -> [Reporter] {
        var reporters: [Reporter] = [CSVReporter()]
        for f in formats where f != "csv" {
            switch f {
            case "json": reporters.append(GoogleBenchmarkJSONReporter())
            case "smaller-is-better": reporters.append(SmallerIsBetterJSONReporter())
            default:
                throw BenchError.badInput("unknown format '\(f)' (known: \(ReporterRegistry.formats.joined(separator: ", ")))")
            }
        }
        return reporters
    }
}
