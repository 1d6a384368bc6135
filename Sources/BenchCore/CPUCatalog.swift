import Foundation

/// A CPU recorded as data: identity, feature bits and the leaf-0xD layout,
/// turned into CPUID answers so it is decoded by the same code as the host.
///
/// The layouts and totals come from public CPUID dumps (see README, "CPU
/// catalog").  The reported totals are kept separately from the per-component
/// table on purpose: tests compute sizes from the components and check them
/// against these totals.
public struct RecordedCPU: Sendable {
    /// One leaf-0xD component: size and standard offset in bytes, and the
    /// ECX flags (bit 0 supervisor, bit 1 64-byte aligned, bit 2 XFD-capable).
    public struct Component: Sendable {
        public var index: Int, size: Int, offset: Int, ecx: UInt32
        public init(_ index: Int, size: Int, offset: Int, ecx: UInt32 = 0) {
            self.index = index; self.size = size; self.offset = offset; self.ecx = ecx
        }
    }

    public var id: String
    public var name: String
    public var vendor: String
    public var family: Int, model: Int, stepping: Int
    public var brand: String
    /// CPUID.(0xD,0).EDX:EAX: user components supported.
    public var supportedUserMask: UInt64
    /// XCR0 as Linux sets it on this CPU.
    public var xcr0: UInt64
    /// CPUID.(0xD,1).EAX: XSAVEOPT, XSAVEC, XGETBV1, XSAVES, XFD bits.
    public var subleaf1EAX: UInt32
    public var components: [Component]
    /// CPUID.(0xD,1).EDX:ECX: supervisor components supported (IA32_XSS-managed).
    /// Only the ones Linux may put in a `struct fpstate` are recorded
    /// (PASID 10, CET_U 11, CET_S 12), with their architectural sizes.
    public var supportedSupervisorMask: UInt64 = 0
    /// CPUID.(0xD,0).EBX / ECX and CPUID.(0xD,1).EBX as recorded (IA32_XSS taken as 0).
    public var reportedStandardSize: Int, reportedStandardMax: Int, reportedCompactedSize: Int
    public var avx: Bool, avx512f: Bool, amx: Bool, rdpid: Bool
    /// Where the figures come from.
    public var provenance: String

    /// The recorded CPUID answers.
    public var cpuid: RecordedCPUID {
        typealias K = RecordedCPUID.Key
        var leaves: [K: CPUIDRegisters] = [:]
        let vendorWords = RecordedCPU.words(vendor, count: 3)
        leaves[K(0)] = CPUIDRegisters(eax: 0x1F, ebx: vendorWords[0], ecx: vendorWords[2], edx: vendorWords[1])
        let fam = family >= 0xF ? 0xF : family, extFam = family >= 0xF ? family - 0xF : 0
        let sig = UInt32(extFam << 20 | (model >> 4) << 16 | fam << 8 | (model & 0xF) << 4 | stepping)
        // SSE3..AVX as every such CPU has them; XSAVE (26), OSXSAVE (27), AVX (28).
        var ecx1: UInt32 = 1 << 26 | 1 << 27
        if avx { ecx1 |= 1 << 28 }
        leaves[K(1)] = CPUIDRegisters(eax: sig, ecx: ecx1, edx: 1 << 4 /* TSC */)
        var l7 = CPUIDRegisters()
        if avx512f { l7.ebx |= 1 << 16 }
        if rdpid { l7.ecx |= 1 << 22 }
        if amx { l7.edx |= 1 << 22 | 1 << 24 | 1 << 25 }
        leaves[K(7)] = l7
        leaves[K(0xD, 0)] = CPUIDRegisters(
            eax: UInt32(truncatingIfNeeded: supportedUserMask), ebx: UInt32(reportedStandardSize),
            ecx: UInt32(reportedStandardMax), edx: UInt32(truncatingIfNeeded: supportedUserMask >> 32))
        leaves[K(0xD, 1)] = CPUIDRegisters(eax: subleaf1EAX, ebx: UInt32(reportedCompactedSize),
                                           ecx: UInt32(truncatingIfNeeded: supportedSupervisorMask),
                                           edx: UInt32(truncatingIfNeeded: supportedSupervisorMask >> 32))
        for c in components {
            leaves[K(0xD, UInt32(c.index))] = CPUIDRegisters(
                eax: UInt32(c.size), ebx: UInt32(c.offset), ecx: c.ecx)
        }
        leaves[K(0x8000_0000)] = CPUIDRegisters(eax: 0x8000_0008)
        leaves[K(0x8000_0001)] = CPUIDRegisters(edx: 1 << 27)  // RDTSCP
        let b = RecordedCPU.words(brand, count: 12)
        for i in 0..<3 {
            leaves[K(0x8000_0002 + UInt32(i))] = CPUIDRegisters(
                eax: b[4 * i], ebx: b[4 * i + 1], ecx: b[4 * i + 2], edx: b[4 * i + 3])
        }
        leaves[K(0x8000_0007)] = CPUIDRegisters(edx: 1 << 8)  // invariant TSC
        return RecordedCPUID(leaves: leaves, xcr0: xcr0, xss: 0)
    }

    /// The description every suite consumes.
    public var description: CPUDescription {
        CPUDescription(cpuid: cpuid, origin: .recorded(id: id), id: id)
    }

    private static func words(_ s: String, count: Int) -> [UInt32] {
        var bytes = Array(s.utf8.prefix(count * 4))
        bytes += Array(repeating: 0, count: count * 4 - bytes.count)
        return (0..<count).map { i in
            (0..<4).reduce(UInt32(0)) { $0 | UInt32(bytes[4 * i + $1]) << UInt32(8 * $1) }
        }
    }
}

/// The recorded CPUs.  Adding a CPU is adding one entry here.
public enum CPUCatalog {
    public static let all: [RecordedCPU] = [
        RecordedCPU(
            id: "spr", name: "Intel Sapphire Rapids (AMX)", vendor: "GenuineIntel",
            family: 6, model: 0x8F, stepping: 8, brand: "Intel(R) Xeon(R) Platinum 8480+",
            supportedUserMask: 0x602E7, xcr0: 0x602E7, subleaf1EAX: 0x1F,
            components: [
                .init(2, size: 256, offset: 576), .init(5, size: 64, offset: 1088),
                .init(6, size: 512, offset: 1152), .init(7, size: 1024, offset: 1664),
                .init(9, size: 8, offset: 2688), .init(17, size: 64, offset: 2752, ecx: 2),
                .init(18, size: 8192, offset: 2816, ecx: 6),
                .init(10, size: 8, offset: 0, ecx: 1), .init(11, size: 16, offset: 0, ecx: 1),
                .init(12, size: 24, offset: 0, ecx: 1),
            ],
            supportedSupervisorMask: 0x1C00,
            reportedStandardSize: 11008, reportedStandardMax: 11008, reportedCompactedSize: 10752,
            avx: true, avx512f: true, amx: true, rdpid: true,
            provenance: "CPUID leaf 0xD of Sapphire/Emerald Rapids, public dumps; supervisor components limited to PASID, CET_U, CET_S (architectural sizes 8, 16, 24)"),
        RecordedCPU(
            id: "skx", name: "Intel Skylake-SP / Cascade Lake (AVX-512, MPX not enabled, no AMX)", vendor: "GenuineIntel",
            family: 6, model: 0x55, stepping: 4, brand: "Intel(R) Xeon(R) Platinum 8180",
            supportedUserMask: 0x2FF, xcr0: 0x2E7, subleaf1EAX: 0xF,
            components: [
                .init(2, size: 256, offset: 576), .init(3, size: 64, offset: 960),
                .init(4, size: 64, offset: 1024), .init(5, size: 64, offset: 1088),
                .init(6, size: 512, offset: 1152), .init(7, size: 1024, offset: 1664),
                .init(9, size: 8, offset: 2688),
            ],
            reportedStandardSize: 2696, reportedStandardMax: 2696, reportedCompactedSize: 2440,
            avx: true, avx512f: true, amx: false, rdpid: false,
            provenance: "CPUID leaf 0xD of Skylake-SP, public dumps; Linux leaves MPX (3,4) out of XCR0. Ice Lake-SP has no MPX (CPUID.(0xD,0).EAX 0x2E7) and the same sizes for XCR0 0x2E7"),
        RecordedCPU(
            id: "zen3", name: "AMD Zen 3 (EPYC 7003)", vendor: "AuthenticAMD",
            family: 0x19, model: 0x01, stepping: 1, brand: "AMD EPYC 7763 64-Core Processor",
            supportedUserMask: 0x207, xcr0: 0x207, subleaf1EAX: 0xF,
            components: [.init(2, size: 256, offset: 576), .init(9, size: 8, offset: 2432),
                         .init(11, size: 16, offset: 0, ecx: 1), .init(12, size: 24, offset: 0, ecx: 1)],
            supportedSupervisorMask: 0x1800,
            reportedStandardSize: 2440, reportedStandardMax: 2440, reportedCompactedSize: 840,
            avx: true, avx512f: false, amx: false, rdpid: true,
            provenance: "CPUID leaf 0xD of Zen 3, public dumps; shadow-stack components CET_U, CET_S (16, 24 bytes)"),
        RecordedCPU(
            id: "zen4", name: "AMD Zen 4 / Zen 5 (AVX-512)", vendor: "AuthenticAMD",
            family: 0x19, model: 0x11, stepping: 1, brand: "AMD EPYC 9654 96-Core Processor",
            supportedUserMask: 0x2E7, xcr0: 0x2E7, subleaf1EAX: 0xF,
            components: [
                .init(2, size: 256, offset: 576), .init(5, size: 64, offset: 832),
                .init(6, size: 512, offset: 896), .init(7, size: 1024, offset: 1408),
                .init(9, size: 8, offset: 2432),
                .init(11, size: 16, offset: 0, ecx: 1), .init(12, size: 24, offset: 0, ecx: 1),
            ],
            supportedSupervisorMask: 0x1800,
            reportedStandardSize: 2440, reportedStandardMax: 2440, reportedCompactedSize: 2440,
            avx: true, avx512f: true, amx: false, rdpid: true,
            provenance: "CPUID leaf 0xD of Zen 4, public dumps; CET_U, CET_S (16, 24 bytes) as a Zen 4 VM reports them (0xD,1).ECX 0x1800"),
    ]

    public static var ids: [String] { all.map(\.id) }

    public static func lookup(_ id: String) -> RecordedCPU? { all.first { $0.id == id.lowercased() } }

    /// The recorded CPUs a `--cpu-model` value lists (see `CPUModelSelection`).
    public static func select(_ spec: String) throws -> [RecordedCPU] {
        try CPUModelSelection(spec).recorded
    }
}
