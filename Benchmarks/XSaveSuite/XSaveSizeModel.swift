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

    /// nil when the CPU has no XSAVE or the OS has not enabled it.
    public init?(cpu: CPUDescription) {
        guard let layout = cpu.xsave, layout.xcr0 != nil, cpu.features.osxsave else { return nil }
        self.cpuID = cpu.id
        self.layout = layout
        self.enabledMask = layout.enabledMask
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

    /// The computed totals against the CPU's own CPUID totals.
    public var checks: [SizeCheck] {
        var out = [SizeCheck(name: "standard_vs_cpuid_0xd_0_ebx", computed: standardSizeForXCR0,
                             reported: layout.reportedStandardSizeForXCR0, supervisor: 0)]
        if layout.hasXSAVEC || layout.hasXSAVES {
            let reported = layout.reportedCompactedSizeForXCR0XSS
            // CPUID.(0xD,1).EBX counts XCR0 | IA32_XSS.  XSS is not readable
            // from user mode, so the supervisor part is the subset of the
            // supported supervisor components that makes the total exact;
            // when none does, the XCR0-only size is compared and fails.
            let xss = compactedSizeForXCR0 == reported ? 0 : inferSupervisorMask(reported: reported) ?? 0
            out.append(SizeCheck(name: "compacted_vs_cpuid_0xd_1_ebx",
                                 computed: layout.compactedSize(for: enabledMask | xss),
                                 reported: reported, supervisor: xss))
        }
        return out
    }

    /// The subset of supported supervisor components whose addition to the
    /// XCR0 compacted image gives `reported` bytes, or nil when none does.
    func inferSupervisorMask(reported: Int) -> UInt64? {
        let bits = (0..<64).filter { (layout.supportedSupervisorMask >> UInt64($0)) & 1 == 1 }
        guard bits.count <= 12 else { return nil }
        for subset in 1..<(1 << bits.count) {
            let s = bits.enumerated().reduce(UInt64(0)) { acc, e in
                (subset >> e.offset) & 1 == 1 ? acc | (1 << UInt64(e.element)) : acc
            }
            if layout.compactedSize(for: enabledMask | s) == reported { return s }
        }
        return nil
    }
}

/// A computed total compared with the CPU's reported total, in bytes.
public struct SizeCheck: Sendable {
    public var name: String
    /// Computed from the per-component table, supervisor components in
    /// `supervisor` included.
    public var computed: Int, reported: Int
    /// Supervisor components counted in `computed` (inferred IA32_XSS).
    public var supervisor: UInt64
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
