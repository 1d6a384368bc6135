import ArgumentParser
import BenchCore
import BenchStore
import Foundation

/// `benchmark report --html DIR`: a static site from the store or from run folders.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write a static HTML site (questions, suites, hosts, history charts) from the store or run folders.",
        discussion: """
        With RUN folders, they are read as `compare` reads them into a temporary in-memory store \
        (the store on disk is not touched); without, the store (--store, $\(StoreLocation.environmentVariable) \
        or <output>/\(StoreLocation.defaultFileName)).  The site needs no network: no script, no \
        external file; charts are SVG.  Exit codes: 0 written; 1 bad usage; 4 a run folder is \
        missing, corrupt or incomplete, or the store holds no run; 6 the store or DIR cannot be \
        read or written.
        """)
    @Argument(help: "Run folders to report on instead of the store.")
    var runs: [String] = []
    @Option(help: "Folder to write the site into (created; its pages are replaced).")
    var html: String
    @OptionGroup var storeOptions: StoreOptionGroup

    func validate() throws {
        guard !html.isEmpty else { throw BenchError.badInput("--html: empty path") }
    }

    func run() throws {
        let store: ResultStore
        if runs.isEmpty {
            store = try ResultStore(try storeOptions.location(), create: false)
        } else {
            for r in runs { _ = try ResultStore.validate(URL(fileURLWithPath: r)) }
            store = try ResultStore(StoreLocation("sqlite::memory:"), create: true)
            for r in runs { _ = try store.add(URL(fileURLWithPath: r)) }
        }
        let dir = URL(fileURLWithPath: html)
        let files = try HTMLReport.write(store, to: dir)
        StandardStreams.out("wrote \(files.count) pages to \(dir.path) (open \(dir.appendingPathComponent("index.html").path))\n")
    }
}
