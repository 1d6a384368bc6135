import CXState
import Foundation

/// The TSC frequency, and how it was found.  Ticks are converted to
/// nanoseconds with it; ticks are never called cycles.
public struct TSCFrequency: Sendable, Codable, Equatable {
    public enum Method: String, Sendable, Codable {
        /// CPUID 0x15: crystal clock x TSC/crystal ratio (exact).
        case cpuid15 = "cpuid-0x15"
        /// Hypervisor timing leaf 0x40000010 EAX (kHz).
        case hypervisorLeaf = "cpuid-0x40000010"
        /// The kernel's figure: /proc/cpuinfo "cpu MHz" on a tsc_known_freq
        /// host without cpufreq, where the kernel reports tsc_khz there.
        case kernel = "kernel"
        /// CPUID 0x16 EAX: nominal base frequency (Intel), an approximation.
        case cpuid16 = "cpuid-0x16"
        /// Timed against CLOCK_MONOTONIC_RAW.
        case calibrated = "calibrated-monotonic-raw"
    }

    /// Ticks per second.
    public var hz: Double
    public var method: Method
    /// The calibration against CLOCK_MONOTONIC_RAW, always made as a cross-check.
    public var calibratedHz: Double

    public var nsPerTick: Double { 1e9 / hz }

    public init(hz: Double, method: Method, calibratedHz: Double) {
        self.hz = hz; self.method = method; self.calibratedHz = calibratedHz
    }

    /// Picks the most authoritative figure the host offers, cross-checked
    /// against a calibration: a source that disagrees with it by more than
    /// 0.5% is ignored.  `calibrationSeconds` bounds the calibration time.
    public static func determine(cpu: CPUDescription, calibrationSeconds: Double = 0.1) -> TSCFrequency {
        let cal = calibrate(seconds: calibrationSeconds)
        var candidates: [(Method, Double)] = []
        let l15 = cpu.leaf15
        if l15.eax != 0, l15.ebx != 0, l15.ecx != 0 {
            candidates.append((.cpuid15, Double(l15.ecx) * Double(l15.ebx) / Double(l15.eax)))
        }
        if let khz = cpu.hypervisorTSCkHz { candidates.append((.hypervisorLeaf, Double(khz) * 1e3)) }
        if let mhz = kernelTSCMHz() { candidates.append((.kernel, mhz * 1e6)) }
        if cpu.leaf16.eax != 0 { candidates.append((.cpuid16, Double(cpu.leaf16.eax) * 1e6)) }
        for (method, hz) in candidates where abs(hz - cal) / cal < 0.005 {
            return TSCFrequency(hz: hz, method: method, calibratedHz: cal)
        }
        return TSCFrequency(hz: cal, method: .calibrated, calibratedHz: cal)
    }

    /// The kernel's TSC frequency, where /proc/cpuinfo reports it: only when
    /// the kernel knows it (tsc_known_freq) and no cpufreq driver makes
    /// "cpu MHz" a core clock instead.
    static func kernelTSCMHz() -> Double? {
        guard let flags = ProcCPUInfo.field("flags"), flags.split(separator: " ").contains("tsc_known_freq"),
              !FileManager.default.fileExists(atPath: "/sys/devices/system/cpu/cpu0/cpufreq"),
              let mhz = ProcCPUInfo.field("cpu MHz").flatMap(Double.init) else { return nil }
        return mhz
    }

    /// Ticks per second measured against CLOCK_MONOTONIC_RAW over about
    /// `seconds`.  Each clock read is bracketed by two TSC reads and the
    /// midpoint used, so the clock call's own latency does not bias the ratio.
    public static func calibrate(seconds: Double) -> Double {
        func pair() -> (tsc: Double, ns: Double) {
            var best = (tsc: 0.0, ns: 0.0, width: UInt64.max)
            for _ in 0..<5 {
                var ts = timespec()
                let a = cx_rdtsc_fenced()
                clock_gettime(CLOCK_MONOTONIC_RAW, &ts)
                let b = cx_rdtsc_fenced()
                if b - a < best.width {
                    best = (Double(a) / 2 + Double(b) / 2, Double(ts.tv_sec) * 1e9 + Double(ts.tv_nsec), b - a)
                }
            }
            return (best.tsc, best.ns)
        }
        let start = pair()
        var now = start
        repeat { now = pair() } while now.ns - start.ns < seconds * 1e9
        return (now.tsc - start.tsc) / (now.ns - start.ns) * 1e9
    }
}
