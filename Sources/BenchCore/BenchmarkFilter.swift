import Foundation

/// `--filter REGEX`: which benchmarks run and which rows are kept.
///
/// The regular expression (ICU syntax, unanchored search, as
/// google/benchmark's `--benchmark_filter`) is matched against each row's
/// name `suite/benchmark/params/metric` (params omitted when empty): rows
/// that do not match are dropped before any reporter sees them.  The
/// runner's `_timer` calibration rows are always kept.
///
/// Before anything runs, benchmarks are selected by the longest of the
/// pattern and its parts before a top-level `/` that matches any
/// `suite/benchmark`: `xsave`, `^xsave/save-restore$` and
/// `xsave/save-restore/.*mask=0xe7` select by name.  A pattern that selects no benchmark by name (say `cpu=spr`, a
/// parameter alone) runs every benchmark and keeps the matching rows; the
/// runner fails a run in which it kept none, and the CLI refuses before the
/// run a pattern that names only benchmarks of suites not selected (`check`).
public struct BenchmarkFilter: Sendable {
    public let pattern: String
    /// Each prefix of `pattern` ending before a top-level `/`, then the whole.
    private let heads: [String]

    /// Throws `BenchError.badInput` when the pattern is not a regular expression.
    public init(_ pattern: String) throws {
        guard (try? NSRegularExpression(pattern: pattern)) != nil, !pattern.isEmpty else {
            throw BenchError.badInput("--filter '\(pattern)': not a regular expression")
        }
        self.pattern = pattern
        heads = Self.heads(of: pattern).filter { (try? NSRegularExpression(pattern: $0)) != nil }
    }

    /// Whether `text` contains a match of `pattern`.
    static func search(_ pattern: String, in text: String) -> Bool {
        guard let re = try? NSRegularExpression(pattern: pattern) else { return false }
        return re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    /// Prefixes of `pattern` that end before a `/` outside brackets and
    /// groups, and not escaped; the pattern itself last.
    static func heads(of pattern: String) -> [String] {
        var out: [String] = []
        var depth = 0, inClass = false, escaped = false
        var current = ""
        for c in pattern {
            defer { current.append(c) }
            if escaped { escaped = false; continue }
            switch c {
            case "\\": escaped = true
            case "[": inClass = true
            case "]": inClass = false
            case "(" where !inClass: depth += 1
            case ")" where !inClass: depth = max(0, depth - 1)
            case "/" where !inClass && depth == 0: if !current.isEmpty { out.append(current) }
            default: break
            }
        }
        return out + [pattern]
    }

    /// The name a row is matched on.
    public static func name(suite: String, benchmark: String, params: String, metric: String) -> String {
        ([suite, benchmark] + (params.isEmpty ? [] : [params]) + [metric]).joined(separator: "/")
    }

    /// Whether the row survives the filter.
    public func keeps(_ row: ResultRow) -> Bool {
        keeps(suite: row.suite, benchmark: row.benchmark, params: row.params.description, metric: row.metric)
    }

    /// Whether a row of this identity survives the filter (the runner's own
    /// rows always do); `compare` asks it of a filtered run's baseline rows.
    public func keeps(suite: String, benchmark: String, params: String, metric: String) -> Bool {
        benchmark.hasPrefix("_")
            || Self.search(pattern, in: Self.name(suite: suite, benchmark: benchmark, params: params, metric: metric))
    }

    /// Benchmarks of each suite that run: those the pattern names, or every
    /// one when it names none of any suite.  Suites with none are absent.
    public func plan(_ suites: [BenchmarkSuite]) -> [(suite: BenchmarkSuite, benchmarks: [String])] {
        named(suites) ?? suites.map { ($0, $0.benchmarks.map(\.name)) }
    }

    /// The benchmarks the pattern names, suites with none left out; nil when
    /// it names no benchmark of `suites` (it then filters rows only).
    public func named(_ suites: [BenchmarkSuite]) -> [(suite: BenchmarkSuite, benchmarks: [String])]? {
        // The longest head that names any benchmark decides.
        for head in heads.reversed() {
            let named = suites.map { s in
                (suite: s, benchmarks: s.benchmarks.map(\.name).filter { Self.search(head, in: "\(s.name)/\($0)") })
            }
            if named.contains(where: { !$0.benchmarks.isEmpty }) { return named.filter { !$0.benchmarks.isEmpty } }
        }
        return nil
    }

    /// Refuses, before anything runs, a pattern that names benchmarks of
    /// `known` suites but none of the `selected` ones: it would run every
    /// selected benchmark to keep no row.
    public func check(selected: [BenchmarkSuite], known: [BenchmarkSuite]) throws {
        guard named(selected) == nil, let elsewhere = named(known) else { return }
        let names = elsewhere.flatMap { s in s.benchmarks.map { "\(s.suite.name)/\($0)" } }
        throw BenchError.badInput("--filter '\(pattern)' names no benchmark of \(selected.map(\.name).joined(separator: ", ")), only "
            + names.prefix(3).joined(separator: ", ") + (names.count > 3 ? ", ..." : "") + " (run that suite or see `benchmark list`)")
    }

    /// The error of a run whose rows the pattern all dropped.
    public func keptNothing(_ suites: [String]) -> String {
        "--filter '\(pattern)' matches no benchmark and no row of \(suites.joined(separator: ", ")); nothing was kept (see `benchmark list`)"
    }
}

extension BenchmarkFilter {
    /// One repetition of `suite` as the filter makes it: only the selected
    /// benchmarks run (`SuiteContext.isSelected`), and rows the pattern does
    /// not match are dropped.
    public func run(_ suite: BenchmarkSuite, _ ctx: SuiteContext) throws -> SuiteResult {
        ctx.selectedBenchmarks = plan([suite]).first.map { Set($0.benchmarks) } ?? []
        var result = try suite.run(ctx)
        result.rows = result.rows.filter(keeps)
        return result
    }
}

extension SuiteContext {
    /// Whether the user's `--filter` lets `benchmark` run (always true
    /// without a filter).  Suites skip unselected benchmarks with it; rows of
    /// a benchmark that runs anyway are still filtered by the runner.
    public func isSelected(benchmark: String) -> Bool {
        guard let selected = selectedBenchmarks else { return true }
        return selected.contains(benchmark)
    }
}

/// Wall time of one repetition of a suite, in seconds, with and without
/// `--quick`, as measured on the reference machine kind (2 vCPUs, release
/// build).  A plan, not a promise: parameters and the host change it.
public struct DurationEstimate: Sendable, Equatable {
    public var quick: Double
    public var full: Double
    public init(quick: Double, full: Double) { self.quick = quick; self.full = full }
}

extension BenchmarkSuite {
    public var estimatedSeconds: DurationEstimate? { nil }
}
