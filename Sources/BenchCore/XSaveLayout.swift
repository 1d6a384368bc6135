/// One XSAVE state component, as CPUID leaf 0xD describes it.
public struct XSaveComponent: Hashable, Sendable {
    /// Component index i (bit i of XCR0 / IA32_XSS / XSTATE_BV).
    public var index: Int
    /// Size in bytes (CPUID.(0xD,i).EAX; fixed by the architecture for 0 and 1).
    public var size: Int
    /// Offset in the standard (non-compacted) format, in bytes
    /// (CPUID.(0xD,i).EBX; 0 for supervisor components, which have none).
    public var standardOffset: Int
    /// Aligned to 64 bytes in the compacted format (CPUID.(0xD,i).ECX bit 1).
    public var aligned64: Bool
    /// May be disabled through IA32_XFD (CPUID.(0xD,i).ECX bit 2).
    public var xfdCapable: Bool
    /// Supervisor component, managed through IA32_XSS (CPUID.(0xD,i).ECX bit 0).
    public var supervisor: Bool

    public var name: String { XSaveComponent.name(of: index) }

    public static func name(of index: Int) -> String {
        switch index {
        case 0: return "x87"
        case 1: return "SSE"
        case 2: return "AVX"
        case 3: return "MPX_BNDREGS"
        case 4: return "MPX_BNDCSR"
        case 5: return "AVX512_opmask"
        case 6: return "AVX512_ZMM_Hi256"
        case 7: return "AVX512_Hi16_ZMM"
        case 8: return "PT"
        case 9: return "PKRU"
        case 10: return "PASID"
        case 11: return "CET_U"
        case 12: return "CET_S"
        case 13: return "HDC"
        case 14: return "UINTR"
        case 15: return "LBR"
        case 16: return "HWP"
        case 17: return "AMX_XTILECFG"
        case 18: return "AMX_XTILEDATA"
        case 19: return "APX"
        default: return "component\(index)"
        }
    }
}

/// The XSAVE area of one CPU: its components and the totals CPUID reports.
///
/// All sizes are in bytes.  The legacy region (x87 + SSE, 512 bytes) and the
/// XSAVE header (64 bytes) occupy bytes 0..<576 in both formats.
public struct XSaveLayout: Sendable {
    public static let legacyAreaSize = 512
    public static let headerSize = 64
    /// Offset of the first extended component in the compacted format.
    public static let extendedAreaStart = legacyAreaSize + headerSize

    /// Components the CPU supports (user: CPUID.(0xD,0).EDX:EAX; supervisor:
    /// CPUID.(0xD,1).EDX:ECX), sorted by index.
    public var components: [XSaveComponent]
    /// User components the CPU supports (CPUID.(0xD,0).EDX:EAX).
    public var supportedUserMask: UInt64
    /// Supervisor components the CPU supports (CPUID.(0xD,1).EDX:ECX).
    public var supportedSupervisorMask: UInt64
    /// XCR0 as the OS set it, or nil when XSAVE is not enabled.
    public var xcr0: UInt64?
    /// CPUID.(0xD,0).EBX: standard-format size for the components in XCR0.
    public var reportedStandardSizeForXCR0: Int
    /// CPUID.(0xD,0).ECX: standard-format size for every supported user component.
    public var reportedStandardSizeMax: Int
    /// CPUID.(0xD,1).EBX: compacted size for XCR0 | IA32_XSS (valid when XSAVEC/XSAVES exist).
    public var reportedCompactedSizeForXCR0XSS: Int
    /// CPUID.(0xD,1).EAX: XSAVEOPT (0), XSAVEC (1), XGETBV1 (2), XSAVES (3), XFD (4).
    public var subleaf1EAX: UInt32

    /// Decodes leaf 0xD.  Returns nil when the CPU has no XSAVE (CPUID.1:ECX[26]).
    public init?(cpuid: CPUIDSource) {
        guard cpuid.cpuid(1, 0).bit(\.ecx, 26), cpuid.cpuid(0, 0).eax >= 0xD else { return nil }
        let l0 = cpuid.cpuid(0xD, 0), l1 = cpuid.cpuid(0xD, 1)
        let userMask = UInt64(l0.edx) << 32 | UInt64(l0.eax)
        supportedUserMask = userMask
        supportedSupervisorMask = UInt64(l1.edx) << 32 | UInt64(l1.ecx)
        xcr0 = cpuid.xcr0
        reportedStandardSizeForXCR0 = Int(l0.ebx)
        reportedStandardSizeMax = Int(l0.ecx)
        reportedCompactedSizeForXCR0XSS = Int(l1.ebx)
        subleaf1EAX = l1.eax
        var list: [XSaveComponent] = [
            // x87 and SSE live in the legacy region at fixed places; CPUID
            // describes them only through the mask.
            XSaveComponent(index: 0, size: 160, standardOffset: 0, aligned64: false,
                           xfdCapable: false, supervisor: false),
            XSaveComponent(index: 1, size: 256, standardOffset: 160, aligned64: false,
                           xfdCapable: false, supervisor: false),
        ].filter { (userMask >> UInt64($0.index)) & 1 == 1 }
        let all = userMask | supportedSupervisorMask
        for i in 2..<63 where (all >> UInt64(i)) & 1 == 1 {
            let r = cpuid.cpuid(0xD, UInt32(i))
            list.append(XSaveComponent(
                index: i, size: Int(r.eax), standardOffset: Int(r.ebx),
                aligned64: r.bit(\.ecx, 1), xfdCapable: r.bit(\.ecx, 2),
                supervisor: r.bit(\.ecx, 0)))
        }
        components = list
    }

    public var hasXSAVEOPT: Bool { subleaf1EAX & 1 != 0 }
    public var hasXSAVEC: Bool { subleaf1EAX & 2 != 0 }
    public var hasXGETBV1: Bool { subleaf1EAX & 4 != 0 }
    public var hasXSAVES: Bool { subleaf1EAX & 8 != 0 }
    public var hasXFD: Bool { subleaf1EAX & 16 != 0 }

    public func component(_ index: Int) -> XSaveComponent? {
        components.first { $0.index == index }
    }

    /// User components enabled in XCR0 (empty when XSAVE is not enabled).
    public var enabledMask: UInt64 { (xcr0 ?? 0) & supportedUserMask }

    /// XFD-capable components among `mask`: Linux's dynamic features.
    public func dynamicMask(in mask: UInt64) -> UInt64 {
        components.filter { $0.xfdCapable && (mask >> UInt64($0.index)) & 1 == 1 }
            .reduce(0) { $0 | (1 << UInt64($1.index)) }
    }

    /// Standard-format (XSAVE / XSAVEOPT) size for `mask`: the end of the
    /// furthest component, never less than legacy region + header.
    /// Components the CPU lacks are ignored.
    public func standardSize(for mask: UInt64) -> Int {
        components.filter { !$0.supervisor && (mask >> UInt64($0.index)) & 1 == 1 && $0.index >= 2 }
            .map { $0.standardOffset + $0.size }
            .reduce(XSaveLayout.extendedAreaStart, max)
    }

    /// Compacted-format (XSAVEC / XSAVES) offsets for `mask`: components in
    /// index order from byte 576, each rounded up to 64 when its alignment
    /// bit is set.
    public func compactedOffsets(for mask: UInt64) -> [(component: XSaveComponent, offset: Int)] {
        var offset = XSaveLayout.extendedAreaStart
        var out: [(XSaveComponent, Int)] = []
        for c in components where c.index >= 2 && (mask >> UInt64(c.index)) & 1 == 1 {
            if c.aligned64 { offset = (offset + 63) & ~63 }
            out.append((c, offset))
            offset += c.size
        }
        return out
    }

    /// Compacted-format size for `mask`, in bytes.
    public func compactedSize(for mask: UInt64) -> Int {
        guard let last = compactedOffsets(for: mask).last else { return XSaveLayout.extendedAreaStart }
        return last.offset + last.component.size
    }
}

/// How Linux sizes a task's or a guest's register buffer (`struct fpstate`,
/// arch/x86/kernel/fpu/xstate.c): in the format the kernel saves with
/// (compacted when the CPU has XSAVES, else standard), first without the
/// XFD-capable ("dynamic") components, then expanded to every enabled one.
/// Sizes are of the register area, in bytes; supervisor components are not
/// counted (IA32_XSS cannot be read from user mode).
public struct LinuxFPStateSizes: Sendable, Equatable {
    /// The kernel's buffers use the compacted format.
    public var compacted: Bool
    /// Every enabled user component.
    public var expandedMask: UInt64
    /// XFD-capable components among `expandedMask`.
    public var dynamicMask: UInt64
    /// `expandedMask` without the dynamic components.
    public var defaultMask: UInt64 { expandedMask & ~dynamicMask }
    public var defaultBytes: Int
    public var expandedBytes: Int
}

extension XSaveLayout {
    /// Linux's default and expanded buffer sizes for the enabled components.
    public var linuxFPState: LinuxFPStateSizes {
        let compacted = hasXSAVES
        let full = enabledMask, dynamic = dynamicMask(in: full)
        func size(_ m: UInt64) -> Int { compacted ? compactedSize(for: m) : standardSize(for: m) }
        return LinuxFPStateSizes(compacted: compacted, expandedMask: full, dynamicMask: dynamic,
                                 defaultBytes: size(full & ~dynamic), expandedBytes: size(full))
    }
}

/// The cumulative feature sets the suites compare, in architectural order.
public enum XSaveFeatureSet: Int, CaseIterable, Sendable {
    case x87SSE, avx, avx512, pkru, amxTileCfg, amxTileData

    /// Components added by this step (bits of XCR0).
    public var addedMask: UInt64 {
        switch self {
        case .x87SSE: return 0x3
        case .avx: return 0x4
        case .avx512: return 0xE0
        case .pkru: return 0x200
        case .amxTileCfg: return 1 << 17
        case .amxTileData: return 1 << 18
        }
    }
    /// Everything up to and including this step.
    public var cumulativeMask: UInt64 {
        XSaveFeatureSet.allCases.filter { $0.rawValue <= rawValue }.reduce(0) { $0 | $1.addedMask }
    }
    /// Stable label used in reports.
    public var label: String {
        switch self {
        case .x87SSE: return "x87+SSE"
        case .avx: return "+AVX"
        case .avx512: return "+AVX-512"
        case .pkru: return "+PKRU"
        case .amxTileCfg: return "+AMX_XTILECFG"
        case .amxTileData: return "+AMX_XTILEDATA"
        }
    }
}
