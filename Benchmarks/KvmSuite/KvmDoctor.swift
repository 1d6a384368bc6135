import BenchCore
import Foundation

/// What the kvm suite will do on this host, benchmark by benchmark, from
/// the same decisions its run makes (`AMXExperiments.decide`), for
/// `benchmark doctor`.
public enum KvmDoctor {
    /// One benchmark's fate here.
    public struct Entry: Sendable, Equatable {
        /// measured, skipped, ...
        public var fate: String
        /// Why, in one sentence.
        public var reason: String
        /// The command or setting that would change it; empty when nothing needs changing.
        public var change: String
    }

    /// The kvm suite's benchmarks on this host.  Establishes this process's
    /// guest AMX permission (as a run would) when the CPU has AMX.
    public static func explain(host: CPUDescription, path: String) -> [String: Entry] {
        let platform = KVMPlatform.detect(host: host)
        let device: KVMError?
        do { _ = try KVMSystem(path: path); device = nil } catch { device = error }
        let readiness = device == nil ? AMXReadiness.forProcess(path: path) : nil
        return explain(host: host, platform: platform, device: device, readiness: readiness)
    }

    /// Pure: from the facts.
    static func explain(host: CPUDescription, platform: KVMPlatform, device: KVMError?,
                        readiness: AMXReadiness?) -> [String: Entry] {
        var out: [String: Entry] = [:]
        let hardwareHint = platform.hardwareFigures ? ""
            : "kvm_intel or kvm_amd on bare metal gives hardware figures (here: \(platform.name), not hardware figures)"
        if let device {
            out["exit"] = Entry(fate: "skipped", reason: "no usable KVM device: \(device)",
                                change: "load kvm_intel/kvm_amd and give this user read-write access to /dev/kvm (or --set device=PATH)")
        } else {
            out["exit"] = Entry(fate: "measured", reason: "exits of a real vCPU on \(platform.name)" + (platform.hardwareFigures ? "" : ": this platform's costs"),
                                change: hardwareHint)
        }
        if var minimal = out["exit"] {
            if device == nil { minimal.reason = "a minimal host loop of KVM_RUNs on \(platform.name), beside the guest-timed figure" }
            out["exit-minimal"] = minimal
        }
        for b in AMXExperiments.benchmarks {
            if let s = AMXExperiments.decide(b, host: host, readiness: readiness, device: device) {
                out[b] = Entry(fate: "skipped", reason: s.reason, change: change(for: s, benchmark: b))
            } else {
                let model = b == "amx-migration" ? " (plus model rows scaling it to each recorded CPU)" : ""
                out[b] = Entry(fate: "measured", reason: "runs here" + model + (b == "amx-native-first-use" ? "" : " on \(platform.name)"),
                               change: b == "amx-native-first-use" ? "" : hardwareHint)
            }
        }
        return out
    }

    static func change(for s: AMXExperiments.Skip, benchmark: String) -> String {
        switch s.depends {
        case .cpu:
            return "run on a CPU with AMX and XFD: Intel Xeon 4th gen (Sapphire Rapids) or later, Linux 5.17+"
        case .cpuKernel where s.reason.contains("does not offer"):
            return "run on a host whose KVM offers AMX to guests: kvm_intel on bare metal, Linux 5.17+"
        case .cpuKernel:
            return "Linux 5.17+ with AMX enabled (XCR0 bits 17-18); nothing else in the process may create a vCPU first"
        default:
            return "load kvm_intel/kvm_amd and give this user read-write access to /dev/kvm (or --set device=PATH)"
        }
    }
}
