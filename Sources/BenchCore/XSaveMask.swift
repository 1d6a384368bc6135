/// A set of XSAVE state components: the bit layout of XCR0, IA32_XSS,
/// IA32_XFD, XINUSE, XSTATE_BV and the requested-feature bitmap in EDX:EAX
/// (bit i is component i, numbered as in CPUID leaf 0xD and the SDM,
/// vol. 1 ch. 13).  Use it where a mask is written; the instruction layer
/// takes the raw value.
public struct XSaveMask: OptionSet, Hashable, Sendable {
    public let rawValue: UInt64
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// Component `index` alone.  Precondition: 0 <= index < 64.
    public init(component index: Int) {
        precondition(index >= 0 && index < 64)
        rawValue = 1 << UInt64(index)
    }

    public static let x87 = XSaveMask(rawValue: 1 << 0)
    public static let sse = XSaveMask(rawValue: 1 << 1)
    /// Upper halves of YMM0-15.
    public static let avx = XSaveMask(rawValue: 1 << 2)
    public static let mpxBndregs = XSaveMask(rawValue: 1 << 3)
    public static let mpxBndcsr = XSaveMask(rawValue: 1 << 4)
    /// k0-k7.
    public static let opmask = XSaveMask(rawValue: 1 << 5)
    /// Upper 256 bits of ZMM0-15.
    public static let zmmHi256 = XSaveMask(rawValue: 1 << 6)
    /// ZMM16-31.
    public static let hi16Zmm = XSaveMask(rawValue: 1 << 7)
    /// Processor trace (supervisor).
    public static let pt = XSaveMask(rawValue: 1 << 8)
    public static let pkru = XSaveMask(rawValue: 1 << 9)
    /// Supervisor.
    public static let pasid = XSaveMask(rawValue: 1 << 10)
    /// CET user state (supervisor).
    public static let cetU = XSaveMask(rawValue: 1 << 11)
    /// CET supervisor state (supervisor).
    public static let cetS = XSaveMask(rawValue: 1 << 12)
    /// Supervisor.
    public static let hdc = XSaveMask(rawValue: 1 << 13)
    /// Supervisor.
    public static let uintr = XSaveMask(rawValue: 1 << 14)
    /// Architectural LBRs (supervisor).
    public static let lbr = XSaveMask(rawValue: 1 << 15)
    /// Supervisor.
    public static let hwp = XSaveMask(rawValue: 1 << 16)
    /// AMX tile configuration (64 bytes).
    public static let xtilecfg = XSaveMask(rawValue: 1 << 17)
    /// AMX tile data (8 KiB); XFD-capable, a dynamic feature for Linux.
    public static let xtiledata = XSaveMask(rawValue: 1 << 18)
    public static let apx = XSaveMask(rawValue: 1 << 19)

    /// What must be enabled for AVX instructions: SSE and the YMM upper halves.
    public static let avxState: XSaveMask = [.sse, .avx]
    /// The three AVX-512 components.
    public static let avx512: XSaveMask = [.opmask, .zmmHi256, .hi16Zmm]
    /// What must be enabled for AVX-512 instructions: AVX state and the AVX-512 components.
    public static let avx512State: XSaveMask = [.avxState, .avx512]
    /// Both AMX tile components.
    public static let amxTiles: XSaveMask = [.xtilecfg, .xtiledata]
}
