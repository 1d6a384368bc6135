import CKVM

/// The guest programs of ckvm_guest.S: each makes one kind of exit K and 2K
/// times per sample (see ckvm_guest.h for the register interface).
public enum GuestProgram: Int32, CaseIterable, Sendable {
    case cpuid = 0, rdmsr, wrmsr, vmcall, vmmcall, outb, wrmsrValue, spin
    /// Minimal loops for the host-timed figures (`KVMGuest.minimalLoop`).
    case outbForever, cpuidBurst, realOutbForever, realCPUIDBurst
    /// The XFD #NM cycle (AMX guests), the guest's XSETBV, a #UD.
    case nmCycle, xsetbv, undefinedOpcode
    /// Minimal loop with four instructions between exits (15 and 16 are
    /// the #NM handler's and the fault stubs' entries, not programs).
    case outbNops = 17

    /// The row name of the exit this program makes.
    public var exitName: String {
        switch self {
        case .cpuid, .cpuidBurst, .realCPUIDBurst: return "cpuid"
        case .rdmsr: return "rdmsr"
        case .wrmsr, .wrmsrValue: return "wrmsr"
        case .vmcall: return "vmcall"
        case .vmmcall: return "vmmcall"
        case .outb, .outbForever, .realOutbForever, .outbNops: return "port-write"
        case .spin: return "spin"
        case .nmCycle: return "xfd-nm"
        case .xsetbv: return "xsetbv"
        case .undefinedOpcode: return "ud"
        }
    }

    /// Whether each exit returns to user space (KVM_EXIT_IO) rather than
    /// being handled in the kernel.
    public var exitsToUserSpace: Bool { self == .outb }

    /// Whether the program is 16-bit code for a vCPU in real mode.
    public var realMode: Bool { self == .realOutbForever || self == .realCPUIDBurst }

    /// The unknown-hypercall program for a CPU vendor: VMCALL on Intel (and
    /// anything not AMD/Hygon), VMMCALL on AMD and Hygon.  KVM would patch
    /// the other encoding through #UD emulation, a different path.
    public static func hypercall(vendor: String) -> GuestProgram {
        (vendor == "AuthenticAMD" || vendor == "HygonGenuine") ? .vmmcall : .vmcall
    }
}

/// Guest-physical layout, from ckvm_guest.h.
enum GuestLayout {
    static let pml4 = Int(CKVM_GUEST_PML4), pdpt = Int(CKVM_GUEST_PDPT)
    static let pd = Int(CKVM_GUEST_PD), gdt = Int(CKVM_GUEST_GDT)
    static let tss = Int(CKVM_GUEST_TSS), code = Int(CKVM_GUEST_CODE)
    static let stackTop = Int(CKVM_GUEST_STACK_TOP)
    static let results = Int(CKVM_GUEST_RESULTS)
    static let resultsHeader = Int(CKVM_GUEST_RESULTS_HEADER)
    static let memory = Int(CKVM_GUEST_MEMORY)
    /// Samples the results page holds (16 bytes each after the header).
    static let maxSamples = (memory - results - resultsHeader) / 16
    static let portDone = Int(CKVM_PORT_DONE), portExit = Int(CKVM_PORT_EXIT), portFault = Int(CKVM_PORT_FAULT)
    static let idt = Int(CKVM_GUEST_IDT), tilecfg = Int(CKVM_GUEST_TILECFG)
    /// Exception vectors with a stub in the IDT.
    static let vectors = 32
}
