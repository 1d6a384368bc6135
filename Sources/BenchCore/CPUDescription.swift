import Foundation

/// The instruction-set features the suites gate on.  Each is the CPUID bit
/// named in its comment; "usable" properties also require the OS to have
/// enabled the state in XCR0.
public struct CPUFeatures: Sendable, Equatable {
    public var xsave = false       // CPUID.1:ECX[26]
    public var osxsave = false     // CPUID.1:ECX[27]
    public var avx = false         // CPUID.1:ECX[28]
    public var hypervisor = false  // CPUID.1:ECX[31]
    public var avx512f = false     // CPUID.(7,0):EBX[16]
    public var rdpid = false       // CPUID.(7,0):ECX[22]
    public var amxBF16 = false     // CPUID.(7,0):EDX[22]
    public var amxTile = false     // CPUID.(7,0):EDX[24]
    public var amxInt8 = false     // CPUID.(7,0):EDX[25]
    public var xsaveopt = false    // CPUID.(0xD,1):EAX[0]
    public var xsavec = false      // CPUID.(0xD,1):EAX[1]
    public var xgetbv1 = false     // CPUID.(0xD,1):EAX[2]
    public var xsaves = false      // CPUID.(0xD,1):EAX[3]
    public var xfd = false         // CPUID.(0xD,1):EAX[4]
    public var rdtscp = false      // CPUID.80000001H:EDX[27]
    public var invariantTSC = false // CPUID.80000007H:EDX[8]

    public init() {}

    /// (name, present) pairs in a stable order, for reports.
    public var list: [(String, Bool)] {
        [("xsave", xsave), ("osxsave", osxsave), ("avx", avx), ("hypervisor", hypervisor),
         ("avx512f", avx512f), ("rdpid", rdpid), ("amx_bf16", amxBF16), ("amx_tile", amxTile),
         ("amx_int8", amxInt8), ("xsaveopt", xsaveopt), ("xsavec", xsavec),
         ("xgetbv1", xgetbv1), ("xsaves", xsaves), ("xfd", xfd), ("rdtscp", rdtscp),
         ("invariant_tsc", invariantTSC)]
    }
}

/// A CPU: identity, features, XSAVE layout.  Built from a `CPUIDSource`,
/// so the live host and recorded CPUs go through the same decoding.
public struct CPUDescription: Sendable {
    /// Where the description came from.
    public enum Origin: Sendable, Equatable {
        case live
        case recorded(id: String)
    }

    public var origin: Origin
    /// Short identifier: "host" or the catalog id (e.g. "spr").
    public var id: String
    public var vendor: String
    public var family: Int, model: Int, stepping: Int
    public var brand: String
    /// Microcode revision (from /proc/cpuinfo for the host; recorded CPUs may give one).
    public var microcode: String?
    public var features: CPUFeatures
    public var xcr0: UInt64?
    /// nil when the CPU has no XSAVE.
    public var xsave: XSaveLayout?
    /// Raw CPUID 0x15 / 0x16 (for the TSC frequency); zero when absent.
    public var leaf15: CPUIDRegisters, leaf16: CPUIDRegisters
    /// Hypervisor timing leaf 0x40000010 EAX (TSC kHz), when a hypervisor offers it.
    public var hypervisorTSCkHz: UInt32?
    public var hypervisorVendor: String?

    public init(cpuid: CPUIDSource, origin: Origin, id: String, microcode: String? = nil) {
        self.origin = origin
        self.id = id
        self.microcode = microcode
        let l0 = cpuid.cpuid(0, 0)
        vendor = CPUDescription.ascii([l0.ebx, l0.edx, l0.ecx])
        let l1 = cpuid.cpuid(1, 0)
        let baseFamily = Int((l1.eax >> 8) & 0xF), extFamily = Int((l1.eax >> 20) & 0xFF)
        let baseModel = Int((l1.eax >> 4) & 0xF), extModel = Int((l1.eax >> 16) & 0xF)
        family = baseFamily == 0xF ? baseFamily + extFamily : baseFamily
        model = (baseFamily == 0x6 || baseFamily == 0xF) ? (extModel << 4 | baseModel) : baseModel
        stepping = Int(l1.eax & 0xF)
        let maxExt = cpuid.cpuid(0x8000_0000, 0).eax
        if maxExt >= 0x8000_0004 {
            let regs = (0x8000_0002...0x8000_0004).flatMap { leaf -> [UInt32] in
                let r = cpuid.cpuid(UInt32(leaf), 0); return [r.eax, r.ebx, r.ecx, r.edx]
            }
            brand = CPUDescription.ascii(regs).trimmingCharacters(in: .whitespaces)
        } else {
            brand = ""
        }
        var f = CPUFeatures()
        f.xsave = l1.bit(\.ecx, 26); f.osxsave = l1.bit(\.ecx, 27)
        f.avx = l1.bit(\.ecx, 28); f.hypervisor = l1.bit(\.ecx, 31)
        if l0.eax >= 7 {
            let l7 = cpuid.cpuid(7, 0)
            f.avx512f = l7.bit(\.ebx, 16); f.rdpid = l7.bit(\.ecx, 22)
            f.amxBF16 = l7.bit(\.edx, 22); f.amxTile = l7.bit(\.edx, 24); f.amxInt8 = l7.bit(\.edx, 25)
        }
        if l0.eax >= 0xD && f.xsave {
            let d1 = cpuid.cpuid(0xD, 1).eax
            f.xsaveopt = d1 & 1 != 0; f.xsavec = d1 & 2 != 0; f.xgetbv1 = d1 & 4 != 0
            f.xsaves = d1 & 8 != 0; f.xfd = d1 & 16 != 0
        }
        if maxExt >= 0x8000_0001 { f.rdtscp = cpuid.cpuid(0x8000_0001, 0).bit(\.edx, 27) }
        if maxExt >= 0x8000_0007 { f.invariantTSC = cpuid.cpuid(0x8000_0007, 0).bit(\.edx, 8) }
        features = f
        xcr0 = f.osxsave ? cpuid.xcr0 : nil
        xsave = XSaveLayout(cpuid: cpuid)
        leaf15 = l0.eax >= 0x15 ? cpuid.cpuid(0x15, 0) : CPUIDRegisters()
        leaf16 = l0.eax >= 0x16 ? cpuid.cpuid(0x16, 0) : CPUIDRegisters()
        if f.hypervisor {
            let h = cpuid.cpuid(0x4000_0000, 0)
            hypervisorVendor = CPUDescription.ascii([h.ebx, h.ecx, h.edx])
            hypervisorTSCkHz = h.eax >= 0x4000_0010 ? cpuid.cpuid(0x4000_0010, 0).eax : nil
            if hypervisorTSCkHz == 0 { hypervisorTSCkHz = nil }
        }
    }

    /// The live CPU, with its microcode revision from /proc/cpuinfo.
    public static func host() -> CPUDescription {
        CPUDescription(cpuid: LiveCPUID(), origin: .live, id: "host",
                       microcode: ProcCPUInfo.field("microcode"))
    }

    /// What the host-dependent figures (`HostDependency.cpu`) are functions
    /// of: vendor, family-model-stepping, the features the suites gate on,
    /// XCR0 and the XSAVE component masks.  Two runs with the same identity
    /// compute the same sizes, offsets and skip decisions.
    public var identity: String {
        let enabled = features.list.filter(\.1).map(\.0).joined(separator: ",")
        func hex(_ v: UInt64?) -> String { v.map { "0x" + String($0, radix: 16) } ?? "none" }
        return "\(vendor) \(family)-\(model)-\(stepping) xcr0=\(hex(xcr0))"
            + " user=\(hex(xsave?.supportedUserMask)) supervisor=\(hex(xsave?.supportedSupervisorMask))"
            + " features=\(enabled)"
    }

    /// True when every bit of `mask` is enabled in XCR0 (the OS saves that state).
    public func osEnabled(_ mask: XSaveMask) -> Bool {
        guard let x = xcr0 else { return false }
        return XSaveMask(rawValue: x).isSuperset(of: mask)
    }

    /// AVX instructions may run: CPUID bit and XCR0 SSE|AVX state enabled.
    public var avxUsable: Bool { features.avx && osEnabled(.avxState) }
    /// AVX-512F instructions may run: CPUID bit and XCR0 bits 1,2,5,6,7.
    public var avx512Usable: Bool { features.avx512f && osEnabled(.avx512State) }
    /// AMX tiles are enabled by the OS (permission is still per process).
    public var amxOSEnabled: Bool { features.amxTile && osEnabled(.amxTiles) }

    /// Why an XSAVE-family instruction cannot run here, or nil when it can.
    public func unavailableReason(_ instruction: XSaveInstruction) -> String? {
        guard features.xsave else { return "CPU has no XSAVE (CPUID.1:ECX[26] clear)" }
        guard features.osxsave else { return "OS has not enabled XSAVE (CPUID.1:ECX[27] clear)" }
        switch instruction {
        case .xsave, .xrstor: return nil
        case .xsaveopt:
            return features.xsaveopt ? nil : "no XSAVEOPT (CPUID.(0xD,1):EAX[0] clear)"
        case .xsavec, .xrstorCompacted:
            return features.xsavec ? nil : "no XSAVEC (CPUID.(0xD,1):EAX[1] clear)"
        }
    }

    private static func ascii(_ words: [UInt32]) -> String {
        var bytes: [UInt8] = []
        for w in words { for s in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8((w >> UInt32(s)) & 0xFF)) } }
        return String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
    }
}

/// The XSAVE-family instructions the suites run.
public enum XSaveInstruction: String, CaseIterable, Sendable {
    case xsave, xsaveopt, xsavec, xrstor
    /// XRSTOR of a compacted-format image (needs XSAVEC to produce one).
    case xrstorCompacted = "xrstor-compacted"
}

/// Reads fields of /proc/cpuinfo (first processor block).
public enum ProcCPUInfo {
    public static func field(_ name: String) -> String? {
        guard let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                return parts[1].trimmingCharacters(in: .whitespaces)
            }
        }
        return nil
    }
}
