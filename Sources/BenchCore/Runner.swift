import CXState
import Foundation

/// Options of one `benchmark run`.
public struct RunOptions: Sendable {
    public var quick = false
    /// Whole-suite repetitions (>= 1).
    public var repetitions = 1
    /// CPU to pin to; nil = the CPU the process started on.
    public var cpu: Int? = nil
    /// Folder that receives `<run-id>/` and the `latest` link.
    public var outputRoot = URL(fileURLWithPath: "Results")
    /// Run folder name; nil = `<UTC date>-<random>`.
    public var runId: String? = nil
    public var seed: UInt64 = 1
    public var keepSamples = false
    public var quiet = false
    /// Replace an existing run folder of the same id whole (see `RunFolder`).
    public var replace = false
    /// Suite parameters by name; each must be declared by a selected suite.
    public var parameters: [String: String] = [:]
    public var commandLine: [String] = CommandLine.arguments
    /// `--filter`: benchmarks that run and rows that are kept; nil = all.
    public var filter: BenchmarkFilter? = nil
    /// Whether a failed self-check on a timed figure (a check row whose gate
    /// is not `exact`) makes the run exit 7.  `false` (`--timing-checks
    /// report`): such rows keep `status=failed` and are named in a warning;
    /// exact checks (sizes, counts) fail the run either way.
    public var enforceTimingChecks = true
    public init() {}
}

/// What a finished run wrote.
public struct RunOutcome: Sendable {
    public var directory: URL
    public var files: [String]
    public var environment: EnvironmentRecord
    /// "CHECK FAILED" lines of every failed self-check that fails the run;
    /// non-empty means exit 7.
    public var failedChecks: [String]
    /// `suite/benchmark/params/metric` of each check in `failedChecks`, once.
    public var failedCheckNames: [String] = []
    /// Warnings and notes said after the run (already printed on stderr).
    public var notes: [String] = []

    public init(directory: URL, files: [String], environment: EnvironmentRecord, failedChecks: [String],
                failedCheckNames: [String] = [], notes: [String] = []) {
        self.directory = directory; self.files = files; self.environment = environment
        self.failedChecks = failedChecks; self.failedCheckNames = failedCheckNames; self.notes = notes
    }
}

/// Runs suites: pins, calibrates, repeats, hands rows to reporters, and
/// writes each suite's files as soon as the suite finishes.
public final class Runner {
    public let options: RunOptions
    public let reporters: [Reporter]
    public let progress: Progress

    public init(options: RunOptions, reporters: [Reporter]) {
        self.options = options
        self.reporters = reporters + (options.keepSamples ? [SamplesReporter()] : [])
        progress = Progress(quiet: options.quiet)
    }

    /// Refuses hosts whose instructions the suites cannot execute.
    public static func checkHost() throws {
        guard cx_is_x86_64() == 1 else {
            throw BenchError.unsupportedHost("the suites need an x86-64 CPU; this host is not x86-64")
        }
        #if !os(Linux)
        throw BenchError.unsupportedHost("the suites need Linux (arch_prctl, /proc, sched_setaffinity)")
        #endif
    }

    /// Rejects parameters no selected suite declares, before anything runs.
    public static func validate(parameters: [String: String], for suites: [BenchmarkSuite]) throws {
        let known = Set(suites.flatMap { $0.parameters.map(\.name) })
        for key in parameters.keys.sorted() where !known.contains(key) {
            throw BenchError.badInput(
                "unknown parameter '\(key)' for suite(s) \(suites.map(\.name).joined(separator: ", ")) (see `benchmark list`)"
                    + DidYouMean.hint(key, among: known.sorted()))
        }
    }

    /// Every check that needs no measurement, for every selected suite,
    /// before any file exists or anything is timed.
    public static func configure(_ suites: [BenchmarkSuite], options: RunOptions, host: CPUDescription) throws {
        try Runner.validate(parameters: options.parameters, for: suites)
        try SlowdownKnob.validate()
        guard options.repetitions >= 1 else { throw BenchError.badInput("--repetitions must be at least 1") }
        if let runId = options.runId { try RunFolder.validate(runId: runId) }
        for suite in suites {
            try Interrupt.check()
            try suite.checkKinds(options.parameters)
            let ctx = SuiteContext.validation(host: host, quick: options.quick, seed: options.seed,
                                              parameters: suite.parameters(in: options.parameters),
                                              declared: suite.parameters)
            try suite.configure(ctx)
        }
    }

    public func run(_ selected: [BenchmarkSuite]) throws -> RunOutcome {
        let plan = options.filter?.plan(selected)
        let suites = plan?.map(\.suite) ?? selected
        try Runner.checkHost()
        let host = CPUDescription.host()
        try Runner.configure(selected, options: options, host: host)

        if let cpu = options.cpu { try Affinity.pin(to: cpu) }  // a bad --cpu fails before any file exists
        try Interrupt.check()

        let runId = options.runId ?? Runner.newRunId()
        let folder = try RunFolder.claim(root: options.outputRoot, runId: runId, replace: options.replace)
        let dir = folder.work

        var files: [String] = []
        var finished: [String] = []
        var failedChecks: [String] = []
        var failedCheckNames: [String] = []
        // Said after the run, so a bad-input error stays the only line it prints.
        var notes: [String] = []
        // A --filter that selected no benchmark by name must keep a row of its own.
        var keptFilteredRow = false, filterKeptNothing = false
        let env: EnvironmentRecord
        do {
            setFallback(folder, finished: [], current: nil)
            let cpu = options.cpu ?? Affinity.currentCPU()
            try Affinity.pin(to: cpu)
            let kernel = TimingKernel(features: host.features)
            if !host.features.invariantTSC {
                notes.append("warning: no invariant TSC (CPUID.80000007H:EDX[8]); ticks may not be constant-rate")
            }
            if EnvironmentRecord.buildConfiguration == "debug" {
                notes.append("warning: debug build: timings include unoptimised code; use `swift run -c release benchmark`")
            }
            let facts = EnvironmentRecord.hostFacts()
            try Interrupt.check()
            if facts.governor.hasPrefix("unknown") {
                notes.append("note: frequency scaling state unknown (no cpufreq); core-cycle figures are estimates")
            }
            let tsc = TSCFrequency.determine(cpu: host, calibrationSeconds: options.quick ? 0.05 : 0.2)
            let empty = Summary(kernel.emptyRegion(samples: 2000)).median
            try Interrupt.check()
            let ticksPerCycle = Runner.ticksPerCoreCycle(kernel)
            let commit = EnvironmentRecord.gitCommit()
            try Interrupt.check()
            let speed = SpeedCalibration(kernel: kernel)
            var speedStates: [(suite: String, start: Double?, end: Double?)] = []

            var record = EnvironmentRecord(
                schemaVersion: ReportSchema.version, runId: runId, toolVersion: ToolVersion.current,
                gitCommit: commit,
                date: ISO8601DateFormatter().string(from: Date()), commandLine: options.commandLine,
                kernel: facts.kernel, hostname: facts.hostname, cpuVendor: host.vendor,
                cpuFamily: host.family, cpuModel: host.model, cpuStepping: host.stepping,
                cpuBrand: host.brand, microcode: host.microcode, hypervisor: host.hypervisorVendor,
                features: Dictionary(uniqueKeysWithValues: host.features.list),
                xcr0: host.xcr0.map { "0x" + String($0, radix: 16) },
                xsaveStandardSize: host.xsave.map { $0.standardSize(for: $0.enabledMask) },
                xsaveCompactedSize: host.xsave.map { $0.compactedSize(for: $0.enabledMask) },
                tscHz: tsc.hz, tscMethod: tsc.method.rawValue, tscCalibratedHz: tsc.calibratedHz,
                ticksPerCoreCycle: ticksPerCycle,
                ticksPerCoreCycleMethod: "dependent 64-bit ADD chain, 1 add per core cycle (estimate; no PMU)",
                emptyRegionTicksMedian: empty, migrationProbe: kernel.migrationProbe, pinnedCPU: cpu,
                onlineCPUs: facts.onlineCPUs, governor: facts.governor, smt: facts.smt,
                swiftVersion: EnvironmentRecord.swiftVersion, quick: options.quick,
                repetitions: options.repetitions, seed: options.seed,
                hostFingerprint: EnvironmentRecord.fingerprint(cpu: host, onlineCPUs: facts.onlineCPUs),
                cpuIdentity: host.identity, kernelIdentity: EnvironmentRecord.kernelIdentity(),
                suitesSelected: suites.map(\.name), parameters: options.parameters)
            record.filter = options.filter?.pattern
            let kvm = KVMPlatform.detect(host: host)
            record.kvmPlatform = kvm.name
            record.kvmHardwareFigures = kvm.hardwareFigures
            record.kvmPlatformNote = kvm.description
            // Written first with `complete: false`, then again after every
            // suite: an interrupted run says which suites finished.
            try record.write(to: dir)

            for suite in suites {
                setFallback(folder, finished: finished, current: suite.name)
                let params = suite.parameters(in: options.parameters)
                var rows: [ResultRow] = []
                var highlights: [String] = []
                for rep in 1...options.repetitions {
                    progress.beginSuite(options.repetitions > 1 ? "\(suite.name) rep \(rep)/\(options.repetitions)" : suite.name)
                    let ctx = SuiteContext(
                        host: host, tsc: tsc, kernel: kernel, ticksPerCoreCycle: ticksPerCycle,
                        emptyRegionTicks: empty, quick: options.quick,
                        // Every repetition reruns the same experiment: same seed.
                        seed: options.seed, repetition: rep, progress: progress,
                        parameters: params, declared: suite.parameters)
                    ctx.selectedBenchmarks = plan?.first { $0.suite.name == suite.name }.map { Set($0.benchmarks) }
                    var timer = ResultRow.timing(
                        suite.name, "_timer", metric: "empty_region",
                        TimingSamples(perOp: kernel.emptyRegion(samples: 1000)),
                        note: "lfence;rdtsc;lfence x2 with nothing between; cancelled by differencing, not subtracted")
                    timer.gate = .info  // a property of the machine, quantised to the TSC step
                    let calibrationStart = speed.measure()
                    var result = try suite.run(ctx)
                    let calibrationEnd = speed.measure()
                    if let filter = options.filter { result.rows = result.rows.filter(filter.keeps) }
                    keptFilteredRow = keptFilteredRow || !result.rows.isEmpty
                    result.rows.insert(timer, at: 0)
                    result.rows.insert(contentsOf: SpeedCalibration.rows(
                        suite: suite.name, start: calibrationStart, end: calibrationEnd), at: 1)
                    speedStates.append((options.repetitions > 1 ? "\(suite.name) rep \(rep)" : suite.name,
                                        calibrationStart.summary?.median, calibrationEnd.summary?.median))
                    for i in result.rows.indices { result.rows[i].repetition = rep }
                    rows += result.rows
                    highlights = result.highlights
                }
                progress.clear()
                let report = SuiteReport(suite: suite.name, rows: rows, environment: record)
                for r in reporters { files += try r.write(report, to: dir) }
                record.speedCalibration?[suite.name] = SpeedCalibrationRecord(
                    startTicks: speedStates[speedStates.count - options.repetitions].start,
                    endTicks: speedStates[speedStates.count - 1].end)
                record.suites[suite.name] = try Runner.fileRecord(
                    dir.appendingPathComponent("\(suite.name).csv"), rows: rows.count)
                record.complete = suite.name == suites.last?.name
                try record.write(to: dir)
                finished.append(suite.name)
                let (fatal, reported) = Runner.failedChecks(rows, enforceTimingChecks: options.enforceTimingChecks)
                failedChecks += ConsoleReport.failedChecks(fatal)
                for name in fatal.map(ConsoleReport.checkName) where !failedCheckNames.contains(name) {
                    failedCheckNames.append(name)
                }
                notes += Runner.checkWarnings(rows, reported: reported)
                ConsoleReport.print(report, highlights: highlights, order: suite.consoleOrder)
            }
            // Against the fastest state of the whole run, so said at its end.
            for state in speedStates {
                notes += SpeedCalibration.warnings(suite: state.suite, start: state.start, end: state.end, best: speed.best)
            }
            if let filter = options.filter, !keptFilteredRow {
                filterKeptNothing = true
                throw BenchError.badInput(filter.keptNothing(suites.map(\.name)))
            }
            env = record
        } catch {
            if case BenchError.interrupted = error { Interrupt.disarm() }
            progress.clear()
            if finished.isEmpty || folder.replacing || filterKeptNothing { folder.discard() } else { try? folder.commit() }
            if case BenchError.interrupted = error {
                Interrupt.report(Runner.interruptedLine(folder, finished: finished))
            }
            throw error
        }
        try folder.commit()
        if let warning = RunFolder.linkLatest(root: options.outputRoot, runId: runId) { notes.append(warning) }
        notes.forEach(progress.note)
        return RunOutcome(directory: folder.final, files: files, environment: env, failedChecks: failedChecks,
                          failedCheckNames: failedCheckNames, notes: notes)
    }

    /// The failed check rows that fail the run, and those only reported:
    /// with `enforceTimingChecks` false, a failed check on a timed figure
    /// (gate not `exact`) is reported; exact checks always fail the run.
    static func failedChecks(_ rows: [ResultRow], enforceTimingChecks: Bool)
        -> (fatal: [ResultRow], reported: [ResultRow]) {
        let failed = rows.filter { $0.status == .failed }
        guard !enforceTimingChecks else { return (failed, []) }
        return (failed.filter { $0.gate == .exact }, failed.filter { $0.gate != .exact })
    }

    /// Warnings said after the run: timed checks the machine moved under
    /// (`disturbed`) and failed timed checks not enforced.
    static func checkWarnings(_ rows: [ResultRow], reported: [ResultRow]) -> [String] {
        func names(_ rows: [ResultRow]) -> String {
            var seen: [String] = []
            for n in rows.map(ConsoleReport.checkName) where !seen.contains(n) { seen.append(n) }
            return seen.joined(separator: ", ")
        }
        var out: [String] = []
        let disturbed = rows.filter { $0.status == .disturbed }
        if !disturbed.isEmpty {
            out.append("warning: timed self-check disturbed (the machine's speed moved under it; no verdict, rerun on a quieter machine): \(names(disturbed))")
        }
        if !reported.isEmpty {
            out.append("warning: timed self-check failed, reported not enforced (--timing-checks report): \(names(reported))")
        }
        return out
    }

    /// What an interrupt leaves, in one line.
    static func interruptedLine(_ folder: RunFolder, finished: [String]) -> String {
        if folder.replacing { return "interrupted: \(folder.final.path) left as it was; nothing of this run was kept" }
        if finished.isEmpty { return "interrupted: no suite had finished; nothing was kept" }
        return "interrupted: kept \(finished.joined(separator: ", ")) in \(folder.final.path); the unfinished suite was discarded"
    }

    /// Tells the interrupt watchdog what to remove and say if it has to end
    /// the process while `current` runs (nil: before the first suite).
    func setFallback(_ folder: RunFolder, finished: [String], current: String?) {
        let pid = getpid()
        var names = [EnvironmentRecord.fileName]
        if let current {
            names += ["csv", "json", "smaller-is-better.json", "samples.csv.gz"].map { "\(current).\($0)" }
        }
        var remove = names.map { folder.work.appendingPathComponent(".\($0).tmp-\(pid)").path }
        if finished.isEmpty && !folder.replacing {
            remove.append(folder.work.appendingPathComponent(EnvironmentRecord.fileName).path)
        }
        if !folder.replacing { remove.append(folder.work.appendingPathComponent(RunFolder.ownerFile).path) }
        Interrupt.setFallback(Runner.interruptedLine(folder, finished: finished), removing: remove,
                              folder: finished.isEmpty && !folder.replacing ? folder.work.path : nil)
    }

    /// The integrity record of a report as it is on disk.
    static func fileRecord(_ url: URL, rows: Int) throws -> SuiteFileRecord {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw BenchError.output("cannot read back \(url.path) to record its digest")
        }
        return SuiteFileRecord(rows: rows, contents: [UInt8](data))
    }

    /// Ticks per core cycle from dependent-add chains (one add per cycle),
    /// or nil if the estimate is not usable.
    public static func ticksPerCoreCycle(_ kernel: TimingKernel) -> Double? {
        let m = kernel.measure(inner: 100, samples: 25, warmup: 3) { n in
            _ = cx_dependent_adds(UInt64(n))
        }
        guard let s = m.summary, s.median > 0 else { return nil }
        return s.median / 100  // one block is 100 adds
    }

    /// `YYYYMMDDTHHMMSSZ-xxxx`: sortable by time, unique across parallel runs.
    public static func newRunId() -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return f.string(from: Date()) + "-" + String(UInt16.random(in: 0...UInt16.max), radix: 16)
    }
}

extension BenchmarkSuite {
    /// The user's parameters this suite declares.
    func parameters(in all: [String: String]) -> [String: String] {
        all.filter { k, _ in parameters.contains { $0.name == k } }
    }
}

public enum ToolVersion {
    public static let current = "0.1.0"
    /// `--version`: the version and the commit (and dirty flag) of the
    /// checkout the executable was built in (see `SourceCheckout.builtDescription`).
    public static var description: String {
        current + (SourceCheckout.builtDescription.map { " (\($0))" } ?? "")
    }
}
