import BenchCore
import CKVM
import CXState
import Foundation

/// One CPUID leaf/subleaf as KVM_GET_SUPPORTED_CPUID and KVM_SET_CPUID2
/// carry it, without the kernel struct, so plans can be built and tested
/// from recorded CPUs.
public struct CPUIDEntry: Equatable, Sendable {
    public var function: UInt32, index: UInt32
    /// KVM_CPUID_FLAG_SIGNIFCANT_INDEX when `index` selects a subleaf.
    public var flags: UInt32
    public var registers: CPUIDRegisters

    public init(function: UInt32, index: UInt32 = 0, flags: UInt32 = 0, registers: CPUIDRegisters) {
        self.function = function; self.index = index; self.flags = flags; self.registers = registers
    }

    init(_ e: kvm_cpuid_entry2) {
        self.init(function: e.function, index: e.index, flags: e.flags,
                  registers: CPUIDRegisters(eax: e.eax, ebx: e.ebx, ecx: e.ecx, edx: e.edx))
    }

    var kernel: kvm_cpuid_entry2 {
        var e = kvm_cpuid_entry2()
        e.function = function; e.index = index; e.flags = flags
        e.eax = registers.eax; e.ebx = registers.ebx; e.ecx = registers.ecx; e.edx = registers.edx
        return e
    }

    static let significantIndex = UInt32(KVM_CPUID_FLAG_SIGNIFCANT_INDEX)

    /// The entries a CPU's CPUID answers give for the leaves the AMX plan
    /// reads (what KVM_GET_SUPPORTED_CPUID would offer on that CPU, before
    /// KVM's own masking): 0, 1, 7.0, 0xD.0-18, 0x1D.0-1, 0x1E.0.
    public static func entries(from cpuid: CPUIDSource) -> [CPUIDEntry] {
        var out = [CPUIDEntry(function: 0, registers: cpuid.cpuid(0, 0)),
                   CPUIDEntry(function: 1, registers: cpuid.cpuid(1, 0)),
                   CPUIDEntry(function: 7, index: 0, flags: significantIndex, registers: cpuid.cpuid(7, 0))]
        for i: UInt32 in 0...18 {
            let r = cpuid.cpuid(0xD, i)
            if i <= 1 || r.eax != 0 { out.append(CPUIDEntry(function: 0xD, index: i, flags: significantIndex, registers: r)) }
        }
        for (leaf, sub) in [(UInt32(0x1D), UInt32(0)), (0x1D, 1), (0x1E, 0)] {
            let r = cpuid.cpuid(leaf, sub)
            if r != CPUIDRegisters() { out.append(CPUIDEntry(function: leaf, index: sub, flags: significantIndex, registers: r)) }
        }
        return out
    }
}

/// The AMX/XFD experiments' inputs, decided before anything runs: whether
/// the host can offer AMX to a guest, the guest CPUID with and without tile
/// data, the guest's XCR0, the permission sequence, and the buffer sizes
/// KVM_CAP_XSAVE2 should report.  Pure: tests feed it recorded CPUs.
public struct AMXGuestPlan: Sendable {
    /// XSAVE components 17 (XTILECFG) and 18 (XTILEDATA).
    public static let tileMask: UInt64 = 0x60000
    /// IA32_XFD, and the value that arms it for tile data.
    public static let xfdMSR: UInt32 = 0x1C4
    public static let xfdTileData: UInt64 = 1 << 18

    /// CPUID leaf 7 EDX bits: AMX-BF16 (22), AMX-TILE (24), AMX-INT8 (25).
    static let leaf7AMXBits: UInt32 = 1 << 22 | 1 << 24 | 1 << 25

    /// Why the host CPU cannot run the experiments (empty: it can).
    public static func hostReasons(_ cpu: CPUDescription) -> [String] {
        var r: [String] = []
        if !cpu.features.amxTile { r.append("CPU has no AMX-TILE (CPUID.(7,0):EDX[24] clear)") }
        if !cpu.features.xfd { r.append("CPU has no XFD (CPUID.(0xD,1):EAX[4] clear)") }
        if cpu.features.amxTile && !cpu.osEnabled(tileMask) {
            r.append("OS has not enabled tile state (XCR0 bits 17-18 clear)")
        }
        return r
    }

    /// Why KVM cannot offer AMX with XFD to a guest, from its supported CPUID
    /// (nil: it can).
    public static func kvmReason(_ supported: [CPUIDEntry]) -> String? {
        func leaf(_ f: UInt32, _ i: UInt32) -> CPUIDRegisters? {
            supported.first { $0.function == f && $0.index == i }?.registers
        }
        guard let l7 = leaf(7, 0), l7.edx & (1 << 24) != 0 else {
            return "KVM_GET_SUPPORTED_CPUID does not offer AMX-TILE"
        }
        guard let d0 = leaf(0xD, 0), UInt64(d0.eax) & tileMask == tileMask else {
            return "KVM_GET_SUPPORTED_CPUID does not offer XTILECFG and XTILEDATA in leaf 0xD"
        }
        guard let d1 = leaf(0xD, 1), d1.eax & (1 << 4) != 0 else {
            return "KVM_GET_SUPPORTED_CPUID does not offer XFD (0xD.1 EAX[4])"
        }
        return nil
    }

    /// The guest CPUID: everything KVM supports, or (withTileData false)
    /// the same without AMX: leaf 7 AMX bits, 0xD.0 bits 17-18 and their
    /// subleaves, leaves 0x1D/0x1E removed, 0xD.0 ECX (the size for all
    /// supported components) recomputed.  The two differ only in AMX, so
    /// KVM_SET_CPUID2 of one against the other isolates the buffer expansion.
    public static func guestCPUID(_ supported: [CPUIDEntry], withTileData: Bool) -> [CPUIDEntry] {
        guard !withTileData else { return supported }
        var out = supported.filter {
            !($0.function == 0xD && ($0.index == 17 || $0.index == 18)) && $0.function != 0x1D && $0.function != 0x1E
        }
        for i in out.indices {
            if out[i].function == 7 && out[i].index == 0 { out[i].registers.edx &= ~leaf7AMXBits }
            if out[i].function == 0xD && out[i].index == 0 {
                out[i].registers.eax &= ~UInt32(tileMask)
                out[i].registers.ecx = UInt32(standardSize(out, mask: UInt64(out[i].registers.eax)))
            }
        }
        return out
    }

    /// The XCR0 the guest sets with XSETBV: the user components of 0xD.0
    /// (EDX:EAX) the guest CPUID offers.
    public static func guestXCR0(_ guest: [CPUIDEntry]) -> UInt64 {
        guard let d0 = guest.first(where: { $0.function == 0xD && $0.index == 0 })?.registers else { return 0x3 }
        return UInt64(d0.edx) << 32 | UInt64(d0.eax)
    }

    /// Standard-format XSAVE size of `mask` from the entries' 0xD subleaves:
    /// the legacy area and header (576 B) or the end of the last component.
    public static func standardSize(_ entries: [CPUIDEntry], mask: UInt64) -> Int {
        entries.filter { $0.function == 0xD && $0.index >= 2 && mask & (1 << UInt64($0.index)) != 0 }
            .map { Int($0.registers.ebx) + Int($0.registers.eax) }
            .reduce(576, max)
    }

    /// What KVM_CAP_XSAVE2 should report: the standard size of the
    /// components the guest may have, at least sizeof(struct kvm_xsave) =
    /// 4096; before guest permission the dynamic ones (tile data) are left
    /// out (kvm_get_filtered_xcr0).
    public static func expectedXSave2(_ supported: [CPUIDEntry], permitted: Bool) -> Int {
        var mask = guestXCR0(supported)
        if !permitted { mask &= ~xfdTileData }
        return max(4096, standardSize(supported, mask: mask))
    }

    /// The arch_prctl calls, in order, that give this process's guests tile
    /// data: read what the kernel supports, ask for guest permission of
    /// feature 18, read the permitted mask back.
    public static let permissionSequence: [(code: Int32, argument: UInt, meaning: String)] = [
        (Int32(CX_ARCH_GET_XCOMP_SUPP), 0, "ARCH_GET_XCOMP_SUPP: features the kernel supports (needs bit 18)"),
        (Int32(CX_ARCH_REQ_XCOMP_GUEST_PERM), UInt(CX_XFEATURE_XTILEDATA),
         "ARCH_REQ_XCOMP_GUEST_PERM(18): permission for guests of this process"),
        (Int32(CX_ARCH_GET_XCOMP_GUEST_PERM), 0, "ARCH_GET_XCOMP_GUEST_PERM: permitted mask (needs 0x60000)"),
    ]
}
