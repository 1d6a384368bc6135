import Foundation

/// A suite parameter a user can set with `--set NAME=VALUE` (or a dedicated
/// option such as `--cpu-model`).  Shown by `benchmark list`.
public struct SuiteParameter: Sendable {
    public var name: String
    public var defaultValue: String
    public var help: String
    public init(_ name: String, default defaultValue: String, help: String) {
        self.name = name; self.defaultValue = defaultValue; self.help = help
    }
}

/// A benchmark a suite runs, for `benchmark list`.
public struct BenchmarkInfo: Sendable {
    public var name: String
    public var help: String
    public init(_ name: String, _ help: String) { self.name = name; self.help = help }
}

/// What a suite returns: rows for the reporters and a few lines for people.
public struct SuiteResult: Sendable {
    public var rows: [ResultRow]
    /// Human summary lines printed on stdout after the suite (no trailing newlines).
    public var highlights: [String]
    public init(rows: [ResultRow], highlights: [String] = []) {
        self.rows = rows; self.highlights = highlights
    }
}

/// A suite: a named set of benchmarks.  Suites never touch the timing core;
/// they use the kernel and the CPU description the context hands them and
/// return rows.
public protocol BenchmarkSuite: Sendable {
    /// Command-line name, e.g. "xsave".
    var name: String { get }
    /// One line for `benchmark list`.
    var summary: String { get }
    var benchmarks: [BenchmarkInfo] { get }
    var parameters: [SuiteParameter] { get }
    /// Rough wall time of one repetition with default parameters, for
    /// `--dry-run`; nil when the suite does not say.
    var estimatedSeconds: DurationEstimate? { get }
    /// Runs once per repetition.  Calls `context.progress.step` between
    /// benchmarks (which throws `BenchError.interrupted` after SIGINT).
    func run(_ context: SuiteContext) throws -> SuiteResult
    /// Parses and checks the suite's parameters (ranges, lists, limits that
    /// keep `--quick` quick, memory the run would need) and throws
    /// `BenchError.badInput` with one line when they are wrong.  The runner
    /// calls it for every selected suite before any suite runs, with a
    /// context whose `validating` is true: nothing is timed, no TSC
    /// frequency is known yet (`tsc` is a placeholder), nothing is allocated
    /// beyond the parse.  `run` parses again and may rely on it passing.
    func configure(_ context: SuiteContext) throws
    /// The order the console table shows rows in: entries are benchmark
    /// names or `benchmark/metric`; a row takes the first entry it matches
    /// (unmatched rows go last), keeping run order within an entry.  Empty
    /// keeps run order.  Files keep run order.
    var consoleOrder: [String] { get }
}

extension BenchmarkSuite {
    /// Suites without parameters to check before the run.
    public func configure(_ context: SuiteContext) throws {}
    /// Suites whose run order reads well on the console.
    public var consoleOrder: [String] { [] }
}

/// Everything a suite needs from the run: the host, the timer, the options.
public final class SuiteContext: @unchecked Sendable {
    public let host: CPUDescription
    public let tsc: TSCFrequency
    public let kernel: TimingKernel
    /// TSC ticks per core cycle, estimated from a dependent-add chain
    /// (no PMU is assumed); nil if calibration was not possible.
    public let ticksPerCoreCycle: Double?
    /// Median empty timed region of this run, in ticks.
    public let emptyRegionTicks: Double
    public let quick: Bool
    public let seed: UInt64
    /// 1-based repetition index.
    public let repetition: Int
    public let progress: Progress
    /// True for the context `configure` gets: nothing is measured with it.
    public let validating: Bool
    /// Benchmarks `--filter` selects (`isSelected(benchmark:)`); nil = all.
    public internal(set) var selectedBenchmarks: Set<String>? = nil
    private let values: [String: String]
    private let declared: [SuiteParameter]

    public init(host: CPUDescription, tsc: TSCFrequency, kernel: TimingKernel,
                ticksPerCoreCycle: Double?, emptyRegionTicks: Double, quick: Bool, seed: UInt64,
                repetition: Int, progress: Progress, parameters: [String: String],
                declared: [SuiteParameter], validating: Bool = false) {
        self.host = host; self.tsc = tsc; self.kernel = kernel
        self.ticksPerCoreCycle = ticksPerCoreCycle; self.emptyRegionTicks = emptyRegionTicks
        self.quick = quick; self.seed = seed; self.repetition = repetition
        self.progress = progress; self.values = parameters; self.declared = declared
        self.validating = validating
    }

    /// The context of `BenchmarkSuite.configure`: the host's CPU description
    /// and the user's parameters; timing fields are placeholders.
    public static func validation(host: CPUDescription, quick: Bool, seed: UInt64,
                                  parameters: [String: String], declared: [SuiteParameter]) -> SuiteContext {
        SuiteContext(host: host, tsc: TSCFrequency(hz: 1e9, method: .calibrated, calibratedHz: 1e9),
                     kernel: TimingKernel(features: host.features), ticksPerCoreCycle: nil,
                     emptyRegionTicks: 0, quick: quick, seed: seed, repetition: 1,
                     progress: Progress(quiet: true), parameters: parameters, declared: declared,
                     validating: true)
    }

    /// A parameter's value: the user's, else the declared default.
    /// Precondition: `name` is one of the suite's declared parameters.
    public func parameter(_ name: String) -> String {
        if let v = values[name] { return v }
        guard let p = declared.first(where: { $0.name == name }) else {
            preconditionFailure("parameter '\(name)' is not declared by the suite")
        }
        return p.defaultValue
    }

    /// True when the user set the parameter (the figure's source is then `input`).
    public func isUserSet(_ name: String) -> Bool { values[name] != nil }

    public func intParameter(_ name: String, range: ClosedRange<Int> = Int.min...Int.max) throws -> Int {
        let text = parameter(name)
        guard let v = Int(text), range.contains(v) else {
            throw BenchError.badInput("\(name)=\(text): expected an integer in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    public func doubleParameter(_ name: String, range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude) throws -> Double {
        let text = parameter(name)
        guard let v = Double(text), v.isFinite, range.contains(v) else {
            throw BenchError.badInput("\(name)=\(text): expected a number in \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    /// A comma-separated list of numbers.
    public func doubleListParameter(_ name: String, range: ClosedRange<Double> = 0...Double.greatestFiniteMagnitude) throws -> [Double] {
        let text = parameter(name)
        let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let values = parts.compactMap(Double.init)
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0.isFinite && range.contains($0) }) else {
            throw BenchError.badInput("\(name)=\(text): expected comma-separated numbers in \(range.lowerBound)...\(range.upperBound)")
        }
        return values
    }

    /// Ticks to nanoseconds at this host's TSC frequency.
    public func nanoseconds(ticks: Double) -> Double { ticks * tsc.nsPerTick }
}
