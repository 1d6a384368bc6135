import ArgumentParser
import BenchCore
import BenchStore
import Foundation

/// Where the store is: `--store`, else $XFD_BENCH_STORE, else `<output>/history.sqlite`.
struct StoreOptionGroup: ParsableArguments {
    @Option(help: ArgumentHelp("""
        The results store: an SQLite file, or a PostgreSQL URL (postgresql://USER@HOST/DB; \
        the password from ~/.pgpass or PGPASSWORD rather than the URL). \
        Default: $\(StoreLocation.environmentVariable), else <output>/\(StoreLocation.defaultFileName).
        """, valueName: "path-or-url"))
    var store: String?
    @Option(help: "Folder holding the runs (and the default SQLite store).")
    var output = "Results"

    func location() throws -> StoreLocation { try StoreLocation.resolve(option: store, results: output) }

    func validate() throws { _ = try location() }
}

/// `benchmark store ...`: the only writer of the results store.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Keep runs in a results store (SQLite by default, PostgreSQL for a team).",
        subcommands: [StoreAddCommand.self, StoreDumpCommand.self])
}

struct StoreAddCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add finished run folders to the store (a run already stored is left as it is).",
        discussion: """
        Each folder is validated as `compare` validates it (environment.json, schema version, \
        every report's size, digest and row count) and must be complete.  Every folder is \
        checked before any is stored; each run is stored in one transaction, so an error or \
        a lost connection leaves no part of it.  Exit codes: 0 stored; 1 bad usage; 4 a folder \
        is missing, corrupt, incompatible or incomplete; 6 the store cannot be opened or written.
        """)
    @Argument(help: "Run folders (e.g. Results/<run-id>).")
    var runs: [String]
    @OptionGroup var storeOptions: StoreOptionGroup

    func validate() throws {
        guard !runs.isEmpty else { throw BenchError.badInput("no run folder given") }
    }

    func run() throws {
        let location = try storeOptions.location()
        // Every folder first: nothing is stored when one of them is bad.
        for r in runs { _ = try ResultStore.validate(URL(fileURLWithPath: r)) }
        let store = try ResultStore(location, create: true)
        var out = ""
        for r in runs {
            let (run, outcome) = try store.add(URL(fileURLWithPath: r))
            switch outcome {
            case .added(let rows): out += "stored \(run.runId) (\(rows) rows, host \(run.hostFingerprint), commit \(run.commitLabel))\n"
            case .alreadyStored: out += "already stored: \(run.runId) (\(r))\n"
            }
        }
        out += "store: \(location.redacted)\n"
        StandardStreams.out(out)
    }
}

struct StoreDumpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dump",
        abstract: "Print every stored run and row in a fixed order (two stores with the same runs print the same text).")
    @OptionGroup var storeOptions: StoreOptionGroup

    func run() throws {
        let store = try ResultStore(try storeOptions.location(), create: false)
        StandardStreams.out(try store.canonicalDump().joined(separator: "\n") + "\n")
        Benchmark.requireStdout()
    }
}
