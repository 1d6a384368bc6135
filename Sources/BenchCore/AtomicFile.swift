import Foundation

/// Writes a whole file or nothing: the data goes to a temporary file in the
/// same folder, is flushed, and is renamed over the destination, so a
/// reader (or an interrupted run) never sees a half-written file.  A full
/// disk (ENOSPC) or a file-size limit (EFBIG; SIGXFSZ is ignored) is an
/// `.output` error and the temporary file is removed.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BenchError.output("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        let writeErr = data.withUnsafeBytes { StandardStreams.writeAll($0, to: fd) }
        let ok = writeErr == 0 && fsync(fd) == 0
        let err = writeErr != 0 ? writeErr : errno
        close(fd)
        guard ok, rename(tmp.path, url.path) == 0 else {
            unlink(tmp.path)
            throw BenchError.output("cannot write \(url.path): \(String(cString: strerror(ok ? errno : err)))")
        }
    }

    /// A JSON value (pretty-printed, sorted keys, final line break), whole or not at all.
    public static func writeJSON(_ object: Any, to url: URL) throws {
        let data: Data
        do {
            data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        } catch {
            throw BenchError.output("cannot encode \(url.lastPathComponent): \(error.localizedDescription)")
        }
        try write(data + Data("\n".utf8), to: url)
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }
}
