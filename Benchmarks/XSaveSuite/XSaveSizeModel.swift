import BenchCore

/// The XSAVE size tables of one CPU, computed from its leaf-0xD layout.
/// Pure: nothing here executes an XSAVE instruction, so recorded CPUs and
/// the host go through the same arithmetic and tests need no timing.
///
/// All sizes and offsets are in bytes.
public struct XSaveSizeModel: Sendable {
    /// One state component as the tables list it.
    public struct ComponentEntry: Sendable {
        public var component: XSaveComponent
        /// Enabled in XCR0 (user components) or, for supervisor ones, only supported.
        public var enabled: Bool
        /// Offset in the compacted image of all enabled user components; nil
        /// for components outside XCR0 (they have no place in that image).
        public var compactedOffset: Int?
    }

    /// One cumulative feature set (x87+SSE, +AVX, ...) on this CPU.
    public struct FeatureSetEntry: Sendable {
        public var set: XSaveFeatureSet
        /// The set's cumulative mask restricted to what this CPU enables:
        /// steps the CPU lacks contribute nothing (Zen 3's +PKRU is x87, SSE, AVX, PKRU).
        public var mask: UInt64
        /// Components this step adds that the CPU or OS does not provide;
        /// non-zero means the step is not supported here.
        public var missing: UInt64
        public var standardSize: Int
        public var compactedSize: Int
        public var supported: Bool { missing == 0 }
    }

    public let cpuID: String
    public let layout: XSaveLayout
    /// User components enabled in XCR0.
    public let enabledMask: UInt64
    /// The CPU was recorded (its leaf 0xD was captured with IA32_XSS = 0, as
    /// the catalog states) rather than read live.
    public let recorded: Bool

    /// nil when the CPU has no XSAVE or the OS has not enabled it.
    public init?(cpu: CPUDescription) {
        guard let layout = cpu.xsave, layout.xcr0 != nil, cpu.features.osxsave else { return nil }
        self.cpuID = cpu.id
        self.layout = layout
        self.enabledMask = layout.enabledMask
        self.recorded = cpu.origin != .live
    }

    /// Every component the CPU supports (user and supervisor), in index order,
    /// with x87 and SSE first.  Components the CPU lacks are not listed.
    public var components: [ComponentEntry] {
        let offsets = Dictionary(uniqueKeysWithValues:
            layout.compactedOffsets(for: enabledMask).map { ($0.component.index, $0.offset) })
        return layout.components.map { c in
            let on = !c.supervisor && (enabledMask >> UInt64(c.index)) & 1 == 1
            // x87 and SSE share the legacy region, identical in both formats.
            let compacted = c.index < 2 ? (on ? c.standardOffset : nil) : offsets[c.index]
            return ComponentEntry(component: c, enabled: on, compactedOffset: compacted)
        }
    }

    /// The cumulative feature set `set` on this CPU.
    public func featureSet(_ set: XSaveFeatureSet) -> FeatureSetEntry {
        let mask = set.cumulativeMask & enabledMask
        return FeatureSetEntry(set: set, mask: mask, missing: set.addedMask & ~enabledMask,
                               standardSize: layout.standardSize(for: mask),
                               compactedSize: layout.compactedSize(for: mask))
    }

    public var featureSets: [FeatureSetEntry] { XSaveFeatureSet.allCases.map(featureSet) }

    /// Standard-format size for everything in XCR0: what CPUID.(0xD,0).EBX reports.
    public var standardSizeForXCR0: Int { layout.standardSize(for: enabledMask) }
    /// Compacted size for the XCR0 user components only (IA32_XSS taken as 0).
    public var compactedSizeForXCR0: Int { layout.compactedSize(for: enabledMask) }

    /// Linux's buffer sizes on this CPU under `rules`.
    public func linux(_ rules: LinuxXStateRules) -> LinuxFPStateSizes { layout.linuxFPState(rules) }

    /// The computed totals against the CPU's own CPUID totals, with the
    /// supervisor set IA32_XSS holds taken from `xss` (see `supervisorState`).
    public func checks(xss: SupervisorState) -> [SizeCheck] {
        var out = [SizeCheck(name: "standard_vs_cpuid_0xd_0_ebx", computed: standardSizeForXCR0,
                             reported: layout.reportedStandardSizeForXCR0, supervisor: 0, origin: "XCR0 only")]
        if layout.hasXSAVEC || layout.hasXSAVES {
            // CPUID.(0xD,1).EBX counts XCR0 | IA32_XSS: compared once, with
            // the supervisor set derived from what the kernel reports.
            out.append(SizeCheck(name: "compacted_vs_cpuid_0xd_1_ebx",
                                 computed: layout.compactedSize(for: enabledMask | xss.mask),
                                 reported: layout.reportedCompactedSizeForXCR0XSS, supervisor: xss.mask, origin: xss.origin))
        }
        return out
    }

    /// The checks of a recorded CPU (IA32_XSS = 0 when captured) or, for the
    /// host, with the supervisor set of the running kernel's rules.
    public var checks: [SizeCheck] {
        checks(xss: supervisorState(bootFeatures: nil, running: LinuxKernelVersion(release: EnvironmentRecord.kernelRelease())))
    }

    /// IA32_XSS as the kernel sets it (fpu__init_cpu_xstate writes the
    /// supervisor features of `fpu_kernel_cfg.max_features` plus the
    /// independent ARCH_LBR where the CPU has it), derived without reading
    /// the MSR (user mode cannot):
    /// - a recorded CPU: 0, the state its leaf 0xD was captured in;
    /// - the host with a readable boot line: the supervisor bits of
    ///   "Enabled xstate features 0x..." (`bootFeatures`);
    /// - else the running kernel's rules (PASID, CET_U, CET_S by release);
    /// both restricted to CPUID.(0xD,1).ECX, plus ARCH_LBR (15) when ECX lists it.
    public func supervisorState(bootFeatures: UInt64?, running: LinuxKernelVersion?) -> SupervisorState {
        if recorded { return SupervisorState(mask: 0, origin: "IA32_XSS 0, as the recorded leaf 0xD was captured") }
        let supported = layout.supportedSupervisorMask
        let lbr = supported & (1 << 15)
        let lbrNote = lbr != 0 ? " and ARCH_LBR (15), an independent feature the kernel adds to IA32_XSS without printing it" : ""
        if let f = bootFeatures {
            let m = f & supported & ~layout.supportedUserMask
            return SupervisorState(mask: m | lbr, origin: "IA32_XSS from the boot line \"Enabled xstate features \(hex(f))\": supervisor bits \(hex(m))" + lbrNote)
        }
        guard let v = running else {
            return SupervisorState(mask: lbr, origin: "IA32_XSS unknown (no boot line, kernel release unreadable): none assumed" + lbrNote)
        }
        let r = LinuxXStateRules(kernel: v)
        let m = (r.taskSupervisorMask | r.guestOnlyMask) & (layout.hasXSAVES ? supported : 0)
        return SupervisorState(mask: m | lbr, origin: "IA32_XSS from the running kernel's rules (\(v.release)) within CPUID.(0xD,1).ECX \(hex(supported)): \(hex(m))" + lbrNote)
    }
}

/// The supervisor components IA32_XSS holds, and how that was established.
public struct SupervisorState: Sendable, Equatable {
    public var mask: UInt64
    public var origin: String
}

/// A computed total compared with the CPU's reported total, in bytes.
public struct SizeCheck: Sendable {
    public var name: String
    /// Computed from the per-component table, supervisor components in
    /// `supervisor` included.
    public var computed: Int, reported: Int
    /// Supervisor components counted in `computed` (IA32_XSS as derived).
    public var supervisor: UInt64
    /// How `supervisor` was established.
    public var origin: String
    public var agrees: Bool { computed == reported }
}

/// glibc's legacy signal-stack constants, in bytes: what a program built
/// before AT_MINSIGSTKSZ existed allocates for a sigaltstack.
public enum LegacySignalStack {
    public static let minSigStkSz = 2048
    public static let sigStkSz = 8192
}

extension LinuxFPStateSizes {
    /// The signal frame for the default and for the maximum user size (what
    /// the kernel advertises as AT_MINSIGSTKSZ), bytes.
    public var sigframeDefault: Int { LinuxSignalFrame.size(userXStateSize: userDefaultBytes) }
    public var sigframeExpanded: Int { LinuxSignalFrame.size(userXStateSize: userMaxBytes) }
    public var growthBytes: Int { expandedBytes - defaultBytes }
    public var growthFactor: Double { Double(expandedBytes) / Double(defaultBytes) }
}

/// Hex text for masks in params and notes.
func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

/// Component indices in `mask`, as "2,9".
func indices(_ mask: UInt64) -> String {
    (0..<64).filter { (mask >> UInt64($0)) & 1 == 1 }.map(String.init).joined(separator: ",")
}
