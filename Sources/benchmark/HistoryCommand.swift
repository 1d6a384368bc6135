import ArgumentParser
import BenchCore
import BenchStore
import Foundation

/// `benchmark history`: figures over runs, per host, from the store.
struct HistoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show figures over runs per host from the store; --gate flags change points in the newest run.",
        discussion: """
        A series is one figure (suite/benchmark/params/metric) on one host fingerprint for one \
        kind of run (quick or full), oldest run first; each run contributes its repetitions.

        --gate: a timing series is tested with E-Divisive means and a Student's t-test \
        (Hunter / Apache Otava's method: weak points at 10 x --max-pvalue in windows of \
        --window points, kept when p < --max-pvalue and the change exceeds --threshold \
        percent); a change point that starts in the newest run in the worse direction is a \
        regression.  Exact rows must equal the run before where their `depends` allows, and a \
        self-check that passed and now fails is a regression.  Exit codes: 0 no regression; \
        2 a regression; 4 nothing to gate (no series with two runs); 1 bad usage; 6 the store \
        cannot be read.
        """)
    @OptionGroup var storeOptions: StoreOptionGroup
    @Option(help: "Regular expression over suite/benchmark/params/metric.")
    var filter: String?
    @Option(help: "Only hosts whose fingerprint contains this text.")
    var host: String?
    @Flag(help: "One JSON object on stdout.")
    var json = false
    @Flag(help: "Gate the newest run of every series; exit 2 on a regression.")
    var gate = false
    @Option(help: "Significance level of the change-point t-test (--gate).")
    var maxPvalue = 0.001
    @Option(help: "Smallest relative change, in percent, a change point must exceed (--gate).")
    var threshold = 5.0
    @Option(help: "Window of the split step, in points (--gate).")
    var window = 50

    func validate() throws {
        if let filter { _ = try Self.regex(filter) }
        guard maxPvalue > 0 && maxPvalue < 1 else { throw BenchError.badInput("--max-pvalue \(maxPvalue): expected 0 < p < 1") }
        guard threshold >= 0 && threshold.isFinite else { throw BenchError.badInput("--threshold \(threshold): expected 0 or more") }
        guard window >= 2 && window <= 10_000 else { throw BenchError.badInput("--window \(window): expected 2...10000") }
    }

    static func regex(_ pattern: String) throws -> NSRegularExpression {
        guard !pattern.isEmpty, let re = try? NSRegularExpression(pattern: pattern) else {
            throw BenchError.badInput("--filter '\(pattern)': not a regular expression")
        }
        return re
    }

    func run() throws {
        let store = try ResultStore(try storeOptions.location(), create: false)
        let series = try History.series(store, filter: try filter.map(Self.regex), host: host)
        var options = History.GateOptions()
        options.changePoints = ChangePoints.Options(window: window, maxPValue: maxPvalue, minMagnitude: threshold / 100)
        let findings = gate ? History.gate(series, options) : []
        if json {
            StandardStreams.out(try HistoryJSON.text(series, findings: gate ? findings : nil) + "\n")
        } else {
            StandardStreams.out(gate ? HistoryText.gate(series, findings) : HistoryText.series(series))
        }
        Benchmark.requireStdout()
        guard gate else { return }
        if findings.contains(where: \.fails) { fflush(stdout); Foundation.exit(ExitStatus.regression.rawValue) }
        if !series.contains(where: { $0.perRun.count >= 2 }) {
            Benchmark.fail("nothing to gate: no figure has two runs of the same kind on one host in \(store.location.redacted)", .baseline)
        }
    }
}

enum HistoryText {
    static func series(_ all: [FigureSeries]) -> String {
        guard !all.isEmpty else { return "no stored figures match\n" }
        var out = ""
        for s in all {
            out += "\(s.name) [\(s.unit), \(s.gate.rawValue), \(s.source.rawValue)]  host \(s.host)  \(s.kind)\n"
            for r in s.perRun {
                let reps = r.values.count > 1 ? "  (\(r.values.count) repetitions)" : ""
                out += "  \(r.run.date)  \(r.run.runId)  \(r.run.commitLabel)  \(StoreFormat.number(r.median))\(reps)\n"
            }
        }
        return out
    }

    static func gate(_ all: [FigureSeries], _ findings: [History.Finding]) -> String {
        var out = ""
        for f in findings {
            out += "\(f.kind.rawValue.uppercased())  \(f.series.name)  host \(f.series.host)  \(f.series.kind): \(f.detail)\n"
        }
        let gated = all.filter { $0.gate != .info && $0.perRun.count >= 2 }.count
        func count(_ k: History.Finding.Kind) -> Int { findings.filter { $0.kind == k }.count }
        out += "history gate: \(gated) series gated, \(findings.filter(\.fails).count) failing, \(count(.improvement)) improvements, \(count(.disturbed)) disturbed (the machine's calibration stepped with the figure)\n"
        return out
    }
}

enum HistoryJSON {
    static func text(_ all: [FigureSeries], findings: [History.Finding]?) throws -> String {
        var object: [String: Any] = ["series": all.map { s -> [String: Any] in
            ["name": s.name, "suite": s.suite, "benchmark": s.benchmark, "params": s.params, "metric": s.metric,
             "unit": s.unit, "gate": s.gate.rawValue, "source": s.source.rawValue, "host": s.host, "kind": s.kind,
             "runs": s.perRun.map { r -> [String: Any] in
                 ["run_id": r.run.runId, "date": r.run.date, "commit": r.run.gitCommit ?? NSNull(),
                  "dirty": r.run.gitDirty ?? NSNull(), "median": r.median, "values": r.values] }]
        }]
        if let findings {
            object["findings"] = findings.map { ["name": $0.series.name, "host": $0.series.host, "kind": $0.series.kind,
                                                 "finding": $0.kind.rawValue, "fails": $0.fails, "detail": $0.detail] }
        }
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self)
    }
}
