import BenchCore

/// The register state a timed operation starts from.
public enum StateCondition: String, CaseIterable, Sendable {
    /// The mask's components were just written (XSTATE_BV bits set).
    case dirty
    /// The mask's components were just put in their init state by an XRSTOR
    /// of an image whose XSTATE_BV is 0.
    case clean
}

/// What one timed loop repeats.
public enum TimedOp: String, CaseIterable, Sendable {
    case xsave, xsaveopt, xsavec, xrstor
    case xrstorCompacted = "xrstor-compacted"
    case pairStandard = "xsave+xrstor"
    case pairOpt = "xsaveopt+xrstor"
    case pairCompacted = "xsavec+xrstor-compacted"

    /// Every instruction the loop executes (each gated on its CPUID bit).
    public var instructions: [XSaveInstruction] {
        switch self {
        case .xsave: return [.xsave]
        case .xsaveopt: return [.xsaveopt]
        case .xsavec: return [.xsavec]
        case .xrstor: return [.xrstor]
        case .xrstorCompacted: return [.xsavec, .xrstorCompacted]  // the image comes from XSAVEC
        case .pairStandard: return [.xsave, .xrstor]
        case .pairOpt: return [.xsaveopt, .xrstor]
        case .pairCompacted: return [.xsavec, .xrstorCompacted]
        }
    }
    public var isSave: Bool { self == .xsave || self == .xsaveopt || self == .xsavec }
    public var isPair: Bool { self == .pairStandard || self == .pairOpt || self == .pairCompacted }
    /// Uses the compacted image format.
    public var compacted: Bool { self == .xsavec || self == .xrstorCompacted || self == .pairCompacted }
}

/// One row group of the timing table: mask x state x operation.
public struct TimingCase: Sendable {
    public var set: XSaveFeatureSet
    /// The requested-feature bitmap: the set's cumulative mask restricted to XCR0.
    public var mask: UInt64
    public var state: StateCondition
    public var op: TimedOp
    /// Components the dirty preparation writes (the expected XSTATE_BV bits
    /// besides x87, which nothing here touches, and PKRU, which keeps the
    /// value the process started with).
    public var dirtied: UInt64
    /// Why the case cannot run here, or nil.
    public var skipReason: String?
}

/// Which timing cases a CPU can run.  Pure: decided from a `CPUDescription`
/// alone, so a recorded CPU shows what would run and what would be skipped.
public enum XSaveTimingPlan {
    /// How the dirty preparation touches each component group.
    public struct Dirtying: Sendable, Equatable {
        public var sse = false, avx = false, avx512 = false, pkru = false, tiles = false
        /// Component bits the preparation makes non-init (ZMM writes also
        /// dirty the XMM and YMM-upper parts, components 1 and 2).
        public var mask: UInt64 {
            var m: XSaveMask = []
            if sse { m.insert(.sse) }
            if avx { m.formUnion(.avxState) }
            if avx512 { m.formUnion(.avx512State) }
            if tiles { m.formUnion(.amxTiles) }
            return m.rawValue
        }
    }

    /// The dirtying possible for `mask` on `cpu`.  PKRU is never written
    /// (WRPKRU changes memory protection); it keeps the process's value,
    /// which Linux sets non-init (0x55555554), restored before every region.
    public static func dirtying(for mask: UInt64, cpu: CPUDescription, amxPermitted: Bool) -> Dirtying {
        var d = Dirtying()
        let m = XSaveMask(rawValue: mask)
        d.sse = m.contains(.sse)
        d.avx = m.contains(.avx) && cpu.avxUsable
        d.avx512 = m.contains(.avx512) && cpu.avx512Usable
        d.pkru = m.contains(.pkru)
        d.tiles = m.contains(.amxTiles) && amxPermitted
        return d
    }

    /// Every case for `cpu`: supported sets x both states x every operation,
    /// plus one skipped case per unsupported set.
    /// - Parameter amxPermitted: the process holds permission for XTILEDATA
    ///   (ARCH_REQ_XCOMP_PERM succeeded); without it sets with dynamic
    ///   components are skipped.
    public static func cases(for cpu: CPUDescription, amxPermitted: Bool) -> [TimingCase] {
        guard let layout = cpu.xsave, let xcr0 = cpu.xcr0 else {
            let reason = cpu.unavailableReason(.xsave) ?? "no XSAVE layout"
            return [TimingCase(set: .x87SSE, mask: XSaveFeatureSet.x87SSE.addedMask, state: .dirty, op: .xsave, dirtied: 0, skipReason: reason)]
        }
        let enabled = xcr0 & layout.supportedUserMask
        var out: [TimingCase] = []
        for set in XSaveFeatureSet.allCases {
            let mask = set.cumulativeMask & enabled
            let missing = set.addedMask & ~enabled
            if missing != 0 {
                out.append(TimingCase(set: set, mask: mask, state: .dirty, op: .xsave, dirtied: 0,
                                      skipReason: "not supported: XCR0 \(hex(xcr0)) lacks component(s) \(indices(missing))"))
                continue
            }
            let dynamic = layout.dynamicMask(in: mask)
            let dynamicReason: String? = dynamic != 0 && !amxPermitted
                ? "dynamic component(s) \(indices(dynamic)) need arch_prctl(ARCH_REQ_XCOMP_PERM) first; not granted"
                : nil
            let d = dirtying(for: mask, cpu: cpu, amxPermitted: amxPermitted)
            for state in StateCondition.allCases {
                for op in TimedOp.allCases {
                    let reason = dynamicReason ?? op.instructions.lazy.compactMap(cpu.unavailableReason).first
                    out.append(TimingCase(set: set, mask: mask, state: state, op: op,
                                          dirtied: state == .dirty ? d.mask & mask : 0, skipReason: reason))
                }
            }
        }
        return out
    }
}
