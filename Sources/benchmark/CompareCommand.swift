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
        Rows are matched by suite, benchmark, parameters and metric.  A row's `depends` column says \
        what besides the code it is a function of: `none` rows are gated on any host; `cpu`, \
        `kernel`, `cpu+kernel` and `machine` rows are gated only when the CPU identity, the \
        kernel version, both, or the host fingerprint match, and otherwise reported as \
        `host differs`.  An exact or timing \
        row of the baseline that the current run lacks is `missing` and fails, unless the current \
        run did not select its suite (`not run`).  A self-check that passed and now fails \
        (status ok -> failed) is a regression.  Rows of gate `exact` must be equal (value and status).  Rows of gate \
        `timing` are compared over their repetition medians (run both sides with --repetitions 5 \
        or more): a row regressed (or improved) when the median of the medians moved by more than \
        the threshold and Mann-Whitney U (optionally also Kolmogorov-Smirnov, taking the smaller p) \
        gives p < alpha; within the threshold it is unchanged; beyond it without significance it is \
        inconclusive.  Worse means higher, except for rates over time (units X/s, X/tick, X/cycle, \
        Hz) where higher is better.  Rows of gate `info` are shown, never gated.

        Exit codes: 0 no gated row regressed; 2 a gated row regressed or is missing; 3 a gated row \
        was inconclusive (only with --fail-on-inconclusive); 4 a result folder is missing, \
        corrupt or incompatible (a report that does not match the size, digest or row count \
        environment.json records, an empty value in an ok row, an unknown schema version, one \
        side --quick and the other not, another host with --require-same-host); 1 bad usage; \
        6 the markdown file cannot be written.
        """)

    @Argument(help: "Baseline result folder (e.g. Results/<run-id>); with neither folder given, the newest earlier run of the same kind (quick or full) on this host.")
    var baseline: String?
    @Argument(help: "Current result folder; with neither given, the newest finished run of this host in --output.")
    var current: String?
    @Option(help: "Folder holding the runs, when no folder is given.")
    var output = "Results"
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
    @Flag(help: "Refuse (exit 4) a current run from another host fingerprint, instead of reporting its host-dependent rows ungated.")
    var requireSameHost = false
    @Flag(help: .hidden)
    var allowHostMismatch = false
    @Option(help: "Also write a markdown summary (for a pull-request comment) to this file.")
    var markdown: String?
    @Flag(help: "Gate only exact rows; timing rows are compared and reported, not gated (shared CI machines).")
    var onlyExact = false
    @Flag(name: .customLong("all"), help: "List unchanged rows too.")
    var listAll = false

    func validate() throws {
        if (baseline == nil) != (current == nil) {
            throw BenchError.badInput("give both result folders, or neither (newest run vs the newest earlier one of the same kind)")
        }
        guard let markdown, let baseline, let current else { return }
        // The report must never land inside (and so corrupt) a result folder.
        let target = URL(fileURLWithPath: markdown).standardizedFileURL.resolvingSymlinksInPath().path
        for folder in [baseline, current] {
            let dir = URL(fileURLWithPath: folder).standardizedFileURL.resolvingSymlinksInPath().path
            if target == dir || target.hasPrefix(dir + "/") {
                throw BenchError.badInput("--markdown \(markdown) is inside the result folder \(folder); write it elsewhere")
            }
        }
    }

    func run() throws {
        var o = CompareOptions()
        o.thresholdPercent = threshold
        o.alpha = alpha
        o.kolmogorovSmirnov = kolmogorovSmirnov
        o.failOnInconclusive = failOnInconclusive
        o.requireSameHost = requireSameHost
        o.onlyExact = onlyExact
        for spec in thresholdFor {
            let (key, percent) = try CompareOptions.parseOverride(spec)
            o.thresholdOverrides[key] = percent
        }
        let (b, c) = try NewestRuns.pair(baseline: baseline, current: current, output: output)
        let report = try Comparison.run(baseline: b, current: c, options: o)
        StandardStreams.out(TextReport.render(report, all: listAll))
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
