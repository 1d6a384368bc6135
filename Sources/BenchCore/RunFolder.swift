import Foundation

/// The folder one run owns, `<root>/<run-id>/`.
///
/// - A new run id: the folder is made with mkdir(2), which only one process
///   can do, and claimed with `.owner` (O_EXCL, holding the PID); a run that
///   loses either race is refused with exit 1.  `.owner` is removed when the
///   run ends.
/// - An existing run id is refused (exit 1) unless `--replace`: the run then
///   writes into a fresh `<root>/.<run-id>.tmp-<pid>/` and, once complete,
///   swaps it with the old folder (renameat2 RENAME_EXCHANGE where the C
///   library has it, else two renames) and removes the old one, so readers
///   see the old run or the new one, never a mix.
/// - An empty existing folder (or one holding only stale temporaries) is
///   claimed like a new one.
/// - `latest` is reserved for the link to the newest run.
/// - Temporaries named `.<name>.tmp-<pid>` (and a `.owner`) whose process is
///   gone are left-overs of a killed run: the next run in that folder (or
///   in `root`) removes them.
public struct RunFolder: Sendable {
    public let root: URL
    public let runId: String
    /// Where the run's files end up.
    public let final: URL
    /// Where they are written while the run is going: `final`, or the
    /// temporary folder that replaces it at `commit()`.
    public let work: URL
    public var replacing: Bool { work != final }

    public static let ownerFile = ".owner"
    public static let latestName = "latest"
    /// Bytes; well below NAME_MAX (255) so `.<id>.tmp-<pid>` still fits.
    public static let maxRunIdBytes = 128

    /// Checks a `--run-id` before anything runs.
    public static func validate(runId: String) throws {
        guard !runId.isEmpty, !runId.contains("/"), !runId.hasPrefix("."),
              !runId.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else {
            throw BenchError.badInput("--run-id '\(runId)': expected a plain folder name (no '/', no leading '.', no control characters)")
        }
        guard runId.utf8.count <= maxRunIdBytes else {
            throw BenchError.badInput("--run-id of \(runId.utf8.count) bytes: at most \(maxRunIdBytes)")
        }
        guard runId != latestName else {
            throw BenchError.badInput("--run-id latest: reserved for the link to the newest run")
        }
    }

    /// Creates and claims the run folder, or throws: `.badInput` when the run
    /// id is taken, `.output` when the folder cannot be made.
    public static func claim(root: URL, runId: String, replace: Bool) throws -> RunFolder {
        try validate(runId: runId)
        try prepareRoot(root)
        removeStaleTemporaries(in: root)
        let final = root.appendingPathComponent(runId)
        if mkdir(final.path, 0o755) == 0 {
            try claimOwner(final, runId: runId)
            return RunFolder(root: root, runId: runId, final: final, work: final)
        }
        let err = errno
        guard err == EEXIST else { throw BenchError.output("cannot create run folder \(final.path): \(String(cString: strerror(err)))") }
        var st = stat()
        guard lstat(final.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR else {
            throw BenchError.badInput("--run-id \(runId): \(final.path) exists and is not a run folder; choose another run id")
        }
        removeStaleTemporaries(in: final)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: final.path)) ?? []
        if entries.isEmpty {
            try claimOwner(final, runId: runId)
            return RunFolder(root: root, runId: runId, final: final, work: final)
        }
        if entries.contains(ownerFile) {
            throw BenchError.badInput("--run-id \(runId): another run is writing \(final.path)")
        }
        guard replace else {
            throw BenchError.badInput("--run-id \(runId): \(final.path) already holds a run (\(entries.count) files); choose another run id or pass --replace")
        }
        let work = root.appendingPathComponent(".\(runId).tmp-\(getpid())")
        guard mkdir(work.path, 0o755) == 0 else {
            throw BenchError.output("cannot create \(work.path): \(String(cString: strerror(errno)))")
        }
        return RunFolder(root: root, runId: runId, final: final, work: work)
    }

    /// Makes `root` (and parents) and proves it writable, or throws `.output`.
    static func prepareRoot(_ root: URL) throws {
        do {
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        } catch {
            throw BenchError.output("cannot create output folder \(root.path): \(error.localizedDescription)")
        }
        guard access(root.path, W_OK) == 0 else {
            throw BenchError.output("output folder \(root.path) is not writable")
        }
    }

    private static func claimOwner(_ dir: URL, runId: String) throws {
        let path = dir.appendingPathComponent(ownerFile).path
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            if errno == EEXIST { throw BenchError.badInput("--run-id \(runId): another run is writing \(dir.path)") }
            throw BenchError.output("cannot write in \(dir.path): \(String(cString: strerror(errno)))")
        }
        _ = StandardStreams.writeAll(Array("\(getpid())\n".utf8), to: fd)
        close(fd)
    }

    /// The run finished (or kept what finished): the new folder takes the
    /// run id's place when replacing; the ownership claim is dropped.
    public func commit() throws {
        guard replacing else {
            unlink(final.appendingPathComponent(Self.ownerFile).path)
            return
        }
        if Self.exchange(work.path, final.path) {
            Self.removeTree(work)  // now the old run
            return
        }
        let old = root.appendingPathComponent(".\(runId).old.tmp-\(getpid())")
        guard rename(final.path, old.path) == 0, rename(work.path, final.path) == 0 else {
            throw BenchError.output("cannot move the new run into \(final.path): \(String(cString: strerror(errno)))")
        }
        Self.removeTree(old)
    }

    /// The run failed or was interrupted before any suite finished: removes
    /// everything it wrote (the folder itself when it claimed it).
    public func discard() {
        if replacing { Self.removeTree(work); return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: final.path)) ?? [] {
            unlink(final.appendingPathComponent(name).path)
        }
        rmdir(final.path)
    }

    /// Removes `.<name>.tmp-<pid>` entries (files or folders) and a stale
    /// `.owner` whose process no longer exists.
    public static func removeStaleTemporaries(in dir: URL) {
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] where name.hasPrefix(".") {
            let url = dir.appendingPathComponent(name)
            let pid: pid_t?
            if name == ownerFile {
                pid = (try? String(contentsOf: url, encoding: .utf8)).flatMap {
                    pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            } else if let r = name.range(of: ".tmp-", options: .backwards) {
                pid = pid_t(name[r.upperBound...])
            } else {
                continue
            }
            guard let pid, pid > 0, pid != getpid(), !processExists(pid) else { continue }
            removeTree(url)
        }
    }

    /// kill(pid, 0): ESRCH means no such process (EPERM: it exists, not ours).
    static func processExists(_ pid: pid_t) -> Bool {
        kill(pid, 0) == 0 || errno != ESRCH
    }

    static func removeTree(_ url: URL) {
        try? FileManager.default.removeItem(at: url)
    }

    /// Atomically swaps two paths with renameat2(RENAME_EXCHANGE), looked up
    /// at run time (the Swift Glibc module does not declare it); false when
    /// the C library or the file system lacks it.
    static func exchange(_ a: String, _ b: String) -> Bool {
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let sym = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else { return false }
        let renameat2 = unsafeBitCast(sym, to: RenameAt2.self)
        let renameExchange: UInt32 = 1 << 1
        return renameat2(AT_FDCWD, a, AT_FDCWD, b, renameExchange) == 0
    }

    /// Points `<root>/latest` at the run folder, replacing the link
    /// atomically.  Returns a warning when something that is not a link
    /// already has that name (it is left as it is).
    public static func linkLatest(root: URL, runId: String) -> String? {
        let link = root.appendingPathComponent(latestName)
        var st = stat()
        if lstat(link.path, &st) == 0, (st.st_mode & S_IFMT) != S_IFLNK {
            return "warning: \(link.path) exists and is not a link; left as it is (the newest run is \(runId))"
        }
        let tmp = root.appendingPathComponent(".latest.tmp-\(getpid())")
        unlink(tmp.path)
        guard symlink(runId, tmp.path) == 0 else { return "warning: cannot update \(link.path): \(String(cString: strerror(errno)))" }
        if rename(tmp.path, link.path) != 0 {
            let e = errno
            unlink(tmp.path)
            return "warning: cannot update \(link.path): \(String(cString: strerror(e)))"
        }
        return nil
    }
}
