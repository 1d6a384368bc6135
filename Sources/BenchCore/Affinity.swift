import CXState
import Foundation

/// CPU placement of the measuring thread.
public enum Affinity {
    /// The CPU the calling thread runs on now, or -1.
    public static func currentCPU() -> Int { Int(cx_current_cpu()) }

    /// CPUs the thread may run on (among the first 1024).
    public static func allowedCPUs() -> [Int] {
        (0..<1024).filter { cx_cpu_allowed(Int32($0)) == 1 }
    }

    /// Pins the calling thread to `cpu`.  Throws `badInput` when the CPU does
    /// not exist or is not in the allowed set.
    public static func pin(to cpu: Int) throws {
        guard cpu >= 0, cpu < 1024, cx_cpu_allowed(Int32(cpu)) == 1 else {
            let allowed = allowedCPUs().map(String.init).joined(separator: ",")
            throw BenchError.badInput("--cpu \(cpu): not an allowed CPU (allowed: \(allowed))")
        }
        let r = cx_pin_to_cpu(Int32(cpu))
        guard r == 0 else {
            throw BenchError.badInput("--cpu \(cpu): sched_setaffinity failed (\(String(cString: strerror(-r))))")
        }
    }
}
