import Foundation

/// Progress on stderr: suite, current benchmark, done/total, ETA.
/// On a terminal one line is redrawn at most every 0.25 s; otherwise a line
/// is printed at most every 2 s.  Silent with `--quiet`.
public final class Progress: @unchecked Sendable {
    private let quiet: Bool
    private let isTTY: Bool
    private var suite = ""
    private var total = 0, done = 0
    private var start = Date(), lastPrint = Date.distantPast
    private var drawn = false
    /// Labels of the steps taken since the last `plan(total:)`, in order:
    /// what a suite actually ran (tests read it; nothing is timed from it).
    public private(set) var stepLabels: [String] = []

    public init(quiet: Bool) {
        self.quiet = quiet
        isTTY = isatty(STDERR_FILENO) == 1
    }

    /// Starts a suite (called by the runner).
    public func beginSuite(_ name: String) {
        suite = name; total = 0; done = 0; start = Date()
    }

    /// Declares how many steps the suite will take (for the ETA).
    public func plan(total: Int) { self.total = max(total, 0); done = 0; start = Date(); stepLabels = [] }

    /// Marks the start of the next step, and ends the run here if SIGINT or
    /// SIGTERM arrived: suites call this between benchmarks.
    public func step(_ label: String) throws {
        try Interrupt.check()
        done += 1
        stepLabels.append(label)
        guard !quiet else { return }
        let now = Date()
        guard now.timeIntervalSince(lastPrint) >= (isTTY ? 0.25 : 2.0) else { return }
        lastPrint = now
        var line = "[\(suite)"
        if total > 0 { line += " \(min(done, total))/\(total)" }
        line += "] \(label)"
        if total > 0, done > 1 {
            let elapsed = now.timeIntervalSince(start)
            let eta = elapsed / Double(done - 1) * Double(max(total - done + 1, 0))
            line += String(format: "  ETA %.0fs", eta)
        }
        if isTTY {
            StandardStreams.err("\r\u{1B}[K" + line); drawn = true
        } else {
            StandardStreams.err(line + "\n")
        }
    }

    /// Prints a message on its own line (clearing a redrawn progress line).
    public func note(_ message: String) {
        guard !quiet else { return }
        clear()
        StandardStreams.err(message + "\n")
    }

    /// Removes the redrawn progress line.
    public func clear() {
        if drawn { StandardStreams.err("\r\u{1B}[K"); drawn = false }
    }
}

