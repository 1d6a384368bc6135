import Foundation

/// Which KVM implementation backs /dev/kvm, and whether times measured
/// inside its guests are hardware exit costs.
///
/// kvm_intel (VMX) and kvm_amd (SVM) run guests on the CPU's virtualisation
/// hardware: in-guest figures are hardware figures, unless this host is
/// itself a guest (CPUID hypervisor bit), where every exit also crosses the
/// outer hypervisor (nested virtualisation).  Any other vendor module (e.g.
/// kvm_pvm, pagetable-based software virtualisation) emulates or
/// paravirtualises what the hardware would do: its figures are that
/// platform's costs.
public struct KVMPlatform: Sendable, Equatable {
    /// Vendor modules found (kvm_intel, kvm_amd, kvm_pvm, ...), sorted.
    public var modules: [String]
    /// This host runs under a hypervisor (CPUID.1:ECX[31]).
    public var underHypervisor: Bool

    public init(modules: [String], underHypervisor: Bool) {
        self.modules = modules.sorted(); self.underHypervisor = underHypervisor
    }

    /// Reads the loaded modules under `sysModule` (a directory per module).
    public static func detect(sysModule: String = "/sys/module", host: CPUDescription) -> KVMPlatform {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: sysModule)) ?? []
        return KVMPlatform(modules: names.filter { $0.hasPrefix("kvm_") }, underHypervisor: host.features.hypervisor)
    }

    public static let hardwareModules: Set<String> = ["kvm_intel", "kvm_amd"]

    /// The implementation's name: one module, "none", or several joined by "+"
    /// (then which one /dev/kvm uses is not known).
    public var name: String { modules.isEmpty ? "none" : modules.joined(separator: "+") }

    /// True only for a single VMX/SVM module on bare metal.
    public var hardwareFigures: Bool {
        modules.count == 1 && KVMPlatform.hardwareModules.contains(modules[0]) && !underHypervisor
    }

    /// One sentence for notes and environment.json.
    public var description: String {
        if modules.isEmpty { return "no KVM vendor module loaded" }
        if modules.count > 1 { return "\(name): several KVM vendor modules, /dev/kvm's is not known; figures are not labelled hardware" }
        if hardwareFigures { return "\(name): hardware virtualisation on bare metal; in-guest figures are hardware exit costs" }
        if KVMPlatform.hardwareModules.contains(modules[0]) {
            return "\(name) under a hypervisor: nested virtualisation; each exit also crosses the outer hypervisor"
        }
        return "\(name): software virtualisation; in-guest figures are this platform's costs, not hardware exit costs"
    }
}
