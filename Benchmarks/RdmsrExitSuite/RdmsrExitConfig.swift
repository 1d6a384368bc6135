import BenchCore
import Foundation

/// One RDMSR cost source the suite runs the loop with, and how rows label it.
public struct RDMSRSource: Sendable, Equatable {
    public var cost: MSRAccessCost
    /// Where the cost itself comes from: `model` for the default sweep,
    /// `input` for user numbers, `proxy` for stand-ins.  Timed rows of an
    /// injected cost are `simulated`; see `timedSource`.
    public var source: FigureSource

    /// Source of a timed row run with this cost: a stand-in instruction is
    /// `proxy`, injected work `simulated`.
    public var timedSource: FigureSource { source == .proxy ? .proxy : .simulated }

    public var label: String { cost.label }
    public var cycles: Int? { if case .cycles(let c) = cost { return c } else { return nil } }
}

/// The suite's parameters, parsed and checked before anything is timed.
public struct RdmsrExitConfig: Sendable {
    public static let defaultRDMSR = "25,50,100,200,400,800,proxy-rdpid,proxy-rdtscp"
    /// Round trips for the break-even grid, core cycles: a faster future
    /// exit (500, hypothetical); this suite's default (950; with the CPUID
    /// handler ~1,060, inside the unverified ~1,020-1,110 figure); the VMRUN
    /// segment of M. Roth's AMD SVM KVM_RUN measurement (1,376, LKML Dec
    /// 2020); a Skylake-SP VMCALL round trip (~1,550, KVM list 2020); a
    /// nested L2 exit (~14,000, KVM VMX series).  (The "2021 ~1,500/~2,000"
    /// estimate is not a grid point: no public source was found.)
    public static let defaultBreakEvenRoundTrips = "500,950,1376,1550,14000"
    /// Fastpath shares the break-even and fleet sweeps run over (0...1).
    public static let defaultFastpathShares = "0,0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,1"

    public static let parameters: [SuiteParameter] = [
        SuiteParameter("rdmsr-cost", default: defaultRDMSR,
                       kind: .integerList(0...100_000, words: ProxyInstruction.allCases.map { "proxy-\($0.rawValue)" }),
                       help: "cost of one MSR access: comma list of core cycles (injected dependent adds) and/or proxy-rdpid, proxy-rdtscp (real stand-in instruction)"),
        SuiteParameter("exit-round-trip", default: String(ExitCostTable.modelCycles[.roundTrip] ?? 950),
                       kind: .integer(0...ExitCostTable.cap),
                       help: "VM exit + entry round trip in core cycles, injected per exit and per extra exit (0 leaves it out)"),
        SuiteParameter("break-even-round-trips", default: defaultBreakEvenRoundTrips,
                       kind: .numberList(1...Double(ExitCostTable.cap)),
                       help: "round trips (core cycles) for the analytic break-even grid"),
        SuiteParameter("guest-quantum", default: "0", kind: .integer(0...ExitCostTable.cap), help: "guest work between exits, core cycles"),
        SuiteParameter("exit-mix", default: ExitMix.defaultSpec,
                       kind: .assignments(keys: ExitReason.allCases.map(\.rawValue), range: 0...1_000_000, integers: true,
                                          file: "the path of a captured exit histogram (perf kvm stat report text or a KVM_GET_STATS_FD snapshot)"),
                       help: "exit-reason weights (the default is illustrative, not a measured workload): extint, hlt, hlt-wake (wake pending), msr-write (TSC_DEADLINE), wrmsrns-imm, ipi (fast x2APIC ICR), ipi-other, invd, io (to user space), ept, preempt, cpuid, nm (lazy-FPU #NM), other; or the path of a captured histogram: perf kvm stat report text or a KVM_GET_STATS_FD snapshot"),
        SuiteParameter("fastpath-shares", default: defaultFastpathShares, kind: .numberList(0...1),
                       help: "fastpath shares (0...1) the break-even and fleet sweeps run over; the mix's own share is added and marked"),
        SuiteParameter("hv-timer", default: "on", kind: .choice(["on", "off"]),
                       help: "on: the VMX preemption timer backs the guest's LAPIC timer (kvm_can_use_hv_timer, the default where the CPU has it), so TSC_DEADLINE writes re-enter on the fastpath before 6.18; off: they leave the loop before 6.18"),
        SuiteParameter("ipiv", default: "off", kind: .choice(["on", "off"]),
                       help: "on: IPI virtualisation (Sapphire Rapids and later, kernel 5.19+, kvm_intel.enable_ipiv): x2APIC ICR writes do not exit; off: they exit (older CPUs, AMD without AVIC modelled here)"),
        SuiteParameter("cost-table", default: "builtin",
                       kind: .assignments(keys: ExitCostItem.all.map(\.description), range: 0...Double(ExitCostTable.cap),
                                          integers: true, words: ["builtin"], file: "a file of item = cycles lines"),
                       help: "costs in core cycles: builtin, item=cycles,... (round-trip or an exit reason) or a file of item = cycles lines"),
        SuiteParameter("kernel", default: "running", kind: .kernelVersion(minimum: KVMExitRules.firstXFD),
                       help: "host kernel release whose KVM rules are modelled (fastpath exits, #NM): running (this host's) or e.g. 5.17, 6.12.30; 5.17 or later"),
        SuiteParameter("xfd-write-interval", default: "100", kind: .integer(1...100_000_000),
                       help: "exits between guest context switches (where a Linux guest may write XFD); linux-idle writes once, at boot"),
        SuiteParameter("amx-switch-period", default: "10", kind: .integer(2...1_000_000),
                       help: "linux-some-amx runs a task holding AMX state at one context switch in this many (>= 2)"),
        SuiteParameter("amx-new-task-period", default: "10", kind: .integer(1...1_000_000),
                       help: "one switch-in of an AMX task in this many starts a new task, whose first AMX use is an XFD #NM"),
        SuiteParameter("fleet", default: FleetMix.defaultSpec,
                       kind: .assignments(keys: GuestKind.allCases.map(\.fleetKey), range: 0...1e9, integers: false), help: "guest-kind weights of the fleet view"),
        SuiteParameter("exit-rates", default: "1000,10000,100000,1000000", kind: .numberList(1...1e9),
                       help: "exit rates (exits/s per vCPU) for the CPU-share model"),
        SuiteParameter("exits", default: "auto", kind: .integer(16...1_000_000, words: ["auto"]), help: "K, exits per short region (regions run K and 2K exits): short, so the machine's speed barely moves within a round; auto = the smallest multiple of xfd-write-interval >= 64 (64 when the interval is above 512), so every window holds the same number of context switches"),
        SuiteParameter("samples", default: "301", kind: .integer(3...10_000), help: "paired rounds per configuration (quick: 101 unless set)"),
    ]

    public var rdmsr: [RDMSRSource]
    public var breakEvenRoundTrips: [Int]
    public var guestQuantum: Int
    public var mix: ExitMix
    /// Fastpath shares of the sweeps, ascending, 0...1.
    public var fastpathShares: [Double]
    public var costs: ExitCostTable
    public var rules: KVMExitRules
    /// The kernel version came from this host (model rows then depend on `kernel`).
    public var kernelIsRunning: Bool
    public var writeInterval: Int
    public var amxSwitchPeriod: Int
    public var newAMXTaskPeriod: Int
    public var fleet: FleetMix
    public var exitRates: [Double]
    public var exits: Int
    public var samples: Int
    /// Source of every figure computed without timing (plans, formula,
    /// injected fleet): `input` when the user changed any input they use.
    public var modelSource: FigureSource

    /// `measured`: exit costs measured on this host, which become the
    /// defaults of the cost table (the model constants stay as fallback).
    public init(_ ctx: SuiteContext, measured: [ExitCostItem: MeasuredExitCost] = [:]) throws {
        rdmsr = try Self.parseRDMSR(ctx.parameter("rdmsr-cost"), userSet: ctx.isUserSet("rdmsr-cost"))
        let cap = ExitCostTable.cap
        breakEvenRoundTrips = try ctx.doubleListParameter("break-even-round-trips", range: 1...Double(cap)).map { Int($0) }
        guestQuantum = try ctx.intParameter("guest-quantum", range: 0...cap)
        mix = try ExitMix(ctx.parameter("exit-mix"))
        var user = try ExitCostTable.parseUserCycles(ctx.parameter("cost-table"))
        if ctx.isUserSet("exit-round-trip") { user[.roundTrip] = try ctx.intParameter("exit-round-trip", range: 0...cap) }
        costs = ExitCostTable(measured: measured, userCycles: user)
        let kernelText = ctx.parameter("kernel")
        let release = kernelText == "running" ? EnvironmentRecord.kernelRelease() : kernelText
        guard let version = KernelVersion(release: release) else {
            throw BenchError.badInput("kernel=\(kernelText): cannot read a version from '\(release)' (give e.g. --set kernel=6.12 or 6.12.30)")
        }
        guard version >= KVMExitRules.firstXFD else {
            throw BenchError.badInput("kernel \(version.release): KVM offers XFD to guests from \(KVMExitRules.firstXFD) on (give e.g. --set kernel=5.17)")
        }
        let hvTimer = try Self.onOff(ctx.parameter("hv-timer"), name: "hv-timer")
        let ipiv = try Self.onOff(ctx.parameter("ipiv"), name: "ipiv")
        guard !ipiv || KVMRules.ipiv.holds(in: version) else {
            throw BenchError.badInput("ipiv=on: IPI virtualisation is in KVM from \(KVMRules.ipiv.mainline) on; kernel \(version.release) assumed")
        }
        rules = KVMExitRules(kernel: version, hvTimer: hvTimer, ipiv: ipiv)
        kernelIsRunning = kernelText == "running"
        guard rules.hasExit(in: mix) else {
            throw BenchError.badInput("exit-mix: no drawn reason is a vm-exit under these rules (every one is an ICR write under ipiv=on)")
        }
        fastpathShares = try ctx.doubleListParameter("fastpath-shares", range: 0...1).sorted()
        writeInterval = try ctx.intParameter("xfd-write-interval", range: 1...100_000_000)
        amxSwitchPeriod = try ctx.intParameter("amx-switch-period", range: 2...1_000_000)
        newAMXTaskPeriod = try ctx.intParameter("amx-new-task-period", range: 1...1_000_000)
        fleet = try FleetMix(ctx.parameter("fleet"))
        exitRates = try ctx.doubleListParameter("exit-rates", range: 1...1e9)
        if ctx.parameter("exits") == "auto" {
            exits = writeInterval > 512 ? 64 : writeInterval * ((64 + writeInterval - 1) / writeInterval)
        } else {
            exits = try ctx.intParameter("exits", range: 16...1_000_000)
        }
        samples = ctx.quick && !ctx.isUserSet("samples") ? 101 : try ctx.intParameter("samples", range: 3...10_000)
        modelSource = Self.modelInputs.contains(where: ctx.isUserSet) ? .input : .model
    }

    /// Exit windows of one configuration (K exits per window, samples + 1
    /// windows) a run may plan: the exit sequence is held in memory.
    public static let maxWindowExits = 2_000_000
    /// The same for `--quick` (the defaults plan about 10,000).
    public static let maxQuickWindowExits = 32_768

    /// Refuses sizes whose exit sequence would not fit, that would make a
    /// `--quick` run take minutes, or whose injected work could overflow one
    /// exit's plan word (`worstExitCycles`), so `ExitPlan.init` never refuses
    /// user input mid-run.
    public func checkWork(quick: Bool) throws {
        let planned = exits * (samples + 1)
        let limit = quick ? Self.maxQuickWindowExits : Self.maxWindowExits
        guard planned <= limit else {
            throw BenchError.badInput("exits=\(exits) x (samples=\(samples) + 1) = \(planned) exits per configuration; at most \(limit)\(quick ? " with --quick (drop --quick or lower exits/samples)" : "")")
        }
        // What ExitPlan.init would otherwise refuse mid-run.
        guard worstExitCycles <= ExitPlan.maxAddsPerExit else {
            throw BenchError.badInput("guest-quantum, exit costs and rdmsr-cost add up to \(worstExitCycles) cycles of injected work in one simulated exit; at most \(ExitPlan.maxAddsPerExit) (lower them)")
        }
    }

    /// An upper bound of the injected work of one simulated exit, core
    /// cycles: the guest quantum; four round trips with their handlers (the
    /// drawn exit, a trapped XFD write, an XFD #NM exit and the guest's
    /// XFD_ERR-clear exit can fall in one quantum); and
    /// `ExitPlan.maxAccessesPerExit` MSR accesses at the dearest rdmsr-cost.
    public var worstExitCycles: Int {
        let drawn = mix.weights.map { costs[$0.reason] }.max() ?? 0
        let extras = costs[.nm] + 2 * costs[.msrWrite]
        let access = rdmsr.compactMap(\.cycles).max() ?? 0
        return guestQuantum + 4 * costs.roundTrip + drawn + extras + ExitPlan.maxAccessesPerExit * access
    }

    /// Parameters whose user value makes the untimed figures `input`.
    public static let modelInputs = ["rdmsr-cost", "exit-round-trip", "break-even-round-trips", "guest-quantum",
                                     "cost-table", "exit-mix", "xfd-write-interval", "amx-switch-period",
                                     "amx-new-task-period", "fleet", "hv-timer", "ipiv"]

    /// `on`/`off` (also true/false, 1/0).
    static func onOff(_ text: String, name: String) throws -> Bool {
        switch text.trimmingCharacters(in: .whitespaces).lowercased() {
        case "on", "true", "1": return true
        case "off", "false", "0": return false
        default: throw BenchError.badInput("\(name)=\(text): expected on or off")
        }
    }

    /// What model rows computed from the kernel rules depend on: the
    /// running kernel when it chose them, nothing when the user named one.
    public var modelDepends: HostDependency { kernelIsRunning ? .kernel : .none }

    /// Parses the rdmsr-cost list.  Numbers run as injected work (rows
    /// `simulated`); proxies run a stand-in instruction (rows `proxy`).
    /// `userSet` marks model rows computed from the numbers as `input`.
    public static func parseRDMSR(_ text: String, userSet: Bool) throws -> [RDMSRSource] {
        var out: [RDMSRSource] = []
        for raw in text.split(separator: ",", omittingEmptySubsequences: false) {  // an empty item fails
            let t = raw.trimmingCharacters(in: .whitespaces)
            let item: RDMSRSource
            if let p = ProxyInstruction.allCases.first(where: { "proxy-\($0.rawValue)" == t }) {
                item = RDMSRSource(cost: .proxy(p), source: .proxy)
            } else if let c = Int(t), (0...100_000).contains(c) {
                item = RDMSRSource(cost: .cycles(c), source: userSet ? .input : .model)
            } else {
                throw BenchError.badInput("rdmsr-cost=\(text): '\(t)' is neither cycles in 0...100000 nor proxy-rdpid/proxy-rdtscp")
            }
            if !out.contains(item) { out.append(item) }
        }
        guard !out.isEmpty else { throw BenchError.badInput("rdmsr-cost is empty") }
        return out
    }
}
