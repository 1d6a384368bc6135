import BenchCore
import Foundation

/// The suite's parameters, parsed and checked before anything is allocated.
struct FpstateAllocConfig {
    var cpu: CPUDescription
    var kernel: LinuxKernelChoice
    var sizes: FpstateSizes
    /// Fleet sizes of the memory sweep.
    var vcpus: [Int]
    /// AMX adoption levels, percent of vCPUs.
    var adoption: [Double]
    /// Percent of vCPUs whose guest CPUID has AMX.
    var cpuidPercent: Double
    var allocators: [AllocatorKind]
    /// NUMA: the topology, the vCPU's node (nil when libnuma is unavailable
    /// or numa is not selected) and why numa rows are skipped, if they are.
    var topology: NumaTopology
    var node: Int?
    var numaSkipReason: String?
    /// vCPUs per latency fleet, and timed fleets per allocator and policy.
    var latencyVCPUs: Int
    var rounds: Int
    /// Modelled costs the lazy policy adds at first use, in ticks: the #NM
    /// exit, KVM's XFD_ERR handling, the guest's WRMSR(XFD_ERR, 0) exit.
    var trapCosts: TrapCosts

    /// What the buffer sizes, and every figure computed from them, depend
    /// on: the host's CPUID for `cpu-model=host`, nothing for a recorded CPU,
    /// and the running kernel when it chose the sizing rules.
    var sizesDepend: HostDependency { kernel.depends(hostCPU: cpu.origin == .live) }

    static let parameters = [
        SuiteParameter("cpu-model", default: "spr", kind: .cpuModels, help: "CPU whose XSAVE layout sizes the buffers: the first of a list of \(CPUModelSelection.allValues.joined(separator: ", ")) (all = the first recorded CPU; host, none = this host)"),
        SuiteParameter("vcpus", default: "1,4,16,64,256,1024", kind: .integerList(1...4096), help: "fleet sizes of the memory sweep (1...4096, comma-separated)"),
        SuiteParameter("adoption", default: "0,10,50,100", kind: .numberList(0...100), help: "percent of vCPUs that use AMX (comma-separated, each <= cpuid-amx)"),
        SuiteParameter("cpuid-amx", default: "100", kind: .number(0...100), help: "percent of vCPUs whose guest CPUID has AMX (expand-at-cpuid grows these)"),
        SuiteParameter("allocators", default: "malloc,posix-memalign,mmap,numa", kind: .choiceList(AllocatorKind.allCases.map(\.rawValue)), help: "allocators to time: malloc, posix-memalign, mmap (vzalloc stand-in), numa"),
        SuiteParameter("node", default: "auto", kind: .integer(0...4095, words: ["auto"]), help: "NUMA node of the vCPUs for the numa allocator (auto = the measuring CPU's node)"),
        SuiteParameter("latency-vcpus", default: "512", kind: .integer(1...4096), help: "vCPUs per timed lifecycle fleet (1...4096)"),
        SuiteParameter("kernel", default: "running", kind: .kernelVersion(minimum: LinuxKernelVersion(5, 17)), help: "Linux version whose fpstate sizing rules apply (5.17 or later; `running` = uname -r)"),
        SuiteParameter("trap-exit-ticks", default: "1065", kind: .number(0...10_000_000), help: "modelled #NM vm-exit round trip of lazy first use, ticks (unverified ~1,020-1,110 CPUID round trip)"),
        SuiteParameter("xfd-err-ticks", default: "300", kind: .number(0...10_000_000), help: "modelled XFD_ERR handling in KVM's #NM path (RDMSR of IA32_XFD_ERR and its restore), ticks; no published figure"),
        SuiteParameter("xfd-err-clear-exit-ticks", default: "1065", kind: .number(0...10_000_000), help: "modelled exit of the guest's WRMSR(IA32_XFD_ERR, 0) after the fault, ticks"),
    ]

    init(_ ctx: SuiteContext) throws {
        cpu = try FpstateSizes.resolveModel(ctx.parameter("cpu-model"), host: ctx.host)
        kernel = try LinuxKernelChoice.parse(ctx.parameter("kernel"), minimum: LinuxKernelVersion(5, 17))
        sizes = try FpstateSizes(cpu: cpu, rules: kernel.rules)
        vcpus = try FpstateAllocConfig.intList(ctx.parameter("vcpus"), name: "vcpus", range: 1...4096)
        let cpuid = try ctx.doubleParameter("cpuid-amx", range: 0...100)
        let levels = try ctx.doubleListParameter("adoption", range: 0...100)
        cpuidPercent = cpuid
        adoption = levels
        if let bad = levels.first(where: { $0 > cpuid }) {
            throw BenchError.badInput("adoption=\(ctx.parameter("adoption")): \(bad)% exceeds cpuid-amx=\(cpuidPercent)% (only vCPUs with AMX in CPUID can use it)")
        }
        allocators = try AllocatorKind.parseList(ctx.parameter("allocators"))
        latencyVCPUs = try ctx.intParameter("latency-vcpus", range: 1...4096)
        // Quick mode keeps a few thousand events per distribution; full mode more.
        rounds = ctx.quick ? 8 : 24
        trapCosts = try TrapCosts(ctx)

        topology = NumaTopology.read()
        let nodeSpec = ctx.parameter("node")
        if allocators.contains(.numa) || ctx.isUserSet("node") {
            if topology.available {
                node = try topology.resolve(nodeSpec)  // an impossible node ends here, nothing allocated
            } else if ctx.isUserSet("node") {
                throw BenchError.badInput("node=\(nodeSpec): libnuma reports no NUMA support on this host")
            } else {
                numaSkipReason = "libnuma reports no NUMA support (numa_available() < 0)"
            }
        }
    }

    /// Parses "1,4,16" into integers within `range`.
    static func intList(_ text: String, name: String, range: ClosedRange<Int>) throws -> [Int] {
        let parts = ParameterKind.list(text)  // `1,,4` keeps its empty item, which fails
        let values = parts.compactMap { Int($0) }
        guard !parts.isEmpty, values.count == parts.count, values.allSatisfy(range.contains) else {
            throw BenchError.badInput("\(name)=\(text): expected comma-separated integers in \(range.lowerBound)...\(range.upperBound)")
        }
        return values
    }

    /// Formats a percentage for params: "10" rather than "10.0".
    static func pct(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }
}

/// What the lazy policy pays at a vCPU's first AMX use besides the
/// allocation, in ticks; each a model constant or a user input.
struct TrapCosts {
    struct Item { var name: String, ticks: Double, source: FigureSource }
    var items: [Item]

    init(_ ctx: SuiteContext) throws {
        items = try ["trap-exit-ticks", "xfd-err-ticks", "xfd-err-clear-exit-ticks"].map {
            Item(name: $0, ticks: try ctx.doubleParameter($0, range: 0...10_000_000),
                 source: ctx.isUserSet($0) ? .input : .model)
        }
    }

    var ticks: Double { items.reduce(0) { $0 + $1.ticks } }
    /// `input` when the user set any of them, else `model`.
    var source: FigureSource { items.contains { $0.source == .input } ? .input : .model }
    var note: String {
        items.map { "\($0.name) \(Int($0.ticks)) (\($0.source.rawValue))" }.joined(separator: " + ")
            + ": #NM exit, XFD_ERR handling, the guest's XFD_ERR-clear exit"
    }
}
