import CXState

/// The four registers one CPUID leaf/subleaf returns.
public struct CPUIDRegisters: Hashable, Sendable, Codable {
    public var eax: UInt32, ebx: UInt32, ecx: UInt32, edx: UInt32
    public init(eax: UInt32 = 0, ebx: UInt32 = 0, ecx: UInt32 = 0, edx: UInt32 = 0) {
        self.eax = eax; self.ebx = ebx; self.ecx = ecx; self.edx = edx
    }
    /// Bit `n` (0-31) of the named register.
    public func bit(_ register: KeyPath<CPUIDRegisters, UInt32>, _ n: Int) -> Bool {
        (self[keyPath: register] >> UInt32(n)) & 1 == 1
    }
}

/// Where CPUID answers come from: the live CPU, or a recorded description.
/// Every CPU description is built through this one interface, so recorded
/// CPUs exercise exactly the decoding the host goes through.
public protocol CPUIDSource {
    func cpuid(_ leaf: UInt32, _ subleaf: UInt32) -> CPUIDRegisters
    /// XCR0, or nil when the OS has not enabled XSAVE (CPUID.1:ECX.OSXSAVE clear).
    var xcr0: UInt64? { get }
    /// The MSR-backed XSS value is not readable from user mode; recorded CPUs
    /// may give one, the live source reports nil.
    var xss: UInt64? { get }
}

/// The CPU this process runs on.  CPUID is a VM exit under a hypervisor,
/// so callers read it once, outside any timed region.
public struct LiveCPUID: CPUIDSource {
    public init() {}
    public func cpuid(_ leaf: UInt32, _ subleaf: UInt32) -> CPUIDRegisters {
        let r = cx_cpuid(leaf, subleaf)
        return CPUIDRegisters(eax: r.eax, ebx: r.ebx, ecx: r.ecx, edx: r.edx)
    }
    public var xcr0: UInt64? {
        // XGETBV faults unless the OS set CR4.OSXSAVE, which CPUID.1:ECX[27] mirrors.
        guard cx_is_x86_64() == 1, cpuid(1, 0).bit(\.ecx, 27) else { return nil }
        return cx_xgetbv(0)
    }
    public var xss: UInt64? { nil }
}

/// A CPU recorded as a table of CPUID answers.  Leaves not in the table read
/// as zero, as CPUID does for subleaves beyond the last valid one.
public struct RecordedCPUID: CPUIDSource, Sendable, Codable {
    public struct Key: Hashable, Sendable, Codable {
        public var leaf: UInt32, subleaf: UInt32
        public init(_ leaf: UInt32, _ subleaf: UInt32 = 0) { self.leaf = leaf; self.subleaf = subleaf }
    }
    public var leaves: [Key: CPUIDRegisters]
    public var xcr0: UInt64?
    public var xss: UInt64?
    public init(leaves: [Key: CPUIDRegisters], xcr0: UInt64?, xss: UInt64? = 0) {
        self.leaves = leaves; self.xcr0 = xcr0; self.xss = xss
    }
    public func cpuid(_ leaf: UInt32, _ subleaf: UInt32) -> CPUIDRegisters {
        leaves[Key(leaf, subleaf)] ?? CPUIDRegisters()
    }
}
