import Foundation

/// Writes a whole file or nothing: the data goes to a temporary file in the
/// same folder, is flushed, and is renamed over the destination, so a
/// reader (or an interrupted run) never sees a half-written file.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let dir = url.deletingLastPathComponent()
        let tmp = dir.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(tmp.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw BenchError.output("cannot write \(url.path): \(String(cString: strerror(errno)))")
        }
        let ok = data.withUnsafeBytes { raw -> Bool in
            var off = 0
            while off < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + off, raw.count - off)
                if n <= 0 { return false }
                off += n
            }
            return fsync(fd) == 0
        }
        let err = errno
        close(fd)
        guard ok, rename(tmp.path, url.path) == 0 else {
            unlink(tmp.path)
            throw BenchError.output("cannot write \(url.path): \(String(cString: strerror(ok ? errno : err)))")
        }
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Data(text.utf8), to: url)
    }

    /// Creates `dir` (and parents) and proves it writable, or throws `.output`.
    public static func prepareDirectory(_ dir: URL) throws {
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw BenchError.output("cannot create output folder \(dir.path): \(error.localizedDescription)")
        }
        guard access(dir.path, W_OK) == 0 else {
            throw BenchError.output("output folder \(dir.path) is not writable")
        }
    }
}
