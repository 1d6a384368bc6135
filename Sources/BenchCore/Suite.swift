import Foundation

/// A suite parameter a user can set with `--set NAME=VALUE` (or a dedicated
/// option such as `--cpu-model`).  Shown by `benchmark list`.
public struct SuiteParameter: Sendable {
    public var name: String
    public var defaultValue: String
    public var help: String
    /// The values it takes.  `Runner.configure` checks every user value
    /// against it before the suite's `configure` checks what depends on other
    /// parameters, on `--quick` or on the host.
    public var kind: ParameterKind
    public init(_ name: String, default defaultValue: String, kind: ParameterKind, help: String) {
        self.name = name; self.defaultValue = defaultValue; self.kind = kind; self.help = help
    }
}

/// The values a suite parameter takes, declared once: the check every user
/// value passes before any suite runs, the line `benchmark list` shows, and
/// what a test derives a malformed and an out-of-range value from.
public enum ParameterKind: Sendable, Equatable {
    /// An integer in the range, or one of `words` (e.g. `auto`).
    case integer(ClosedRange<Int>, words: [String] = [])
    /// A finite number in the range.
    case number(ClosedRange<Double>)
    /// Comma-separated integers in the range and/or `words`; no empty item.
    case integerList(ClosedRange<Int>, words: [String] = [])
    /// Comma-separated finite numbers in the range; no empty item.
    case numberList(ClosedRange<Double>)
    /// Exactly one of `choices`.
    case choice([String])
    /// Comma-separated names among `choices`; no empty item.
    case choiceList([String])
    /// Comma-separated `key=value` with keys among `keys` and values in the
    /// range (integers when `integers`); or one of `words`; or, when `file`
    /// names what such a file holds, the path of a readable file (the suite
    /// reads and checks it in `configure`).
    case assignments(keys: [String], range: ClosedRange<Double>, integers: Bool, words: [String] = [], file: String? = nil)
    /// `running` (this host's `uname -r`) or a Linux version `N.N` not older than `minimum`.
    case kernelVersion(minimum: LinuxKernelVersion)
    /// The `--cpu-model` grammar (`CPUModelSelection`).
    case cpuModels
    /// The path of something that exists (a user value; the default may be
    /// absent on a host, which the suite reports in its rows).
    case path

    /// Throws `BenchError.badInput` with one line naming `name` when `value`
    /// is not of this kind.  Of the host it asks only whether a named path or
    /// file exists; what depends on other parameters, `--quick` or the host's
    /// hardware is the suite's `configure`.
    public func check(_ name: String, _ value: String) throws {
        func bad(_ why: String) -> BenchError { .badInput("\(name)=\(value): \(why)") }
        switch self {
        case let .integer(range, words):
            guard Self.has(words, value) || Self.integer(value, in: range) != nil else { throw bad("expected \(description)") }
        case let .number(range):
            guard Self.number(value, in: range) != nil else { throw bad("expected \(description)") }
        case let .integerList(range, words):
            try items(value, bad) { Self.has(words, $0) || Self.integer($0, in: range) != nil }
        case let .numberList(range):
            try items(value, bad) { Self.number($0, in: range) != nil }
        case let .choice(choices):
            guard Self.has(choices, value) else { throw bad("expected \(description)" + DidYouMean.hint(value, among: choices)) }
        case let .choiceList(choices):
            try items(value, bad) { Self.has(choices, $0) }
        case let .assignments(keys, range, integers, words, file):
            if Self.has(words, value) { return }
            if file != nil && !value.contains("=") {
                guard FileManager.default.isReadableFile(atPath: value) else { throw bad("no readable file of that name") }
                return
            }
            try items(value, bad) { item in
                let kv = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                guard kv.count == 2, Self.has(keys, kv[0]) else { return false }
                return integers ? Self.integer(kv[1], in: Int(range.lowerBound)...Int(range.upperBound)) != nil
                                : Self.number(kv[1], in: range) != nil
            }
        case let .kernelVersion(minimum):
            if Self.has(["running"], value) { return }
            guard let v = LinuxKernelVersion(release: value) else { throw bad("expected \(description)") }
            guard v >= minimum else { throw bad("\(v) is older than \(minimum), the first kernel these rules describe") }
        case .cpuModels:
            do { _ = try CPUModelSelection(value) } catch BenchError.badInput(let why) { throw bad(why) }
        case .path:
            guard !value.isEmpty, FileManager.default.fileExists(atPath: value) else { throw bad("no such file") }
        }
    }

    /// One line for `benchmark list` and error messages.
    public var description: String {
        func or(_ words: [String]) -> String { words.isEmpty ? "" : " or " + words.joined(separator: ", ") }
        switch self {
        case let .integer(r, words): return "an integer in \(r.lowerBound)...\(r.upperBound)" + or(words)
        case let .number(r): return "a number in \(Self.text(r.lowerBound))...\(Self.text(r.upperBound))"
        case let .integerList(r, words):
            return "comma-separated integers in \(r.lowerBound)...\(r.upperBound)" + (words.isEmpty ? "" : " and/or " + words.joined(separator: ", "))
        case let .numberList(r): return "comma-separated numbers in \(Self.text(r.lowerBound))...\(Self.text(r.upperBound))"
        case let .choice(c): return "one of " + c.joined(separator: ", ")
        case let .choiceList(c): return "comma-separated among " + c.joined(separator: ", ")
        case let .assignments(keys, r, integers, words, file):
            return "comma-separated KEY=\(integers ? "integer" : "number") in \(Self.text(r.lowerBound))...\(Self.text(r.upperBound)), KEY among "
                + keys.joined(separator: ", ") + or(words) + (file.map { " or \($0)" } ?? "")
        case let .kernelVersion(minimum): return "running or a Linux version N.N[.N], \(minimum) or later"
        case .cpuModels: return "comma-separated among " + CPUModelSelection.allValues.joined(separator: ", ") + " (all, none alone)"
        case .path: return "the path of an existing file"
        }
    }

    /// Names match without regard to case: the parsers of `auto`, `running`
    /// and allocator names accept any case; a suite whose parser does not
    /// still refuses the value in `configure`.
    static func has(_ names: [String], _ text: String) -> Bool {
        names.contains { $0.caseInsensitiveCompare(text) == .orderedSame }
    }

    static func integer(_ text: String, in range: ClosedRange<Int>) -> Int? {
        Int(text).flatMap { range.contains($0) ? $0 : nil }
    }

    static func number(_ text: String, in range: ClosedRange<Double>) -> Double? {
        Double(text).flatMap { $0.isFinite && range.contains($0) ? $0 : nil }
    }

    /// A whole number without a trailing `.0` (`1000000000`), others as Swift prints them.
    static func text(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int(v)) : String(v) }

    /// Splits a comma-separated list keeping empty items, so `25,,50` is refused rather than read as `25,50`.
    func items(_ value: String, _ bad: (String) -> BenchError, _ valid: (String) -> Bool) throws {
        for item in ParameterKind.list(value) {
            guard !item.isEmpty else { throw bad("empty item in the list (expected \(description))") }
            guard valid(item) else { throw bad("'\(item)' is not valid (expected \(description))" + DidYouMean.hint(String(item.prefix { $0 != "=" }), among: names)) }
        }
    }

    /// The names an item may be (for pairs, the keys).
    var names: [String] {
        switch self {
        case let .integer(_, words), let .integerList(_, words): return words
        case let .choice(choices), let .choiceList(choices): return choices
        case let .assignments(keys, _, _, _, _): return keys
        default: return []
        }
    }

    /// The items of a comma-separated value, trimmed, empty ones kept.
    public static func list(_ value: String) -> [String] {
        value.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    }
}

/// " (did you mean 'x'?)" for a name one or two edits from a known one, else "".
public enum DidYouMean {
    public static func hint(_ name: String, among known: [String]) -> String {
        let scored = known.map { ($0, distance(name.lowercased(), $0.lowercased())) }.filter { $0.1 <= 2 && $0.1 < name.count }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return "" }
        return " (did you mean '\(best.0)'?)"
    }

    /// Levenshtein distance: insertions, deletions and substitutions.
    static func distance(_ a: String, _ b: String) -> Int {
        let b = Array(b)
        var row = Array(0...b.count)  // distances from the prefix of `a` read so far
        for (i, x) in a.enumerated() {
            var diagonal = row[0]
            row[0] = i + 1
            for (j, y) in b.enumerated() {
                let next = min(row[j + 1] + 1, row[j] + 1, diagonal + (x == y ? 0 : 1))
                diagonal = row[j + 1]
                row[j + 1] = next
            }
        }
        return row[b.count]
    }
}

extension BenchmarkSuite {
    /// Checks each of `values` against its declared kind (undeclared names
    /// are `Runner.validate(parameters:for:)`'s to refuse).
    public func checkKinds(_ values: [String: String]) throws {
        for p in parameters {
            if let v = values[p.name] { try p.kind.check(p.name, v) }
        }
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

    /// An integer parameter within `range`, by default its declared kind's.
    public func intParameter(_ name: String, range: ClosedRange<Int>? = nil) throws -> Int {
        let text = parameter(name)
        var declaredRange: ClosedRange<Int>?
        if case .integer(let r, _)? = declared.first(where: { $0.name == name })?.kind { declaredRange = r }
        let range = range ?? declaredRange ?? Int.min...Int.max
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
        let parts = ParameterKind.list(text)  // keeps empty items, which fail below
        let values = parts.compactMap(Double.init)
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy({ $0.isFinite && range.contains($0) }) else {
            throw BenchError.badInput("\(name)=\(text): expected comma-separated numbers in \(range.lowerBound)...\(range.upperBound)")
        }
        return values
    }

    /// Ticks to nanoseconds at this host's TSC frequency.
    public func nanoseconds(ticks: Double) -> Double { ticks * tsc.nsPerTick }
}
