import Foundation
import Synchronization

/// SIGINT/SIGTERM, honoured within a second wherever the process is.
///
/// The first signal sets a flag that `check()` (and `Progress.step`, called
/// between benchmarks) turns into `BenchError.interrupted`: the runner then
/// keeps finished suites and says so.  The same signal arms a watchdog of
/// `grace` seconds: when no check is reached in time (a long start-up step,
/// one long sample loop), or on a second signal, the process ends at once
/// through the last `setFallback` plan: it removes the files that plan
/// names, prints its "interrupted:" line and exits with status 130.  Reports
/// are written whole or not at all (AtomicFile), so ending at any point
/// leaves finished suites intact; a temporary file it interrupts is removed
/// by the next run in that folder.
public enum Interrupt {
    private static let flag = Atomic<Bool>(false)
    private static let reportedFlag = Atomic<Bool>(false)
    /// Address of the current fallback plan (a nil-terminated array of C
    /// strings: message, folder to remove or "", files to unlink...).
    private static let plan = Atomic<Int>(0)

    /// Seconds between the first signal and the watchdog's exit.
    public static let grace = 0.5

    public static var requested: Bool { flag.load(ordering: .relaxed) }

    /// True once an "interrupted:" line was printed.
    public static var reported: Bool { reportedFlag.load(ordering: .relaxed) }

    /// For tests: simulate or clear a request.
    public static func set(_ value: Bool) { flag.store(value, ordering: .relaxed) }

    /// Throws `BenchError.interrupted` once SIGINT or SIGTERM arrived.  One
    /// relaxed atomic load: cheap enough between samples.
    @inline(__always)
    public static func check() throws {
        if flag.load(ordering: .relaxed) { throw BenchError.interrupted }
    }

    /// Installs the handlers; the first thing `main` does, so a signal in
    /// the first milliseconds is already honoured.
    public static func install() {
        setFallback("interrupted: nothing was written")
        let onSignal: @convention(c) (Int32) -> Void = { _ in
            if Interrupt.flag.exchange(true, ordering: .relaxed) { Interrupt.finishNow() }
            var t = itimerval()
            t.it_value.tv_sec = Int(Interrupt.grace)
            t.it_value.tv_usec = Int((Interrupt.grace - Double(Int(Interrupt.grace))) * 1e6)
            setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &t, nil)
        }
        let onAlarm: @convention(c) (Int32) -> Void = { _ in Interrupt.finishNow() }
        signal(SIGINT, onSignal)
        signal(SIGTERM, onSignal)
        signal(SIGALRM, onAlarm)
        // A parent may pass these blocked (the mask survives exec); a
        // blocked SIGINT would never be honoured.
        var set = sigset_t()
        sigemptyset(&set)
        for sig in [SIGINT, SIGTERM, SIGALRM] { sigaddset(&set, sig) }
        sigprocmask(SIG_UNBLOCK, &set, nil)
    }

    /// Stops the watchdog: the caller reports the interrupt itself.
    public static func disarm() {
        var t = itimerval()
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &t, nil)
    }

    /// Prints the "interrupted:" line once (the watchdog is stopped first).
    public static func report(_ line: String) {
        disarm()
        guard !reportedFlag.exchange(true, ordering: .relaxed) else { return }
        StandardStreams.err(line + "\n")
    }

    /// What an immediate exit does: unlink `files`, then remove `folder`
    /// (which must be empty by then), then print `message`.
    public static func setFallback(_ message: String, removing files: [String] = [], folder: String? = nil) {
        let strings = [message + "\n", folder ?? ""] + files
        let table = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: strings.count + 1)
        for (i, s) in strings.enumerated() { table[i] = strdup(s) }
        table[strings.count] = nil
        // The previous plan is not freed: a handler may be reading it.  A run
        // sets a handful of plans.
        plan.store(Int(bitPattern: UnsafeMutableRawPointer(table)), ordering: .releasing)
    }

    /// Async-signal-safe: unlink, rmdir, write, _exit only.
    private static func finishNow() -> Never {
        if let raw = UnsafeMutableRawPointer(bitPattern: plan.load(ordering: .acquiring)) {
            let table = raw.assumingMemoryBound(to: UnsafeMutablePointer<CChar>?.self)
            var i = 2
            while let path = table[i] { unlink(path); i += 1 }
            if let folder = table[1], folder[0] != 0 { rmdir(folder) }
            if !reportedFlag.exchange(true, ordering: .relaxed), let message = table[0] {
                var n = 0
                while message[n] != 0 { n += 1 }
                _ = write(STDERR_FILENO, message, n)
            }
        }
        _exit(ExitStatus.interrupted.rawValue)
    }
}
