import ArgumentParser
import BenchCompare
import BenchCore
import Foundation

/// `benchmark compare BASELINE CURRENT`: the regression gate.
struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare two result folders row by row; exit 2 on a regression.",
        discussion: """
        Rows are matched by suite, benchmark, parameters and metric; rows on one side only are \
        listed, not gated.  Rows of gate `exact` must be equal (value and status).  Rows of gate \
        `timing` are compared over their repetition medians (run both sides with --repetitions 5 \
        or more): a row regressed (or improved) when the median of the medians moved by more than \
        the threshold and Mann-Whitney U (optionally also Kolmogorov-Smirnov, taking the smaller p) \
        gives p < alpha; within the threshold it is unchanged; beyond it without significance it is \
        inconclusive.  Worse means higher, except for rates over time (units X/s, X/tick, X/cycle, \
        Hz) where higher is better.  Rows of gate `info` are shown, never gated.

        Exit codes: 0 no gated row regressed; 2 a gated row regressed; 3 a gated row was \
        inconclusive (only with --fail-on-inconclusive); 4 baseline missing, corrupt or \
        incompatible (different host fingerprint without --allow-host-mismatch, unknown schema \
        version, truncated CSV); 1 bad usage; 6 the markdown file cannot be written.
        """)

    @Argument(help: "Baseline result folder (e.g. Results/<run-id>).")
    var baseline: String
    @Argument(help: "Current result folder.")
    var current: String
    @Option(help: "Practical threshold for timing rows, in percent of the baseline median.")
    var threshold: Double = 5
    @Option(name: .customLong("threshold-for"),
            help: "Per-suite or per-metric threshold, SUITE=P, SUITE/METRIC=P or SUITE/BENCHMARK/METRIC=P (repeatable).")
    var thresholdFor: [String] = []
    @Option(help: "Significance level of the statistical test.")
    var alpha: Double = 0.05
    @Flag(name: .customLong("ks"), help: "Also run Kolmogorov-Smirnov and use the smaller p-value.")
    var kolmogorovSmirnov = false
    @Flag(help: "Exit 3 when a gated row is inconclusive.")
    var failOnInconclusive = false
    @Flag(help: "Compare results from different host fingerprints (warned).")
    var allowHostMismatch = false
    @Option(help: "Also write a markdown summary (for a pull-request comment) to this file.")
    var markdown: String?
    @Flag(help: "Gate only exact rows; timing rows are compared and reported, not gated (shared CI machines).")
    var onlyExact = false
    @Flag(name: .customLong("all"), help: "List unchanged rows too.")
    var listAll = false

    func run() throws {
        var o = CompareOptions()
        o.thresholdPercent = threshold
        o.alpha = alpha
        o.kolmogorovSmirnov = kolmogorovSmirnov
        o.failOnInconclusive = failOnInconclusive
        o.allowHostMismatch = allowHostMismatch
        o.onlyExact = onlyExact
        for spec in thresholdFor {
            let (key, percent) = try CompareOptions.parseOverride(spec)
            o.thresholdOverrides[key] = percent
        }
        let report = try Comparison.run(baseline: URL(fileURLWithPath: baseline),
                                        current: URL(fileURLWithPath: current), options: o)
        print(TextReport.render(report, all: listAll), terminator: "")
        if let markdown {
            try AtomicFile.write(MarkdownReport.render(report), to: URL(fileURLWithPath: markdown))
        }
        let status = report.exitStatus
        if status != .ok {
            fflush(stdout)
            Foundation.exit(status.rawValue)
        }
    }
}
