import ArgumentParser
import BenchCore
import Foundation

@main
struct Benchmark: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "benchmark",
        abstract: "Cycle-level measurements for KVM's handling of AMX state (XFD, XSAVE, fpstate).",
        discussion: """
        Suites: \(SuiteRegistry.names.joined(separator: ", ")).  Reports go to Results/<run-id>/ \
        (one CSV per suite plus environment.json); Results/latest points at the newest run.  A run \
        id is never reused: an existing one is refused unless --replace, which replaces it whole.

        Exit codes:
        \(ExitStatus.allCases.map { "  \($0.rawValue)  \($0.meaning)" }.joined(separator: "\n"))

        Output: a closed or full stdout/stderr never stops a run.  For run/all the results are \
        the files, so the exit code stays what the run decided (a note on stderr says stdout was \
        lost); for list/env a lost stdout is exit 6, except a reader that left (EPIPE, `| head`).
        """,
        version: ToolVersion.description,
        subcommands: [ListCommand.self, EnvCommand.self, DoctorCommand.self, RunCommand.self, AllCommand.self, CompareCommand.self,
                      SummaryCommand.self, RunsCommand.self, StoreCommand.self, HistoryCommand.self, ReportCommand.self])

    /// Parses and runs; every failure is one line on stderr and a documented exit status.
    static func main() {
        // First: a signal or a closed stream in the first milliseconds is handled too.
        StandardStreams.ignoreFatalSignals()
        Interrupt.install()
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch BenchError.interrupted {
            Interrupt.report("interrupted: nothing was written")
            Foundation.exit(ExitStatus.interrupted.rawValue)
        } catch let error as BenchError {
            fail(error.description, error.status)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                // --help, --version: ArgumentParser's text on stdout.
                StandardStreams.out(fullMessage(for: error) + "\n")
                Foundation.exit(0)
            }
            let line = oneLine(message(for: error)) ?? "\(error)"
            fail(line + " (see `benchmark --help`)", .usage)
        }
    }

    /// ArgumentParser's first line, with a "one of the following:" list that
    /// follows it folded in, so every error stays one line.
    static func oneLine(_ message: String) -> String? {
        let lines = message.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        guard let first = lines.first else { return nil }
        guard first.hasSuffix(":") else { return first }
        let items = lines.dropFirst().prefix { $0.hasPrefix("- ") }.map { $0.dropFirst(2) }
        return first + " " + items.joined(separator: ", ")
    }

    static func fail(_ message: String, _ status: ExitStatus) -> Never {
        StandardStreams.err("benchmark: error: \(message)\n")
        Foundation.exit(status.rawValue)
    }

    /// For commands whose stdout is the product: exit 6 when it was lost
    /// (EPIPE excepted: the reader stopped on purpose).
    static func requireStdout() {
        if let e = StandardStreams.stdoutFailure, e != EPIPE {
            fail("cannot write to stdout (\(StandardStreams.name(e)))", .output)
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "List suites, their benchmarks and parameters.")
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() throws {
        if json { StandardStreams.out(jsonText(ListJSON.object(SuiteRegistry.all)) + "\n"); Benchmark.requireStdout(); return }
        var out = ""
        for s in SuiteRegistry.all {
            out += "\(s.name): \(s.summary)\n"
            for b in s.benchmarks { out += "  benchmark \(b.name): \(b.help)\n" }
            for p in s.parameters {
                out += "  --set \(p.name)=VALUE  (default \(p.defaultValue)): \(p.help)\n      takes \(p.kind.description)\n"
            }
        }
        out += "\nRecorded CPUs (--cpu-model): " + CPUCatalog.all.map { "\($0.id) (\($0.name))" }.joined(separator: ", ") + ", all\n"
        StandardStreams.out(out)
        Benchmark.requireStdout()
    }
}

struct EnvCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "env", abstract: "Describe this host's CPU and environment (no timing).")
    @Flag(help: "One JSON object on stdout.") var json = false

    func run() throws {
        try Runner.checkHost()
        let cpu = CPUDescription.host()
        let facts = EnvironmentRecord.hostFacts()
        let tsc = TSCFrequency.determine(cpu: cpu, calibrationSeconds: 0.1)
        if json { StandardStreams.out(jsonText(EnvJSON.object(cpu: cpu, tsc: tsc)) + "\n"); Benchmark.requireStdout(); return }
        var out = """
        cpu:        \(cpu.vendor) family \(cpu.family) model \(cpu.model) stepping \(cpu.stepping)
        brand:      \(cpu.brand)
        microcode:  \(cpu.microcode ?? "unknown")
        hypervisor: \(cpu.hypervisorVendor ?? "none")
        kernel:     \(facts.kernel)
        cpus:       \(facts.onlineCPUs) online, running on \(Affinity.currentCPU()); governor \(facts.governor); smt \(facts.smt)
        tsc:        \(String(format: "%.3f", tsc.hz / 1e6)) MHz (\(tsc.method.rawValue); calibrated \(String(format: "%.3f", tsc.calibratedHz / 1e6)) MHz)
        features:   \(cpu.features.list.filter(\.1).map(\.0).joined(separator: " "))
        missing:    \(cpu.features.list.filter { !$0.1 }.map(\.0).joined(separator: " "))
        xcr0:       \(cpu.xcr0.map { "0x" + String($0, radix: 16) } ?? "XSAVE not enabled")

        """
        if let x = cpu.xsave {
            out += "xsave:      standard \(x.standardSize(for: x.enabledMask)) bytes (CPUID says \(x.reportedStandardSizeForXCR0)), compacted \(x.compactedSize(for: x.enabledMask)) bytes\n"
            out += "components (index name size@offset flags):\n"
            for c in x.components {
                let flags = [c.aligned64 ? "align64" : nil, c.xfdCapable ? "xfd" : nil,
                             c.supervisor ? "supervisor" : "user",
                             x.enabledMask >> UInt64(c.index) & 1 == 1 ? "enabled" : "not-in-xcr0"]
                    .compactMap { $0 }.joined(separator: ",")
                out += "  \(c.index) \(c.name) \(c.size)@\(c.standardOffset) \(flags)\n"
            }
        }
        StandardStreams.out(out)
        Benchmark.requireStdout()
    }
}

/// Options shared by `run` and `all`.
struct RunOptionGroup: ParsableArguments {
    @Flag(help: "Fewer samples and smaller sweeps (seconds per suite).")
    var quick = false
    @Option(help: "Whole-suite repetitions (5 or more for `compare`).")
    var repetitions = 1
    @Option(help: "CPU to pin the measuring thread to (default: the CPU it starts on).")
    var cpu: Int?
    @Option(help: "Folder for <run-id>/ and the `latest` link.")
    var output = "Results"
    @Option(help: "Name of the run folder (default: UTC time + random suffix).")
    var runId: String?
    @Option(help: "Seed for every random choice (exit-reason mixes, fleets).")
    var seed: UInt64 = 1
    @Flag(help: "Also write every raw sample to <suite>.samples.csv.gz (gzip CSV, one line per row).")
    var samples = false
    @Flag(help: "No progress on stderr.")
    var quiet = false
    @Flag(help: "Replace an existing run folder of the same --run-id whole (written aside, swapped in when complete).")
    var replace = false
    @Option(help: "Extra report formats, comma-separated (csv is always written).")
    var format = CommaSeparated<ReportFormat>([.csv])
    @Option(help: ArgumentHelp("""
        Recorded CPUs for suites that model them, comma-separated, or `all`/`none`. \
        xsave tabulates every one listed (the host always); fpstate-alloc models the first \
        (all = the first recorded CPU, host/none = this host).
        """, valueName: "cpu-model"))
    var cpuModel: CommaSeparated<CPUModelName>?
    @Option(name: .customLong("set"), help: "Suite parameter NAME=VALUE (repeatable; see `benchmark list`).")
    var settings: [String] = []
    @Option(help: "Regular expression over suite/benchmark/params/metric: runs only the benchmarks it names, keeps only matching rows.")
    var filter: String?
    @Flag(help: "Print what would run and roughly how long; run nothing.")
    var dryRun = false
    @Option(help: ArgumentHelp("""
        enforce: a failed self-check on a timed figure exits 7 (default); report: it is written \
        (status=failed) and named in a warning, exit 0. Exact checks exit 7 either way.
        """, valueName: "enforce|report"))
    var timingChecks = "enforce"

    func validate() throws {
        guard repetitions >= 1 && repetitions <= 1000 else {
            throw BenchError.badInput("--repetitions \(repetitions): expected 1...1000")
        }
        if let runId { try RunFolder.validate(runId: runId) }
        if let cpuModel { _ = try CPUModelSelection(cpuModel.text) }
        guard ["enforce", "report"].contains(timingChecks) else {
            throw BenchError.badInput("--timing-checks \(timingChecks): expected enforce or report")
        }
    }

    func runOptions() throws -> RunOptions {
        try validate()
        var o = RunOptions()
        o.quick = quick; o.repetitions = repetitions; o.cpu = cpu
        o.outputRoot = URL(fileURLWithPath: output); o.runId = runId; o.seed = seed
        o.keepSamples = samples; o.quiet = quiet; o.replace = replace
        o.enforceTimingChecks = timingChecks == "enforce"
        for s in settings {
            // An empty VALUE reaches the parameter's kind, which says what it expects.
            let kv = s.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            guard kv.count == 2, !kv[0].isEmpty else {
                throw BenchError.badInput("--set \(s): expected NAME=VALUE")
            }
            guard o.parameters[kv[0]] == nil else {
                throw BenchError.badInput("--set \(kv[0]) given twice (\(o.parameters[kv[0]]!) and \(kv[1])); give it once")
            }
            o.parameters[kv[0]] = kv[1]
        }
        if let cpuModel {
            if let set = o.parameters["cpu-model"] {
                throw BenchError.badInput("--cpu-model \(cpuModel.text) and --set cpu-model=\(set) both given; give one")
            }
            o.parameters["cpu-model"] = cpuModel.text
        }
        o.filter = try filter.map(BenchmarkFilter.init)
        return o
    }

    func execute(_ suites: [BenchmarkSuite]) throws {
        let options = try runOptions()
        try options.filter?.check(selected: suites, known: SuiteRegistry.all)
        if dryRun { StandardStreams.out(try DryRun.text(options, suites)); return }
        let reporters = ReporterRegistry.make(format.values)
        let outcome = try Runner(options: options, reporters: reporters).run(suites)
        StandardStreams.out("\nwrote \(outcome.files.count + 1) files to \(outcome.directory.path) (environment.json, \(outcome.files.joined(separator: ", ")))\n")
        if let e = StandardStreams.stdoutFailure, e != EPIPE {
            StandardStreams.err("note: stdout could not be written (\(StandardStreams.name(e))); the results are in \(outcome.directory.path)\n")
        }
        if !outcome.failedChecks.isEmpty {
            let n = outcome.failedChecks.count
            Benchmark.fail("\(n) self-check\(n == 1 ? "" : "s") failed: \(outcome.failedCheckNames.joined(separator: ", ")) (status=failed rows above)", .checkFailed)
        }
    }
}

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run the named suites.")
    @Argument(help: "Suites to run (see `benchmark list`).")
    var suites: [String]
    @OptionGroup var options: RunOptionGroup

    func run() throws {
        guard !suites.isEmpty else { throw BenchError.badInput("no suite given (known: \(SuiteRegistry.names.joined(separator: ", ")))") }
        try options.execute(try SuiteRegistry.select(suites))
    }
}

struct AllCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "all", abstract: "Run every suite.")
    @OptionGroup var options: RunOptionGroup

    func run() throws { try options.execute(SuiteRegistry.all) }
}
