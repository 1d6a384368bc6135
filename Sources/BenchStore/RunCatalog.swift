import BenchCompare
import BenchCore
import Foundation

/// The run folders under a results folder (`Results/` by default), read
/// through `ResultFolder` (the same validation as `compare`).
public struct RunCatalog {
    public struct Entry: Sendable {
        public var name: String
        public var url: URL
        /// The run's facts; nil when the folder is not a valid result folder.
        public var info: RunInfo?
        /// Why the folder is not a valid result folder.
        public var problem: String?
        /// A run is being written in it (`.owner` held by a live process).
        public var inProgress: Bool

        /// `reference*` folders are the committed baselines: never pruned.
        public var isReference: Bool { name.hasPrefix("reference") }
        public var kind: String { info?.quick == true ? "quick" : "full" }
        public var date: String { info?.date ?? "" }
    }

    public var root: URL
    /// Oldest first (date, then name); folders that are not runs last.
    public var entries: [Entry]
    /// The folder `latest` points at, if it is a link.
    public var latest: String?

    /// Reads every visible sub-folder of `root` (links such as `latest` are
    /// not runs).  A missing `root` is an empty catalog.
    public static func read(_ root: URL) -> RunCatalog {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).filter { !$0.hasPrefix(".") }
        var entries: [Entry] = []
        for name in names.sorted() {
            let url = root.appendingPathComponent(name)
            var st = stat()
            guard lstat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else { continue }
            let owner = url.appendingPathComponent(RunFolder.ownerFile)
            let pid = (try? String(contentsOf: owner, encoding: .utf8)).flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            let inProgress = pid.map { kill($0, 0) == 0 || errno != ESRCH } ?? false
            do {
                let folder = try ResultFolder.read(url, label: "run")
                entries.append(Entry(name: name, url: url, info: folder.info, problem: nil, inProgress: inProgress))
            } catch let e as BenchError {
                entries.append(Entry(name: name, url: url, info: nil, problem: e.description, inProgress: inProgress))
            } catch {
                entries.append(Entry(name: name, url: url, info: nil, problem: "\(error)", inProgress: inProgress))
            }
        }
        entries.sort { a, b in
            if (a.info == nil) != (b.info == nil) { return a.info != nil }
            return (a.date, a.name) < (b.date, b.name)
        }
        let latest = try? FileManager.default.destinationOfSymbolicLink(atPath: root.appendingPathComponent(RunFolder.latestName).path)
        return RunCatalog(root: root, entries: entries, latest: latest.map { URL(fileURLWithPath: $0).lastPathComponent })
    }

    /// What `prune --keep n` removes: valid, finished runs beyond the `n`
    /// newest, never a `reference*` folder, the target of `latest`, a run
    /// being written, or a folder that is not a valid result folder (it may
    /// be the user's; it is reported, not touched).
    public func pruneSet(keep n: Int) -> [Entry] {
        let candidates = entries.filter { $0.info != nil && !$0.isReference && $0.name != latest && !$0.inProgress }
        return Array(candidates.reversed().dropFirst(max(0, n)))
    }

    /// Removes one run folder: renamed to a temporary name first, so an
    /// interrupted removal leaves a `.<name>.tmp-<pid>` that the next run
    /// clears (`RunFolder.removeStaleTemporaries`), never half a run under
    /// its own name.
    public func remove(_ entry: Entry) throws {
        let aside = root.appendingPathComponent(".\(entry.name).tmp-\(getpid())")
        guard rename(entry.url.path, aside.path) == 0 else {
            throw BenchError.output("cannot remove \(entry.url.path): \(String(cString: strerror(errno)))")
        }
        do { try FileManager.default.removeItem(at: aside) } catch {
            throw BenchError.output("cannot remove \(aside.path): \(error.localizedDescription)")
        }
    }

    /// `compare` with no arguments: the newest finished run of `host` and
    /// the newest earlier one of the same kind (quick or full).
    public func newestPair(host: String) -> (baseline: Entry, current: Entry)? {
        let mine = entries.filter { $0.info?.hostFingerprint == host && $0.info?.complete == true }
        guard let current = mine.last,
              let baseline = mine.dropLast().last(where: { $0.kind == current.kind && $0.date < current.date }) else { return nil }
        return (baseline, current)
    }
}
