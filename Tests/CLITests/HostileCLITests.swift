import Foundation
import Testing
import BenchCore

/// What a user does to the tool on purpose or by accident (closed streams,
/// resource limits, reused run ids, signals) and what it must do instead of
/// crashing, hanging, or mixing runs.  Structure and exit codes only, never
/// a duration.
extension CLI {
    /// Runs the binary through /bin/sh: `setup` (ulimit, ...) first, then
    /// `exec benchmark ARGS REDIRECTIONS`.
    static func shell(_ args: [String], setup: String = "", redirect: String = "",
                      environment: [String: String] = [:], in folder: URL? = nil) throws -> Result {
        let quoted = ([binary.path] + reportingTimingChecks(args)).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "\(setup)\nexec \(quoted.joined(separator: " ")) \(redirect)"]
        if !environment.isEmpty { p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        if let folder { p.currentDirectoryURL = folder }
        return try launch(p)
    }

    static func entries(_ dir: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted()
    }
}

/// The "crashes and hangs" cases: each must end with a documented status.
@Suite(.serialized) struct CLIHostileStreamTests {
    /// Runs harness with each redirection; every run must succeed and be complete.
    func expectCompleteRuns(_ redirects: [String], quiet: Bool) throws -> [String: CLI.Result] {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        var results: [String: CLI.Result] = [:]
        for (i, redirect) in redirects.enumerated() {
            let r = try CLI.shell(["run", "harness", "--quick", "--output", dir.path, "--run-id", "r\(i)"] + (quiet ? ["--quiet"] : []),
                                  redirect: redirect)
            #expect(r.status == 0, "\(redirect): \(r.stderr)")
            let run = dir.appendingPathComponent("r\(i)")
            #expect(try EnvironmentRecord.read(from: run).complete)
            #expect(try !CLI.rows(run.appendingPathComponent("harness.csv")).isEmpty)
            results[redirect] = r
        }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.appendingPathComponent("latest").path) == "r\(redirects.count - 1)")
        return results
    }

    @Test func closedOrFullStdoutStillWritesResults() throws {
        for (redirect, r) in try expectCompleteRuns([">&-", ">/dev/full"], quiet: true) {
            #expect(r.stderr.contains("note: stdout could not be written"), "\(redirect): \(r.stderr)")
        }
    }

    @Test func closedOrFullStderrIsNotFatal() throws {
        _ = try expectCompleteRuns(["2>&-", "2>/dev/full"], quiet: false)
        #expect(try CLI.shell(["run", "nosuch"], redirect: "2>&-").status == ExitStatus.usage.rawValue)
        #expect(try CLI.shell(["run", "nosuch"], redirect: "2>/dev/full").status == ExitStatus.usage.rawValue)
    }

    /// `benchmark ... | head -1`: the reader leaves after one line; the
    /// later suite still runs and every file is written.
    @Test func readerLeavingEarlyDoesNotStopTheRun() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.shell(["run", "harness", "rdmsr-exit", "--quick", "--quiet", "--output", dir.path, "--run-id", "p",
                               "--set", "samples=3", "--set", "rdmsr-cost=25"],
                              setup: "exec 3>&1", redirect: "| head -1 >&3; exit $?",
                              environment: [:])
        _ = r
        // The pipeline's status is head's; what matters is the run folder.
        let env = try EnvironmentRecord.read(from: dir.appendingPathComponent("p"))
        #expect(env.complete && env.suites.keys.sorted() == ["harness", "rdmsr-exit"])
    }

    @Test func listToFullStdoutIsAnOutputError() throws {
        #expect(try CLI.shell(["list"], redirect: ">/dev/full").status == ExitStatus.output.rawValue)
        #expect(try CLI.shell(["list"], redirect: "| true").status == 0)
    }
}

@Suite(.serialized) struct CLIHostileLimitTests {
    func expectRefused(_ args: [String], setup: String = "", containing text: String) throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.shell(args + ["--output", dir.path], setup: setup)
        #expect(r.status == ExitStatus.usage.rawValue, "\(args): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1 && r.stderr.contains(text), "\(args): \(r.stderr)")
        #expect(CLI.entries(dir).isEmpty, "\(args) left \(CLI.entries(dir))")
    }

    @Test func hugeFleetWeightIsRefusedBeforeRunning() throws {
        try expectRefused(["run", "rdmsr-exit", "--quick", "--set", "fleet=legacy=1e19"], containing: "fleet=legacy=1e19")
    }

    @Test func quickRunsStayQuick() throws {
        try expectRefused(["run", "rdmsr-exit", "--quick", "--set", "exits=1000000"], containing: "--quick")
        try expectRefused(["run", "rdmsr-exit", "--quick", "--set", "samples=10000", "--set", "exits=100000"], containing: "--quick")
        try expectRefused(["run", "rdmsr-exit", "--set", "samples=10000", "--set", "exits=1000000"], containing: "exits per configuration")
    }

    @Test func memoryBudgetRefusesHugeFleets() throws {
        try expectRefused(["run", "fpstate-alloc", "--quick", "--set", "vcpus=4096", "--set", "latency-vcpus=4096"],
                          setup: "ulimit -v 300000", containing: "memory budget")
    }

    @Test func fewFileDescriptorsAndLittleAddressSpace() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (id, setup) in [("n8", "ulimit -n 8"), ("v80000", "ulimit -v 80000")] {
            let r = try CLI.shell(["run", "harness", "--quick", "--quiet", "--output", dir.path, "--run-id", id], setup: setup)
            #expect(r.status == 0, "\(setup): \(r.stderr)")
            #expect(try EnvironmentRecord.read(from: dir.appendingPathComponent(id)).complete)
        }
    }

    /// A slow `git` on PATH and a current directory in another repository
    /// change nothing: the commit is read from the tool's own checkout.
    @Test func commitIsTheToolsOwnWithoutGit() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let bin = dir.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let git = bin.appendingPathComponent("git")
        try "#!/bin/sh\nsleep 600\n".write(to: git, atomically: true, encoding: .utf8)
        chmod(git.path, 0o755)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("other/.git"), withIntermediateDirectories: true)
        try "0123456789abcdef0123456789abcdef01234567\n".write(
            to: dir.appendingPathComponent("other/.git/HEAD"), atomically: true, encoding: .utf8)
        let r = try CLI.shell(["run", "harness", "--quick", "--quiet", "--output", dir.path, "--run-id", "g"],
                              environment: ["PATH": bin.path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "")],
                              in: dir.appendingPathComponent("other"))
        #expect(r.status == 0, "\(r.stderr)")
        let env = try EnvironmentRecord.read(from: dir.appendingPathComponent("g"))
        // The commit is fixed when the tool is built (`--version` prints it), not read from a checkout at run time.
        let version = try CLI.shell(["--version"]).stdout
        let expected = version.range(of: #"commit ([0-9a-f]{12})"#, options: .regularExpression)
            .map { String(version[$0].dropFirst("commit ".count)) }
        #expect(expected != nil, "\(version)")
        #expect(env.gitCommit == expected)
        #expect(env.gitCommit != "0123456789ab")
    }

    @Test func fileSizeLimitIsAnOutputErrorLeavingNothing() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.shell(["run", "xsave", "--quick", "--quiet", "--output", dir.path, "--run-id", "f"], setup: "ulimit -f 8")
        #expect(r.status == ExitStatus.output.rawValue, "\(r.stderr)")
        #expect(r.stderr.contains("File too large"))
        #expect(!CLI.entries(dir).contains("f"))
        #expect(CLI.hiddenFiles(in: dir).isEmpty)
    }
}

/// The "runs that mix, lose or corrupt results" cases.
@Suite(.serialized) struct CLIRunFolderTests {
    func run(_ dir: URL, _ id: String, _ extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["run", "harness", "--quick", "--quiet", "--output", dir.path, "--run-id", id] + extra)
    }

    @Test func existingRunIdIsRefusedAndReplaceReplacesWhole() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try run(dir, "r", ["--samples"]).status == 0)
        let csv = dir.appendingPathComponent("r/harness.csv")
        let before = try Data(contentsOf: csv)
        let again = try run(dir, "r", ["--seed", "7"])
        #expect(again.status == ExitStatus.usage.rawValue && again.stderr.contains("--replace"))
        #expect(try Data(contentsOf: csv) == before)
        #expect(try EnvironmentRecord.read(from: dir.appendingPathComponent("r")).seed == 1)
        let replaced = try run(dir, "r", ["--seed", "7", "--replace"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        let env = try EnvironmentRecord.read(from: dir.appendingPathComponent("r"))
        #expect(env.seed == 7 && env.complete)
        // Whole: the samples file of the old run is gone with it.
        #expect(CLI.entries(dir.appendingPathComponent("r")) == ["environment.json", "harness.csv"])
        #expect(CLI.hiddenFiles(in: dir).isEmpty)
    }

    @Test func latestIsReservedAndNeverOverwritten() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try run(dir, "latest")
        #expect(r.status == ExitStatus.usage.rawValue && r.stderr.contains("reserved"))
        #expect(CLI.entries(dir).isEmpty)
        for kind in ["file", "folder"] {
            let root = dir.appendingPathComponent(kind)
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            let latest = root.appendingPathComponent("latest")
            if kind == "file" { try "mine".write(to: latest, atomically: true, encoding: .utf8) }
            else { try FileManager.default.createDirectory(at: latest, withIntermediateDirectories: true) }
            let r = try CLI.run(["run", "harness", "--quick", "--output", root.path, "--run-id", "x"])
            #expect(r.status == 0)
            #expect(r.stderr.contains("is not a link; left as it is"), "\(r.stderr)")
            if kind == "file" { #expect(try String(contentsOf: latest, encoding: .utf8) == "mine") }
            else { #expect(CLI.entries(latest).isEmpty) }
        }
    }

    @Test func concurrentRunsWithOneRunIdHaveOneWinner() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        nonisolated(unsafe) var statuses: [Int32] = []
        let lock = NSLock()
        DispatchQueue.concurrentPerform(iterations: 3) { _ in
            let s = (try? run(dir, "same"))?.status ?? -1
            lock.lock(); statuses.append(s); lock.unlock()
        }
        #expect(statuses.sorted() == [0, 1, 1], "\(statuses)")
        #expect(try EnvironmentRecord.read(from: dir.appendingPathComponent("same")).complete)
        #expect(CLI.hiddenFiles(in: dir.appendingPathComponent("same")).isEmpty)
    }

    @Test func longRunIdIsBadInput() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try run(dir, String(repeating: "x", count: 300))
        #expect(r.status == ExitStatus.usage.rawValue, "\(r.stderr)")
        #expect(CLI.entries(dir).isEmpty)
    }

    /// A killed run's temporaries (dead PID) are removed by the next run in
    /// that folder; a live process's are left alone.
    @Test func staleTemporariesAreRemoved() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let dead = deadPID()
        let run = dir.appendingPathComponent("k")
        try FileManager.default.createDirectory(at: run, withIntermediateDirectories: true)
        try "x".write(to: run.appendingPathComponent(".harness.csv.tmp-\(dead)"), atomically: true, encoding: .utf8)
        try "\(dead)\n".write(to: run.appendingPathComponent(".owner"), atomically: true, encoding: .utf8)
        try FileManager.default.createDirectory(at: dir.appendingPathComponent(".old.tmp-\(dead)"), withIntermediateDirectories: true)
        try "x".write(to: dir.appendingPathComponent(".latest.tmp-\(getpid())"), atomically: true, encoding: .utf8)
        let r = try self.run(dir, "k")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(CLI.hiddenFiles(in: run).isEmpty)
        #expect(CLI.hiddenFiles(in: dir) == [".latest.tmp-\(getpid())"])
    }

    func deadPID() -> pid_t {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/true")
        try? p.run()
        p.waitUntilExit()
        return p.processIdentifier
    }

    @Test func compareNeverWritesIntoAResultFolder() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try run(dir, "a").status == 0)
        let csv = dir.appendingPathComponent("a/harness.csv")
        let before = try Data(contentsOf: csv)
        let r = try CLI.run(["compare", dir.appendingPathComponent("a").path, dir.appendingPathComponent("a").path,
                             "--markdown", csv.path])
        #expect(r.status == ExitStatus.usage.rawValue, "\(r.stderr)")
        #expect(try Data(contentsOf: csv) == before)
    }

    /// Every suite's parameters are checked before the first suite runs.
    @Test func badParameterOfALaterSuiteStopsBeforeAnyRuns() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        for args in [["--set", "vcpus=0"], ["--cpu-model", "pentium"], ["--cpu-model", "spr,"]] {
            let r = try CLI.run(["all", "--quick", "--quiet", "--output", dir.path] + args)
            #expect(r.status == ExitStatus.usage.rawValue, "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(CLI.entries(dir).isEmpty)
        }
    }

    /// One --cpu-model grammar: a list works for the one-CPU suite too (its first entry).
    @Test func cpuModelListWorksForEverySuite() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["run", "fpstate-alloc", "--quick", "--quiet", "--output", dir.path, "--run-id", "m",
                             "--cpu-model", "zen4,spr", "--set", "vcpus=1", "--set", "latency-vcpus=16", "--set", "allocators=malloc"])
        #expect(r.status == 0, "\(r.stderr)")
        let rows = try CLI.rows(dir.appendingPathComponent("m/fpstate-alloc.csv"))
        #expect(rows.filter { !$0["benchmark"]!.hasPrefix("_") }.allSatisfy { $0["params"]!.hasPrefix("cpu-model=zen4") })
        #expect(try CPUModelSelection("all").first(host: CPUDescription.host()).brand == CPUCatalog.all[0].description.brand)
        #expect(try CPUCatalog.select("host,zen3,zen3").map(\.id) == ["zen3"])
    }

    @Test func helpListsAllowedValuesAndVersion() throws {
        let help = try CLI.run(["run", "--help"])
        for v in CPUModelSelection.allValues + ["csv", "json"] { #expect(help.stdout.contains(v)) }
        #expect(help.stdout.contains("--replace"))
        let version = try CLI.run(["--version"])
        #expect(version.status == 0 && version.stdout.hasPrefix(ToolVersion.current))
    }
}

@Suite(.serialized) struct CLISignalTests {
    /// rdmsr-exit parameters whose run takes many minutes on any machine:
    /// 1,000 exits per short region and 1,990 rounds, just inside the
    /// suite's cap of 2,000,000 exits per configuration and 100 times the
    /// default's (64 x 302), for every configuration, where the default suite
    /// takes seconds.  A test that signals it cannot see the run end first,
    /// so none needs an "ended before the signal" way out, and none passes
    /// without its checks.
    static let holdingRun = ["--set", "samples=1990", "--set", "exits=1000"]

    /// However early the signal lands, the process ends with 130 and one
    /// "interrupted:" line, and leaves no partial run behind.
    @Test func earlyInterruptStillSaysInterrupted() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // From 30 ms after the spawn: main has started (earlier, the dynamic
        // loader is still mapping libraries and no handler can exist yet).
        for delay in [30_000, 100_000, 300_000] as [useconds_t] {
            let r = try CLI.run(["run", "xsave", "--output", dir.path, "--run-id", "e\(delay)"],
                                interruptWhen: { _ in usleep(delay); return true })
            #expect(r.status == ExitStatus.interrupted.rawValue, "\(r.stderr)")
            #expect(r.stderr.contains("interrupted:"), "\(r.stderr)")
            #expect(!CLI.entries(dir).contains("e\(delay)"))
        }
    }

    /// A second signal ends the run at once, with the line and finished suites kept.
    @Test func secondInterruptEndsAtOnceWithTheLine() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = dir.appendingPathComponent("two")
        let harnessCSV = run.appendingPathComponent("harness.csv")
        // The suite after harness runs for minutes (Self.holdingRun), so both
        // signals land while it runs: the run cannot end before them.
        let r = try CLI.run(["run", "harness", "rdmsr-exit", "--output", dir.path, "--run-id", "two"] + Self.holdingRun,
                            interruptWhen: { p in
                                guard FileManager.default.fileExists(atPath: harnessCSV.path) else { return false }
                                kill(p.processIdentifier, SIGINT)
                                return true
                            })
        #expect(r.status == ExitStatus.interrupted.rawValue, "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "interrupted:").count == 2, "\(r.stderr)")
        #expect(r.stderr.contains("kept harness"))
        let env = try EnvironmentRecord.read(from: run)
        #expect(!env.complete && env.suites.keys.sorted() == ["harness"])
        #expect(try !CLI.rows(harnessCSV).isEmpty)
    }

    /// A long sample loop (no step between samples) still ends on SIGINT,
    /// through the watchdog, with the line.
    @Test func interruptInsideALongLoop() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let start = Date()
        let r = try CLI.run(["run", "rdmsr-exit", "--output", dir.path, "--run-id", "l"] + Self.holdingRun,
                            interruptWhen: { _ in Date().timeIntervalSince(start) > 1.5 })
        #expect(r.status == ExitStatus.interrupted.rawValue, "\(r.stderr)")
        #expect(r.stderr.contains("interrupted: no suite had finished; nothing was kept"))
        #expect(CLI.entries(dir).isEmpty)
    }
}
