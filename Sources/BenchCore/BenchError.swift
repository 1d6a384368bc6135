/// The process exit codes of `benchmark`, shared by every subcommand.
/// Documented in `benchmark --help` and the README.
public enum ExitStatus: Int32, CaseIterable, Sendable {
    /// Success (`compare`: no regression).
    case ok = 0
    /// Bad input: unknown suite or option, malformed number, unreadable file.
    case usage = 1
    /// `compare`: at least one row regressed.
    case regression = 2
    /// `compare --fail-on-inconclusive`: at least one row was inconclusive.
    case inconclusive = 3
    /// `compare`: baseline missing, corrupt or incompatible.
    case baseline = 4
    /// The host cannot run the suites (not x86-64, no usable TSC).
    case unsupportedHost = 5
    /// The output folder cannot be created or written.
    case output = 6
    /// `run`/`all`: every file was written, but a self-check failed (a row
    /// with `status=failed`; the console says "CHECK FAILED").
    case checkFailed = 7
    /// Interrupted by SIGINT/SIGTERM; finished suites were kept.
    case interrupted = 130

    public var meaning: String {
        switch self {
        case .ok: return "success (compare: no regression)"
        case .usage: return "bad input: unknown suite or option, malformed value, unreadable file"
        case .regression: return "compare: a gated row regressed or is missing"
        case .inconclusive: return "compare --fail-on-inconclusive: a row was inconclusive"
        case .baseline: return "compare: a result folder missing, corrupt or incompatible"
        case .unsupportedHost: return "host cannot run the suites (not x86-64 Linux, no usable TSC)"
        case .output: return "output folder cannot be created or written"
        case .checkFailed: return "run: a self-check failed (rows with status=failed); results were written"
        case .interrupted: return "interrupted (SIGINT/SIGTERM); finished suites kept"
        }
    }
}

/// An error that ends the command with one line on stderr and an exit status.
public enum BenchError: Error, CustomStringConvertible, Equatable {
    case badInput(String)
    case unsupportedHost(String)
    case output(String)
    case baseline(String)
    case interrupted

    public var status: ExitStatus {
        switch self {
        case .badInput: return .usage
        case .unsupportedHost: return .unsupportedHost
        case .output: return .output
        case .baseline: return .baseline
        case .interrupted: return .interrupted
        }
    }

    public var description: String {
        switch self {
        case .badInput(let m), .unsupportedHost(let m), .output(let m), .baseline(let m): return m
        case .interrupted: return "interrupted"
        }
    }
}
