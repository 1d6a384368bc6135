import Foundation

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

/// A Linux kernel release: `major.minor` (the release line), the stable
/// number when one was given, and what follows the numbers (a distribution
/// or local suffix such as `-51-generic`, kept but never compared).
///
/// Order and equality use `major.minor.patch`, an absent patch counting as
/// 0 (`6.12` is `6.12.0`, the mainline release).  Stable backports make the
/// patch matter: a rule may reach `6.12.23` but not `6.12.22`
/// (`LinuxKernelRule`).  Distribution kernels carry their own backports,
/// which no upstream table knows: rules are those of the upstream release
/// the numbers name.
public struct LinuxKernelVersion: Sendable, Comparable, Hashable, CustomStringConvertible {
    public let major: Int, minor: Int
    /// The stable number (`30` of `6.12.30`), nil when the text gave none.
    public let patch: Int?
    /// Text after the numbers (`-fc-v657`, `-rc1`, `-51-generic`), nil when none.
    public let suffix: String?

    public init(_ major: Int, _ minor: Int, _ patch: Int? = nil, suffix: String? = nil) {
        self.major = major; self.minor = minor; self.patch = patch; self.suffix = suffix
    }

    /// Parses a release string: `6.18`, `6.12.30`, `6.18.44-fc-v657`,
    /// `5.17.0-rc1`, `6.8.0-51-generic`.  Nil when it does not start with `N.N`.
    public init?(release: String) {
        let text = release.trimmingCharacters(in: .whitespaces)
        let head = text.prefix { $0.isNumber || $0 == "." }
        let parts = head.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2, let a = Int(parts[0]), let b = Int(parts[1]),
              (2...99).contains(a), (0...999).contains(b) else { return nil }
        var p: Int?
        if parts.count >= 3 {
            guard let c = Int(parts[2]), (0...9999).contains(c) else { return nil }
            p = c
        }
        major = a; minor = b; patch = p
        let rest = text.dropFirst(head.count)
        suffix = rest.isEmpty ? nil : String(rest)
    }

    /// The stable number, 0 for a mainline release.
    public var stableNumber: Int { patch ?? 0 }
    /// The release line, `major.minor`: what `kernel_identity` records.
    public var line: String { "\(major).\(minor)" }
    /// `major.minor`, the release line (see `release` for the whole version).
    public var description: String { line }
    /// `major.minor[.patch][suffix]` as given.
    public var release: String { line + (patch.map { ".\($0)" } ?? "") + (suffix ?? "") }
    /// True when `other` is the same release line.
    public func sameLine(_ other: LinuxKernelVersion) -> Bool { major == other.major && minor == other.minor }

    public static func < (a: LinuxKernelVersion, b: LinuxKernelVersion) -> Bool {
        (a.major, a.minor, a.stableNumber) < (b.major, b.minor, b.stableNumber)
    }
    public static func == (a: LinuxKernelVersion, b: LinuxKernelVersion) -> Bool {
        (a.major, a.minor, a.stableNumber) == (b.major, b.minor, b.stableNumber)
    }
    public func hash(into h: inout Hasher) { h.combine(major); h.combine(minor); h.combine(stableNumber) }
}

/// One versioned kernel rule: the first mainline release that has it and,
/// for older release lines that received it as a stable backport, the first
/// stable release of each, with where that was established.
public struct LinuxKernelRule: Sendable, CustomStringConvertible {
    /// What changes, in a few words.
    public let name: String
    /// The first mainline release (`major.minor`): every release of this
    /// line and of later lines has the rule.
    public let mainline: LinuxKernelVersion
    /// The first stable release of each older line that received it.
    public let stable: [LinuxKernelVersion]
    /// The commit(s) and how each release was established; a release that
    /// could not be confirmed says so here.
    public let citation: String

    public init(_ name: String, from mainline: LinuxKernelVersion, stable: [LinuxKernelVersion] = [], citation: String) {
        precondition(stable.allSatisfy { $0.patch != nil && $0 < mainline }, "stable releases are x.y.z of older lines")
        self.name = name; self.mainline = mainline; self.stable = stable; self.citation = citation
    }

    /// The rule holds in `v`: a release of the mainline line or later, or a
    /// stable release at or after the first that has it on its line.
    public func holds(in v: LinuxKernelVersion) -> Bool {
        if (v.major, v.minor) >= (mainline.major, mainline.minor) { return true }
        guard let first = stable.first(where: { $0.sameLine(v) }) else { return false }
        return v.stableNumber >= first.stableNumber
    }

    /// Every release where the rule starts: the mainline line and each stable release.
    public var boundaries: [LinuxKernelVersion] { stable + [mainline] }

    /// "6.15 (stable: 6.1.133, 6.6.87, ...)" for notes.
    public var firstReleases: String {
        mainline.line + (stable.isEmpty ? "" : " (stable: " + stable.map(\.release).joined(separator: ", ") + ")")
    }

    /// The rule's line in the report table.
    public var description: String { "\(name): \(firstReleases); \(citation)" }

    /// The versions where the rule does not yet hold next to where it starts:
    /// (last without, first with) for each boundary.  A mainline boundary's
    /// "last without" is the last release of the line before it that has no
    /// backport (`x.(y-1)` with a large stable number when that line got the
    /// rule later than its .0).
    public var boundaryPairs: [(without: LinuxKernelVersion, with: LinuxKernelVersion)] {
        var out: [(LinuxKernelVersion, LinuxKernelVersion)] = stable.map {
            (LinuxKernelVersion($0.major, $0.minor, $0.stableNumber - 1), $0)
        }
        let previousLine = mainline.minor > 0 ? LinuxKernelVersion(mainline.major, mainline.minor - 1)
                                              : LinuxKernelVersion(mainline.major - 1, 19)
        if !stable.contains(where: { $0.sameLine(previousLine) }) {
            out.append((LinuxKernelVersion(previousLine.major, previousLine.minor, 9999), mainline))
        }
        return out
    }
}

/// The kernel rules of the XSAVE buffer model, each with its first
/// releases and citation (arch/x86/kernel/fpu/xstate.c, core.c).
public enum LinuxFPURules {
    /// Dynamic (XFD) features for tasks: AMX (the 5.16 x86/fpu pull).
    public static let dynamicFeatures = LinuxKernelRule(
        "dynamic (XFD) features, AMX for tasks", from: LinuxKernelVersion(5, 16),
        citation: "x86/fpu AMX series merged for 5.16 (XFEATURE_MASK_USER_DYNAMIC)")
    /// PASID (component 10) in every fpstate where the CPU lists it.
    public static let pasid = LinuxKernelRule(
        "PASID (8 B) in every fpstate", from: LinuxKernelVersion(5, 18),
        citation: "ENQCMD re-enabled in the 5.18 x86/pasid pull; XFEATURE_MASK_SUPERVISOR_SUPPORTED held PASID since 5.10, but xsave_cpuid_features ties it to X86_FEATURE_ENQCMD, which 9bfecd058339 (5.13) force-disabled (DISABLE_ENQCMD) and whose commit says nothing set PASID in IA32_XSS; whether a 5.16/5.17 SPR kernel listed PASID in its buffer is unverified here (modelled: not before 5.18)")
    /// CET_U (component 11) in every fpstate where the CPU lists it.
    public static let cetUser = LinuxKernelRule(
        "CET_U (16 B) in every fpstate", from: LinuxKernelVersion(6, 6),
        citation: "user shadow stack (x86/shstk pull for 6.6): XFEATURE_MASK_CET_USER in XFEATURE_MASK_SUPERVISOR_SUPPORTED")
    /// CET_S (component 12) in guest buffers and the kernel's maximum only.
    public static let cetSupervisor = LinuxKernelRule(
        "CET_S (24 B), guest-only: context size and guest buffers", from: LinuxKernelVersion(6, 17),
        citation: "8b05b3c98816 \"x86/fpu/xstate: Add CET supervisor xfeature support as a guest-only feature\", x86/fpu updates for v6.17")
    /// A new guest fpstate sized by the kernel's compacted default instead
    /// of `fpu_user_cfg.default_size`.
    public static let guestBufferKernelSize = LinuxKernelRule(
        "guest fpstate at vCPU creation sized by the kernel default (fpu_kernel_cfg.default_size)", from: LinuxKernelVersion(6, 15),
        stable: [LinuxKernelVersion(6, 1, 133), LinuxKernelVersion(6, 6, 87), LinuxKernelVersion(6, 12, 23),
                 LinuxKernelVersion(6, 13, 11), LinuxKernelVersion(6, 14, 2)],
        citation: "1937e18cc3cf \"x86/fpu: Fix guest FPU state buffer allocation size\" (tip x86/fpu, 6.15 window); stable: 6.1.133 confirmed by the release tag above the backport (feec6cd973b9) in the linux-6.1.y history; 6.6.87, 6.12.23, 6.13.11 and 6.14.2 from the stable review series of 2025-04-08 that carried the backport (\"[ Upstream commit 1937e18cc3cf ]\"), not confirmed against the release tags")
    /// The real `guest_default_cfg`: the guest default now includes the
    /// guest-only components (CET_S); without them it equals the kernel default.
    public static let guestDefaultCfg = LinuxKernelRule(
        "guest_default_cfg: guest buffers include guest-only components", from: LinuxKernelVersion(6, 17),
        citation: "509e880b7795 (6.17); before it the 6.15 fix used fpu_kernel_cfg.default_size, the same number wherever no guest-only component exists (no CET_S before 6.17)")

    /// Every rule of the buffer model, for the report table and the tests.
    public static let all: [LinuxKernelRule] = [dynamicFeatures, pasid, cetUser, cetSupervisor, guestBufferKernelSize, guestDefaultCfg]
}

/// Which XSAVE components Linux keeps in a `struct fpstate`, per kernel
/// release (arch/x86/kernel/fpu/xstate.c, XFEATURE_MASK_SUPERVISOR_SUPPORTED
/// and the guest-only set); the releases and citations are in `LinuxFPURules`:
/// - PASID (component 10, 8 bytes): supervisor state from 5.18;
/// - CET_U (11, 16 bytes): user shadow stack state from 6.6;
/// - CET_S (12, 24 bytes): guest-only (KVM CET virtualisation) from 6.17: in
///   the kernel's maximum ("context size") and in guest buffers, never in a
///   task's;
/// - ARCH_LBR (15) and PT (8) are never in fpstate.
/// Supervisor state exists only with XSAVES (compacted format); a CPU
/// contributes only the components its CPUID.(0xD,1).ECX lists.
public struct LinuxXStateRules: Sendable, Equatable {
    /// First kernel with dynamic (XFD) features (AMX for tasks).
    public static let firstDynamic = LinuxFPURules.dynamicFeatures.mainline

    public let kernel: LinuxKernelVersion
    public init(kernel: LinuxKernelVersion) { self.kernel = kernel }

    /// Supervisor components a task's fpstate holds under this kernel.
    public var taskSupervisorMask: UInt64 {
        (LinuxFPURules.pasid.holds(in: kernel) ? 1 << 10 : 0) | (LinuxFPURules.cetUser.holds(in: kernel) ? 1 << 11 : 0)
    }
    /// Guest-only supervisor components under this kernel.
    public var guestOnlyMask: UInt64 { LinuxFPURules.cetSupervisor.holds(in: kernel) ? 1 << 12 : 0 }
    /// A new guest fpstate is sized by the kernel's compacted default (with
    /// the guest-only components) rather than `fpu_user_cfg.default_size`.
    public var guestBufferIsKernelSized: Bool { LinuxFPURules.guestBufferKernelSize.holds(in: kernel) }
    /// The versions where these rules change, for notes.
    public var summary: String {
        let guest = guestBufferIsKernelSized
            ? (LinuxFPURules.guestDefaultCfg.holds(in: kernel) ? "guest_default_cfg (6.17+)"
               : "fpu_kernel_cfg.default_size (6.15+; stable 6.1.133, 6.6.87, 6.12.23, 6.13.11, 6.14.2)")
            : "fpu_user_cfg.default_size (5.17-6.14 before the stable fixes)"
        return "Linux \(kernel.release) rules: supervisor components \(taskSupervisorMask == 0 ? "none" : "0x" + String(taskSupervisorMask, radix: 16)) in tasks (PASID from 5.18, 5.16-5.17 unverified; CET_U from 6.6), guest-only \(guestOnlyMask == 0 ? "none" : "0x" + String(guestOnlyMask, radix: 16)) (CET_S from 6.17), guest buffer at vCPU creation \(guest)"
    }
}

/// How Linux sizes its register buffers (`struct fpstate`) on one CPU under
/// one kernel version.  Register-area sizes in bytes (the struct's 64-byte
/// header is not included).  The kernel's buffers use the compacted format
/// when the CPU has XSAVES, else the standard one; the user ABI (signal
/// frame, ptrace) always uses the standard format of the user components.
public struct LinuxFPStateSizes: Sendable, Equatable {
    public var rules: LinuxXStateRules
    /// The kernel's buffers use the compacted format.
    public var compacted: Bool
    /// Every enabled user component.
    public var expandedMask: UInt64
    /// XFD-capable components among `expandedMask`.
    public var dynamicMask: UInt64
    /// `expandedMask` without the dynamic components.
    public var defaultMask: UInt64 { expandedMask & ~dynamicMask }
    /// Supervisor components in every buffer (0 without XSAVES).
    public var supervisorMask: UInt64
    /// Guest-only supervisor components (0 without XSAVES).
    public var guestOnlyMask: UInt64
    /// Every component the kernel enables: "Enabled xstate features 0x..." at boot.
    public var maxFeatures: UInt64 { expandedMask | supervisorMask | guestOnlyMask }
    /// A task's buffer (`fpu_kernel_cfg.default_size`): no dynamic, no guest-only.
    public var defaultBytes: Int
    /// A task's buffer after a dynamic-feature permission (fpstate_realloc).
    public var expandedBytes: Int
    /// `fpu_kernel_cfg.max_size`: "context size is N" at boot.
    public var contextBytes: Int
    /// Guest default: no dynamic, guest-only included (6.17's
    /// guest_default_cfg; the kernel default before, where no guest-only
    /// component exists).
    public var guestDefaultBytes: Int
    /// A guest buffer expanded at KVM_SET_CPUID2: everything the guest may use.
    public var guestExpandedBytes: Int
    /// `fpu_user_cfg.default_size` / `.max_size`: standard-format user sizes.
    public var userDefaultBytes: Int, userMaxBytes: Int
    /// A guest buffer at vCPU creation under `rules`: `userDefaultBytes`
    /// before the fix (6.15, and its stable backports), `guestDefaultBytes`
    /// after it (equal to `defaultBytes` before 6.17: no guest-only component).
    public var guestCreateBytes: Int {
        rules.guestBufferIsKernelSized ? guestDefaultBytes : userDefaultBytes
    }
}

extension XSaveLayout {
    /// Linux's buffer sizes under the rules of 5.16, the first kernel with
    /// dynamic features and no supervisor component in fpstate.  Callers
    /// that model a given kernel use `linuxFPState(_:)`.
    public var linuxFPState: LinuxFPStateSizes { linuxFPState(LinuxXStateRules(kernel: LinuxXStateRules.firstDynamic)) }

    /// Linux's buffer sizes for the enabled components under `rules`.
    public func linuxFPState(_ rules: LinuxXStateRules) -> LinuxFPStateSizes {
        let compacted = hasXSAVES
        let full = enabledMask, dynamic = dynamicMask(in: full)
        let sup = compacted ? supportedSupervisorMask & rules.taskSupervisorMask : 0
        let guest = compacted ? supportedSupervisorMask & rules.guestOnlyMask : 0
        func size(_ m: UInt64) -> Int { compacted ? compactedSize(for: m) : standardSize(for: m) }
        return LinuxFPStateSizes(
            rules: rules, compacted: compacted, expandedMask: full, dynamicMask: dynamic,
            supervisorMask: sup, guestOnlyMask: guest,
            defaultBytes: size(full & ~dynamic | sup), expandedBytes: size(full | sup),
            contextBytes: size(full | sup | guest), guestDefaultBytes: size(full & ~dynamic | sup | guest),
            guestExpandedBytes: size(full | sup | guest),
            userDefaultBytes: standardSize(for: full & ~dynamic), userMaxBytes: standardSize(for: full))
    }
}

/// The x86-64 signal frame Linux reserves (arch/x86/kernel/signal.c,
/// `init_sigframe_size`, kernels 5.14+ with IA32 emulation, as
/// distribution kernels are built): AT_MINSIGSTKSZ and "max sigframe size".
public enum LinuxSignalFrame {
    /// sizeof(struct sigframe_ia32), the largest frame struct: 736 bytes
    /// (8-byte aligned through `_fpx_sw_bytes`).
    public static let sigframeIA32Bytes = 736
    /// Frame alignment slack, bytes.
    public static let frameAlignSlack = 15
    /// FP_XSTATE_MAGIC2, the 4-byte marker after the XSAVE area.
    public static let magic2Bytes = 4
    /// struct fregs_state (the fsave header of IA32 emulation), bytes.
    public static let fsaveHeaderBytes = 112
    /// XSAVE area alignment slack (64-byte alignment), bytes.
    public static let xsaveAlignSlack = 63

    /// round_up(736 + 15 + `userXStateSize` + 4 + 112 + 63, 16), in bytes,
    /// for the standard-format user XSAVE size (`fpu_user_cfg.max_size`).
    public static func size(userXStateSize: Int) -> Int {
        let raw = sigframeIA32Bytes + frameAlignSlack + userXStateSize + magic2Bytes + fsaveHeaderBytes + xsaveAlignSlack
        return (raw + 15) & ~15
    }
}

/// The cumulative feature sets the suites compare, in architectural order.
public enum XSaveFeatureSet: Int, CaseIterable, Sendable {
    case x87SSE, avx, avx512, pkru, amxTileCfg, amxTileData

    /// Components added by this step (bits of XCR0).
    public var addedMask: UInt64 { addedComponents.rawValue }
    /// Components added by this step.
    public var addedComponents: XSaveMask {
        switch self {
        case .x87SSE: return [.x87, .sse]
        case .avx: return .avx
        case .avx512: return .avx512
        case .pkru: return .pkru
        case .amxTileCfg: return .xtilecfg
        case .amxTileData: return .xtiledata
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

/// The kernel version a suite models: the `kernel` parameter, "running"
/// (the default) or a version such as 5.17.
public struct LinuxKernelChoice: Sendable, Equatable {
    public var rules: LinuxXStateRules
    /// The version is the running kernel's: figures computed under it then
    /// depend on this host's kernel.
    public var running: Bool

    public init(_ version: LinuxKernelVersion, running: Bool) {
        rules = LinuxXStateRules(kernel: version); self.running = running
    }

    /// Parses `kernel=`: "running" reads `uname -r`.  Throws `badInput` for
    /// text without a version, or a version older than `minimum`.
    public static func parse(_ text: String, minimum: LinuxKernelVersion = LinuxXStateRules.firstDynamic,
                             runningRelease: () -> String = EnvironmentRecord.kernelRelease) throws -> LinuxKernelChoice {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        let running = t == "running"
        let release = running ? runningRelease() : t
        guard let v = LinuxKernelVersion(release: release) else {
            throw BenchError.badInput("kernel=\(text): cannot read a version from '\(release)' (give e.g. --set kernel=6.12 or 6.12.30)")
        }
        guard v >= minimum else {
            throw BenchError.badInput("kernel=\(text): \(v) is older than \(minimum), the first kernel these rules describe")
        }
        return LinuxKernelChoice(v, running: running)
    }

    /// What a figure computed under these rules depends on: the running
    /// kernel when it chose them, else the CPU (`hostCPU`) or nothing.
    public func depends(hostCPU: Bool) -> HostDependency {
        running ? (hostCPU ? .cpuKernel : .kernel) : (hostCPU ? .cpu : .none)
    }

    /// The `kernel` parameter value rows carry: the version assumed, as
    /// precise as the rules can tell apart (`LinuxKernelVersion.ruleLabel`).
    public var label: String { rules.kernel.ruleLabel(LinuxFPURules.all) }
}

extension LinuxKernelVersion {
    /// The version as precise as `rules` can tell apart: `major.minor` when
    /// no rule has a stable boundary on this line (every release of the line
    /// gets the same figures), else `major.minor.patch`.  Rows carry it as
    /// their `kernel` parameter, so two hosts on one line compare.
    public func ruleLabel(_ rules: [LinuxKernelRule]) -> String {
        rules.contains { $0.stable.contains(where: sameLine) } ? "\(line).\(stableNumber)" : line
    }
}
