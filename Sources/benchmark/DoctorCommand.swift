import ArgumentParser
import BenchCore
import FpstateAllocSuite
import Foundation
import HarnessSuite
import KvmSuite
import RdmsrExitSuite
import XSaveSuite

/// `benchmark doctor`: for this host, what every declared benchmark of
/// every suite will do (measured, simulated, modelled, proxy, skipped),
/// why, and what would change it.  Times nothing; exit 0.
struct DoctorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Say, for this host, which benchmarks will be measured, simulated, modelled or skipped, and why.")
    @Flag(help: "One JSON object on stdout.") var json = false
    @Option(help: "The KVM device the kvm suite would open.") var device = "/dev/kvm"

    func run() throws {
        try Runner.checkHost()
        let host = CPUDescription.host()
        let report = Doctor.report(host: host, kvm: KvmDoctor.explain(host: host, path: device), facts: Doctor.facts(host: host))
        if json {
            StandardStreams.out(jsonText(Doctor.json(report)) + "\n")
        } else {
            StandardStreams.out(Doctor.text(report))
        }
        Benchmark.requireStdout()
    }
}

/// The doctor's answers, built from the suites' declarations.
enum Doctor {
    struct Entry: Equatable {
        var suite: String, benchmark: String
        /// What the rows will be: measured, simulated, model, proxy, skipped, or several joined by "+".
        var fate: String
        var reason: String
        var change: String
    }

    struct Facts {
        var cpu: String
        var hypervisor: String?
        var features: [String: Bool]
        var xcr0: UInt64?
        var kvmPlatform: KVMPlatform
        var kernelLogReadable: Bool
        /// NUMA nodes with memory (/sys/devices/system/node/has_memory).
        var memoryNodes: Int
    }

    struct Report {
        var facts: Facts
        var entries: [Entry]
    }

    static func facts(host: CPUDescription) -> Facts {
        let kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK)
        if kmsg >= 0 { close(kmsg) }
        return Facts(cpu: "\(host.vendor) family \(host.family) model \(host.model) (\(host.brand))",
                     hypervisor: host.hypervisorVendor,
                     features: Dictionary(uniqueKeysWithValues: host.features.list.map { ($0.0, $0.1) }),
                     xcr0: host.xcr0, kvmPlatform: KVMPlatform.detect(host: host), kernelLogReadable: kmsg >= 0,
                     memoryNodes: memoryNodes())
    }

    /// Nodes listed in has_memory ("0", "0-1", "0,2-3"); 1 when unreadable.
    static func memoryNodes(_ path: String = "/sys/devices/system/node/has_memory") -> Int {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return 1 }
        return text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").reduce(0) { n, part in
            let ends = part.split(separator: "-").compactMap { Int($0) }
            return n + (ends.count == 2 ? ends[1] - ends[0] + 1 : 1)
        }
    }

    /// The sources a suite declares for a benchmark's rows (its row-source
    /// table), as words.
    static func declaredSources(suite: String, benchmark: String) -> [String] {
        let prefix = benchmark + "/"
        func keys<V>(_ t: [String: V]) -> [V] { t.filter { $0.key.hasPrefix(prefix) }.map(\.value) }
        var words: [String]
        switch suite {
        case "harness": words = keys(HarnessRowSources.table).map(\.rawValue)
        case "xsave": words = keys(XSaveRowSources.table).map(\.rawValue)
        case "kvm": words = keys(KvmRowSources.table).map(\.rawValue)
        case "rdmsr-exit":
            words = keys(RdmsrExitRowSources.table).map {
                switch $0 {
                case .measured: return "measured"
                case .timed: return "simulated"
                case .model: return "model"
                case .costBasis: return "model"
                }
            }
        case "fpstate-alloc":
            words = keys(FpstateAllocRowSources.table).map {
                switch $0 {
                case .fixed(let s): return s.rawValue
                case .allocator: return "proxy"
                }
            }
        default: words = []
        }
        return Array(Set(words)).sorted()
    }

    /// One entry per declared benchmark of every suite, in registry order.
    static func report(host: CPUDescription, kvm: [String: KvmDoctor.Entry], facts: Facts,
                       suites: [BenchmarkSuite] = SuiteRegistry.all) -> Report {
        var entries: [Entry] = []
        for s in suites {
            for b in s.benchmarks {
                let declared = declaredSources(suite: s.name, benchmark: b.name)
                var e = Entry(suite: s.name, benchmark: b.name,
                              fate: declared.isEmpty ? "as declared" : declared.joined(separator: "+"),
                              reason: b.help, change: "")
                refine(&e, host: host, kvm: kvm, facts: facts)
                entries.append(e)
            }
        }
        return Report(facts: facts, entries: entries)
    }

    static let amxHint = "run on a CPU with AMX and XFD: Intel Xeon 4th gen (Sapphire Rapids) or later, Linux 5.16+"

    /// What this host's facts change about a declared benchmark.
    static func refine(_ e: inout Entry, host: CPUDescription, kvm: [String: KvmDoctor.Entry], facts: Facts) {
        switch (e.suite, e.benchmark) {
        case ("kvm", let b):
            if let k = kvm[b] {
                e.fate = k.fate == "skipped" ? "skipped" : e.fate
                e.reason = k.reason; e.change = k.change
            }
        case ("xsave", "amx"):
            if case .skip(let why) = AMXGate.decide(host) {
                e.fate = "skipped"; e.reason = why; e.change = amxHint
            } else {
                e.reason = "host XSAVE/XRSTOR with tile data (after ARCH_REQ_XCOMP_PERM)"
            }
        case ("xsave", "amx-estimate"):
            e.reason = AMXGate.decide(host) == .run
                ? "model rows scaled from this host's bytes per tick (the `amx` rows measure the real thing here)"
                : "model: this CPU cannot save tile data, so AMX save/restore is scaled from its bytes per tick"
            if AMXGate.decide(host) != .run { e.change = amxHint }
        case ("xsave", "linux-buffer"), ("xsave", "signal-frame"):
            if !facts.kernelLogReadable {
                e.reason += "; /dev/kmsg unreadable: boot-log checks skipped"
                e.change = "run as root or set sysctl kernel.dmesg_restrict=0 to check against the boot log"
            }
        case ("fpstate-alloc", "numa-remote") where facts.memoryNodes < 2:
            e.fate = "skipped"
            e.reason = "one NUMA node with memory here; remote placement needs two"
            e.change = "run on a multi-socket (or sub-NUMA-clustered) host"
        case ("rdmsr-exit", _):
            if facts.kvmPlatform.hardwareFigures {
                e.reason += "; exit round trip and io cost measured through /dev/kvm (\(facts.kvmPlatform.name))"
            } else {
                e.reason += "; exit costs from the cited model table: \(facts.kvmPlatform.description)"
                e.change = "kvm_intel or kvm_amd on bare metal makes the exit costs measured defaults"
            }
        default: break
        }
    }

    static func text(_ r: Report) -> String {
        let f = r.facts
        var out = "host: \(f.cpu)\(f.hypervisor.map { ", under hypervisor \($0)" } ?? "")\n"
        out += "  xcr0 \(f.xcr0.map { "0x" + String($0, radix: 16) } ?? "XSAVE not enabled"); "
        out += ["avx512f", "amx_tile", "xfd"].map { "\($0) \(f.features[$0] == true ? "yes" : "no")" }.joined(separator: ", ") + "\n"
        out += "  kvm: \(f.kvmPlatform.description)\n"
        out += "  kernel log: \(f.kernelLogReadable ? "readable" : "unreadable (boot-log checks skipped)"); "
        out += "NUMA nodes with memory: \(f.memoryNodes)\n\n"
        for e in r.entries {
            out += "\(e.suite)/\(e.benchmark): \(e.fate)\n    why: \(e.reason)\n"
            if !e.change.isEmpty { out += "    to change: \(e.change)\n" }
        }
        let skipped = r.entries.filter { $0.fate == "skipped" }.count
        out += "\n\(r.entries.count) benchmarks: \(r.entries.count - skipped) will run, \(skipped) skipped here\n"
        return out
    }

    static func json(_ r: Report) -> [String: Any] {
        let f = r.facts
        return [
            "host": ["cpu": f.cpu, "hypervisor": f.hypervisor ?? NSNull(),
                     "xcr0": f.xcr0.map { "0x" + String($0, radix: 16) } ?? NSNull(),
                     "features": f.features, "kvm_platform": f.kvmPlatform.name,
                     "kvm_hardware_figures": f.kvmPlatform.hardwareFigures,
                     "kernel_log_readable": f.kernelLogReadable, "numa_memory_nodes": f.memoryNodes] as [String: Any],
            "benchmarks": r.entries.map {
                ["suite": $0.suite, "benchmark": $0.benchmark, "fate": $0.fate, "reason": $0.reason, "change": $0.change]
            },
        ]
    }
}
