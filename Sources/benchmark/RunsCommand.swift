import ArgumentParser
import BenchCore
import BenchStore
import Foundation

/// `benchmark runs`: list and prune the run folders under Results/.
struct RunsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs",
        abstract: "List the runs in the results folder, or prune old ones.",
        subcommands: [RunsListCommand.self, RunsPruneCommand.self],
        defaultSubcommand: RunsListCommand.self)
}

struct RunsListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "One line per run folder: id, date, host, quick or full, complete (oldest first).",
        discussion: "Folders are read as `compare` reads them; one that is not a valid result folder is listed with the reason.")
    @Option(help: "Folder holding the runs.")
    var output = "Results"
    @Flag(help: "One JSON object on stdout.")
    var json = false

    func run() throws {
        let catalog = RunCatalog.read(URL(fileURLWithPath: output))
        if json {
            let runs: [[String: Any]] = catalog.entries.map { e in
                var o: [String: Any] = ["id": e.name, "path": e.url.path, "reference": e.isReference,
                                        "latest": e.name == catalog.latest, "in_progress": e.inProgress]
                if let i = e.info {
                    o["run_id"] = i.runId; o["date"] = i.date ?? ""; o["host"] = i.hostFingerprint
                    o["kind"] = e.kind; o["complete"] = i.complete; o["commit"] = i.gitCommit ?? ""
                } else {
                    o["problem"] = e.problem ?? ""
                }
                return o
            }
            let data = try JSONSerialization.data(withJSONObject: ["root": output, "runs": runs], options: [.prettyPrinted, .sortedKeys])
            StandardStreams.out(String(decoding: data, as: UTF8.self) + "\n")
            Benchmark.requireStdout()
            return
        }
        var out = ""
        for e in catalog.entries {
            let mark = e.name == catalog.latest ? " (latest)" : ""
            if let i = e.info {
                let state = e.inProgress ? "being written" : (i.complete ? "complete" : "incomplete")
                out += "\(e.name)\(mark)  \(i.date ?? "?")  \(i.hostFingerprint)  \(e.kind)  \(state)\n"
            } else {
                out += "\(e.name)\(mark)  not a valid run: \(e.problem ?? "?")\n"
            }
        }
        if catalog.entries.isEmpty { out = "no runs in \(output)\n" }
        StandardStreams.out(out)
        Benchmark.requireStdout()
    }
}

struct RunsPruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Remove all but the newest N runs.",
        discussion: """
        Never removed: `reference*` folders, the run `latest` points at, a run being written, \
        and folders that are not valid result folders (listed, left alone).  Each removal \
        renames the folder aside first, so an interruption never leaves half a run under its \
        name.  Exit codes: 0 done; 1 bad usage; 6 a folder cannot be removed.
        """)
    @Option(help: "How many of the newest removable runs to keep.")
    var keep: Int
    @Option(help: "Folder holding the runs.")
    var output = "Results"
    @Flag(help: "Say what would be removed; remove nothing.")
    var dryRun = false

    func validate() throws {
        guard keep >= 0 else { throw BenchError.badInput("--keep \(keep): expected 0 or more") }
    }

    func run() throws {
        let catalog = RunCatalog.read(URL(fileURLWithPath: output))
        let doomed = catalog.pruneSet(keep: keep)
        var out = ""
        for e in doomed {
            if !dryRun { try catalog.remove(e) }
            out += (dryRun ? "would remove " : "removed ") + "\(e.name) (\(e.date), \(e.kind))\n"
        }
        for e in catalog.entries where e.info == nil {
            out += "left alone: \(e.name) (not a valid result folder)\n"
        }
        out += "kept \(catalog.entries.filter { $0.info != nil }.count - doomed.count) runs\n"
        StandardStreams.out(out)
    }
}

/// `compare` with no folders: the newest finished run of this host and the
/// newest earlier run of the same kind (`RunCatalog.newestPair`).
enum NewestRuns {
    static func pair(baseline: String?, current: String?, output: String) throws -> (URL, URL) {
        if let baseline, let current { return (URL(fileURLWithPath: baseline), URL(fileURLWithPath: current)) }
        try Runner.checkHost()
        let host = EnvironmentRecord.fingerprint(cpu: CPUDescription.host(), onlineCPUs: EnvironmentRecord.hostFacts().onlineCPUs)
        guard let p = RunCatalog.read(URL(fileURLWithPath: output)).newestPair(host: host) else {
            throw BenchError.baseline("no two finished runs of the same kind (quick or full) on this host in \(output) (see `benchmark runs`)")
        }
        StandardStreams.err("compare: \(p.baseline.name) (baseline) vs \(p.current.name) (the newest run of this host)\n")
        return (p.baseline.url, p.current.url)
    }
}
