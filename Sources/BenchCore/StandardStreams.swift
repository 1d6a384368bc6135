import Foundation
import Synchronization

/// Text to stdout and stderr through write(2), and nothing else: a closed,
/// full or vanished stream never stops the tool.
///
/// Foundation's `FileHandle.write` traps on any write error and `print`
/// buffers into stdio, so neither is used for the tool's output.  Here:
/// - EINTR and short writes are retried (the loop is bounded by the byte
///   count: each turn writes at least one byte or stops);
/// - EPIPE (reader gone, e.g. `| head -1`), EBADF (stream closed, `>&-`),
///   ENOSPC/EFBIG/EIO (`>/dev/full`, a file-size limit) drop the rest of
///   that stream for the rest of the process and are remembered in
///   `stdoutFailure` / `stderrFailure`;
/// - SIGPIPE and SIGXFSZ are ignored (`ignoreFatalSignals`), so these
///   conditions arrive as errors instead of killing the process.
///
/// Exit status (documented in `benchmark --help`): for `run` and `all` the
/// results are the files in the run folder, so a lost stdout or stderr
/// never changes the status; a note goes to stderr when only stdout was
/// lost.  For `list` and `env`, whose output is the product, a lost stdout
/// is exit 6, except EPIPE: a reader that stopped reading on purpose.
public enum StandardStreams {
    private static let outErrno = Atomic<Int32>(0)
    private static let errErrno = Atomic<Int32>(0)

    /// errno of the first failed stdout write, or nil while stdout works.
    public static var stdoutFailure: Int32? { let e = outErrno.load(ordering: .relaxed); return e == 0 ? nil : e }
    /// errno of the first failed stderr write, or nil while stderr works.
    public static var stderrFailure: Int32? { let e = errErrno.load(ordering: .relaxed); return e == 0 ? nil : e }

    /// Ignores SIGPIPE and SIGXFSZ for the whole process: a closed pipe is
    /// EPIPE and a file-size limit is EFBIG, both handled where they occur.
    public static func ignoreFatalSignals() {
        signal(SIGPIPE, SIG_IGN)
        signal(SIGXFSZ, SIG_IGN)
    }

    /// Writes `text` to stdout unless stdout has already failed.
    public static func out(_ text: String) { emit(text, fd: STDOUT_FILENO, failure: outErrno) }

    /// Writes `text` to stderr unless stderr has already failed.
    public static func err(_ text: String) { emit(text, fd: STDERR_FILENO, failure: errErrno) }

    private static func emit(_ text: String, fd: Int32, failure: borrowing Atomic<Int32>) {
        guard failure.load(ordering: .relaxed) == 0, !text.isEmpty else { return }
        let e = writeAll(Array(text.utf8), to: fd)
        if e != 0 { failure.store(e, ordering: .relaxed) }
    }

    /// write(2) until every byte is written; returns 0 or the errno that
    /// stopped it.  EINTR is retried; a zero-byte write counts as EIO.
    public static func writeAll(_ raw: UnsafeRawBufferPointer, to fd: Int32) -> Int32 {
        guard let base = raw.baseAddress else { return 0 }
        var off = 0
        while off < raw.count {
            let n = write(fd, base + off, raw.count - off)
            if n > 0 { off += n; continue }
            if n < 0 && errno == EINTR { continue }
            return n == 0 ? EIO : errno
        }
        return 0
    }

    public static func writeAll(_ bytes: [UInt8], to fd: Int32) -> Int32 {
        bytes.withUnsafeBytes { writeAll($0, to: fd) }
    }

    /// A short name for an errno value ("EPIPE", "ENOSPC", ...), for notes.
    public static func name(_ e: Int32) -> String {
        switch e {
        case EPIPE: return "EPIPE"
        case EBADF: return "EBADF"
        case ENOSPC: return "ENOSPC"
        case EFBIG: return "EFBIG"
        case EIO: return "EIO"
        default: return "errno \(e)"
        }
    }
}
