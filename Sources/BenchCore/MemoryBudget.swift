import Foundation

/// How much memory a run may plan to hold at once, checked when suites are
/// configured: an allocation that fails later ends a Swift program (arrays
/// trap), so sizes that may not fit are refused before anything runs.
///
/// The budget is the smaller of `ceiling` and half of the address space
/// RLIMIT_AS (`ulimit -v`) still leaves this process.
public enum MemoryBudget {
    public static let ceiling = 1 << 30

    /// Bytes a suite may plan for.
    public static func available() -> Int {
        var rl = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_AS.rawValue), &rl) == 0,
              rl.rlim_cur < UInt64(Int.max) else { return ceiling }
        let left = Int(rl.rlim_cur) - (virtualSize() ?? 0)
        return max(0, min(ceiling, left / 2))
    }

    /// Refuses a plan of `bytes` beyond `available()`, naming `what` needs it.
    public static func check(_ bytes: Int, for what: String) throws {
        let budget = available()
        guard bytes <= budget else {
            throw BenchError.badInput("\(what) would need about \(bytes >> 20) MiB; the memory budget is \(budget >> 20) MiB (min of 1 GiB and half the address space ulimit -v leaves)")
        }
    }

    /// VmSize of this process in bytes, from /proc/self/status.
    static func virtualSize() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmSize:") }),
              let kb = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return nil }
        return kb * 1024
    }
}
