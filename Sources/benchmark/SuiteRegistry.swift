import ArgumentParser
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
                throw BenchError.badInput("unknown suite '\(n)' (known: \(SuiteRegistry.names.joined(separator: ", ")))"
                    + DidYouMean.hint(n, among: SuiteRegistry.names))
            }
            if !out.contains(where: { $0.name == n }) { out.append(s) }
        }
        return out
    }
}

/// The reporters `--format` can select; CSV is always written.
enum ReportFormat: String, CaseIterable, ExpressibleByArgument {
    case csv, json
    case smallerIsBetter = "smaller-is-better"
}

enum ReporterRegistry {
    static func make(_ formats: [ReportFormat]) -> [Reporter] {
        var reporters: [Reporter] = [CSVReporter()]
        for f in Set(formats) {
            switch f {
            case .csv: break
            case .json: reporters.append(GoogleBenchmarkJSONReporter())
            case .smallerIsBetter: reporters.append(SmallerIsBetterJSONReporter())
            }
        }
        return reporters
    }
}
