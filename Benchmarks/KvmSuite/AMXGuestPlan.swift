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
    /// KVM's own masking): 0, 1, 7.0, 7.1, 0xD.0-18, 0x1D.0-1, 0x1E.0-1.
    public static func entries(from cpuid: CPUIDSource) -> [CPUIDEntry] {
        var out = [CPUIDEntry(function: 0, registers: cpuid.cpuid(0, 0)),
                   CPUIDEntry(function: 1, registers: cpuid.cpuid(1, 0)),
                   CPUIDEntry(function: 7, index: 0, flags: significantIndex, registers: cpuid.cpuid(7, 0))]
        if cpuid.cpuid(7, 0).eax >= 1 {
            out.append(CPUIDEntry(function: 7, index: 1, flags: significantIndex, registers: cpuid.cpuid(7, 1)))
        }
        for i: UInt32 in 0...18 {
            let r = cpuid.cpuid(0xD, i)
            if i <= 1 || r.eax != 0 { out.append(CPUIDEntry(function: 0xD, index: i, flags: significantIndex, registers: r)) }
        }
        for (leaf, sub) in [(UInt32(0x1D), UInt32(0)), (0x1D, 1), (0x1E, 0), (0x1E, 1)] {
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
    public static let tileMask: UInt64 = XSaveMask.amxTiles.rawValue
    /// IA32_XFD, and the value that arms it for tile data.
    public static let xfdMSR: UInt32 = 0x1C4
    public static let xfdTileData: UInt64 = XSaveMask.xtiledata.rawValue

    /// CPUID leaf 7 EDX bits: AMX-BF16 (22), AMX-TILE (24), AMX-INT8 (25).
    static let leaf7AMXBits: UInt32 = 1 << 22 | 1 << 24 | 1 << 25

    /// Why the host CPU cannot run the experiments (empty: it can).
    public static func hostReasons(_ cpu: CPUDescription) -> [String] {
        var r: [String] = []
        if !cpu.features.amxTile { r.append("CPU has no AMX-TILE (CPUID.(7,0):EDX[24] clear)") }
        if !cpu.features.xfd { r.append("CPU has no XFD (CPUID.(0xD,1):EAX[4] clear)") }
        if cpu.features.amxTile && !cpu.osEnabled(.amxTiles) {
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

    /// Leaf 7 subleaf 1 bits of AMX extensions that operate on tiles:
    /// EAX[21] AMX-FP16, EDX[8] AMX-COMPLEX.  Leaf 0x1E subleaf 1 (AMX-FP8,
    /// AMX-TF32, ...) goes with the whole 0x1E leaf.
    static let leaf71EAXAMXBits: UInt32 = 1 << 21
    static let leaf71EDXAMXBits: UInt32 = 1 << 8

    static func leaf(_ e: [CPUIDEntry], _ f: UInt32, _ i: UInt32) -> CPUIDRegisters? {
        e.first { $0.function == f && $0.index == i }?.registers
    }

    /// The guest CPUID: everything KVM supports, or (withTileData false)
    /// the same without AMX: the AMX bits of leaf 7.0 EDX and 7.1 (AMX-FP16,
    /// AMX-COMPLEX, which need tiles), 0xD.0 bits 17-18 and their subleaves,
    /// leaves 0x1D/0x1E removed, and the sizes of leaf 0xD recomputed
    /// (`withSizes`).  The two differ only in AMX, so KVM_SET_CPUID2 of one
    /// against the other isolates the buffer expansion.
    public static func guestCPUID(_ supported: [CPUIDEntry], withTileData: Bool) -> [CPUIDEntry] {
        guard !withTileData else { return supported }
        var out = supported.filter {
            !($0.function == 0xD && ($0.index == 17 || $0.index == 18)) && $0.function != 0x1D && $0.function != 0x1E
        }
        for i in out.indices {
            if out[i].function == 7 && out[i].index == 0 { out[i].registers.edx &= ~leaf7AMXBits }
            if out[i].function == 7 && out[i].index == 1 {
                out[i].registers.eax &= ~leaf71EAXAMXBits
                out[i].registers.edx &= ~leaf71EDXAMXBits
            }
            if out[i].function == 0xD && out[i].index == 0 { out[i].registers.eax &= ~UInt32(tileMask) }
        }
        return withSizes(out)
    }

    /// `supported` with the host's own AMX answers added where KVM left them
    /// out: leaf 7.0's AMX bits, 0xD.17/18 and 0xD.0's tile bits (when the
    /// host's XCR0 has them), leaves 0x1D/0x1E; sizes recomputed.  What a
    /// VMM would pass to offer tile data KVM does not list (KVM_SET_CPUID2
    /// does not check entries against KVM_GET_SUPPORTED_CPUID; it checks
    /// dynamic features against the guest permission).
    public static func withHostTiles(_ supported: [CPUIDEntry], host: CPUIDSource) -> [CPUIDEntry] {
        let hostTiles = (host.xcr0 ?? 0) & tileMask
        var out = supported.filter { !($0.function == 0xD && ($0.index == 17 || $0.index == 18)) }
        for i in out.indices {
            if out[i].function == 7 && out[i].index == 0 { out[i].registers.edx |= host.cpuid(7, 0).edx & leaf7AMXBits }
            if out[i].function == 0xD && out[i].index == 0 { out[i].registers.eax |= UInt32(hostTiles) }
        }
        for c: UInt32 in [17, 18] where hostTiles & (1 << UInt64(c)) != 0 {
            out.append(CPUIDEntry(function: 0xD, index: c, flags: CPUIDEntry.significantIndex, registers: host.cpuid(0xD, c)))
        }
        if hostTiles != 0 {
            for (f, i) in [(UInt32(0x1D), UInt32(0)), (0x1D, 1), (0x1E, 0), (0x1E, 1)] where leaf(out, f, i) == nil {
                let r = host.cpuid(f, i)
                if r != CPUIDRegisters() { out.append(CPUIDEntry(function: f, index: i, flags: CPUIDEntry.significantIndex, registers: r)) }
            }
        }
        return withSizes(out)
    }

    /// Leaf 0xD's sizes made consistent with its feature bits, as
    /// KVM_GET_SUPPORTED_CPUID gives them (arch/x86/kvm/cpuid.c, case 0xd):
    /// 0.EBX = 0.ECX = standard size of the offered XCR0 bits; 1.EBX =
    /// compacted size of those and the offered IA32_XSS bits (1.EDX:ECX)
    /// when XSAVEC/XSAVES are offered, else 0.  KVM recomputes 0.EBX and
    /// 1.EBX from the guest's XCR0 and XSS at run time; 0.ECX it keeps.
    public static func withSizes(_ entries: [CPUIDEntry]) -> [CPUIDEntry] {
        var out = entries
        let mask = guestXCR0(out)
        for i in out.indices where out[i].function == 0xD {
            if out[i].index == 0 {
                let size = UInt32(standardSize(out, mask: mask))
                out[i].registers.ebx = size; out[i].registers.ecx = size
            }
            if out[i].index == 1 {
                let r = out[i].registers
                let xss = UInt64(r.edx) << 32 | UInt64(r.ecx)
                let compacting = r.eax & (1 << 1 | 1 << 3) != 0  // XSAVEC, XSAVES
                out[i].registers.ebx = compacting ? UInt32(compactedSize(out, mask: mask | xss)) : 0
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

    /// Compacted-format size of `mask`: components in index order from 576,
    /// each 64-byte aligned where its subleaf's ECX[1] says so.
    public static func compactedSize(_ entries: [CPUIDEntry], mask: UInt64) -> Int {
        entries.filter { $0.function == 0xD && $0.index >= 2 && mask & (1 << UInt64($0.index)) != 0 }
            .sorted { $0.index < $1.index }
            .reduce(576) { end, e in
                let start = e.registers.ecx & 2 != 0 ? (end + 63) / 64 * 64 : end
                return start + Int(e.registers.eax)
            }
    }

    /// What KVM_CAP_XSAVE2 should report for a supported CPUID list: the
    /// standard size of the XCR0 bits it offers, at least sizeof(struct
    /// kvm_xsave) = 4096 (arch/x86/kvm/x86.c, KVM_CAP_XSAVE2:
    /// xstate_required_size(kvm_get_filtered_xcr0())).  KVM filters the list
    /// by the guest permission, so the list read before the permission gives
    /// the "before" size and the list read after gives the "after" size.
    public static func expectedXSave2(_ supported: [CPUIDEntry]) -> Int {
        max(4096, standardSize(supported, mask: guestXCR0(supported)))
    }

    /// Bytes KVM_GET_XSAVE2 writes for a vCPU: 4096 (sizeof(struct kvm_xsave),
    /// fpu_alloc_guest_fpstate) until KVM_SET_CPUID2 enables a dynamic
    /// feature; then the guest permission's user size (fpstate_realloc sets
    /// uabi_size = perm->__user_state_size): the standard size of
    /// `permission` from the host's 0xD subleaves.
    public static func expectedGuestStateBytes(expanded: Bool, permission: UInt64, host: CPUIDSource) -> Int {
        guard expanded else { return 4096 }
        // ARCH_GET_XCOMP_GUEST_PERM reports user features only; a subleaf's
        // ECX[0] would mark a supervisor one.
        var end = 576
        for i in 2...31 where permission & (1 << UInt64(i)) != 0 {
            let r = host.cpuid(0xD, UInt32(i))
            if r.ecx & 1 == 0 { end = max(end, Int(r.ebx) + Int(r.eax)) }
        }
        return max(4096, end)
    }

}
