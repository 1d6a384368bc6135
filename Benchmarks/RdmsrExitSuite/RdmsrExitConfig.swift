import BenchCore
import Foundation

/// One RDMSR cost source the suite runs the loop with, and how rows label it.
public struct RDMSRSource: Sendable, Equatable {
    public var cost: MSRAccessCost
    /// `model` for the default sweep, `input` for user numbers, `proxy` for stand-ins.
    public var source: FigureSource

    public var label: String { cost.label }
    public var cycles: Int? { if case .cycles(let c) = cost { return c } else { return nil } }
}

/// The suite's parameters, parsed and checked before anything is timed.
public struct RdmsrExitConfig: Sendable {
    public static let defaultRDMSR = "25,50,100,200,400,800,proxy-rdpid,proxy-rdtscp"
    /// Exit round trip, core cycles: 950 + the 110-cycle CPUID handler puts a
    /// CPUID exit at ~1,060, inside the ~1,020-1,110 TSC cycles on record
    /// for modern Intel bare-metal KVM (kvm-unit-tests vmexit, 2024).
    public static let defaultRoundTrip = 950
    /// Round trips for the break-even grid, core cycles: a faster future
    /// exit (500, hypothetical), this suite's default (950), a Skylake-SP
    /// VMCALL round trip (~1,550, KVM list 2020), a whole KVM_RUN on AMD SVM
    /// (~2,500, LKML 2012), a nested L2 exit (~14,000, KVM VMX series).
    public static let defaultBreakEvenRoundTrips = "500,950,1550,2500,14000"

    public static let parameters: [SuiteParameter] = [
        SuiteParameter("rdmsr-cost", default: defaultRDMSR,
                       help: "cost of one MSR access: comma list of core cycles (injected dependent adds) and/or proxy-rdpid, proxy-rdtscp (real stand-in instruction)"),
        SuiteParameter("exit-round-trip", default: String(defaultRoundTrip),
                       help: "VM exit + entry round trip in core cycles, injected per exit and per trapped XFD write (0 leaves it out)"),
        SuiteParameter("break-even-round-trips", default: defaultBreakEvenRoundTrips,
                       help: "round trips (core cycles) for the analytic break-even grid"),
        SuiteParameter("guest-quantum", default: "0", help: "guest work between exits, core cycles"),
        SuiteParameter("exit-mix", default: ExitMix.defaultSpec,
                       help: "exit-reason weights: extint, hlt, msr-write, io (to user space), ept, preempt, cpuid, nm"),
        SuiteParameter("cost-table", default: "builtin",
                       help: "handler costs in core cycles: builtin, reason=cycles,... or a file of reason = cycles lines"),
        SuiteParameter("xfd-write-interval", default: "100",
                       help: "exits between guest XFD writes (context switches) for aware-idle and amx-active guests; linux-idle writes once, at the first"),
        SuiteParameter("fleet", default: FleetMix.defaultSpec, help: "guest-kind weights of the fleet view"),
        SuiteParameter("exit-rates", default: "1000,10000,100000,1000000",
                       help: "exit rates (exits/s per vCPU) for the CPU-share model"),
        SuiteParameter("exits", default: "auto", help: "K, exits per short region (regions run K and 2K exits): short, so the machine's speed barely moves within a round; auto = the smallest multiple of xfd-write-interval >= 64 (64 when the interval is above 512), so every window holds the same number of guest XFD writes"),
        SuiteParameter("samples", default: "301", help: "paired rounds per configuration (quick: 101 unless set)"),
    ]

    public var rdmsr: [RDMSRSource]
    public var roundTrip: Int
    public var breakEvenRoundTrips: [Int]
    public var guestQuantum: Int
    public var mix: ExitMix
    public var costs: CostTable
    public var writeInterval: Int
    public var fleet: FleetMix
    public var exitRates: [Double]
    public var exits: Int
    public var samples: Int
    /// Source of the cost figures shared by every simulated exit (round
    /// trip, handlers, quantum): `input` when the user changed any of them.
    public var costSource: FigureSource

    public init(_ ctx: SuiteContext) throws {
        rdmsr = try Self.parseRDMSR(ctx.parameter("rdmsr-cost"), userSet: ctx.isUserSet("rdmsr-cost"))
        let cap = ExitPlan.maxAddsPerExit / 4
        roundTrip = try ctx.intParameter("exit-round-trip", range: 0...cap)
        breakEvenRoundTrips = try ctx.doubleListParameter("break-even-round-trips", range: 1...Double(cap)).map { Int($0) }
        guestQuantum = try ctx.intParameter("guest-quantum", range: 0...cap)
        mix = try ExitMix(ctx.parameter("exit-mix"))
        costs = try CostTable.parse(ctx.parameter("cost-table"))
        writeInterval = try ctx.intParameter("xfd-write-interval", range: 1...100_000_000)
        fleet = try FleetMix(ctx.parameter("fleet"))
        exitRates = try ctx.doubleListParameter("exit-rates", range: 1...1e9)
        if ctx.parameter("exits") == "auto" {
            exits = writeInterval > 512 ? 64 : writeInterval * ((64 + writeInterval - 1) / writeInterval)
        } else {
            exits = try ctx.intParameter("exits", range: 16...1_000_000)
        }
        samples = ctx.quick && !ctx.isUserSet("samples") ? 101 : try ctx.intParameter("samples", range: 3...10_000)
        costSource = ["exit-round-trip", "guest-quantum", "cost-table"].contains(where: ctx.isUserSet) ? .input : .model
    }

    /// Exit windows of one configuration (K exits per window, samples + 1
    /// windows) a run may plan: the exit sequence is held in memory.
    public static let maxWindowExits = 2_000_000
    /// The same for `--quick` (the defaults plan about 10,000).
    public static let maxQuickWindowExits = 32_768

    /// Refuses sizes whose exit sequence would not fit, or that would make a
    /// `--quick` run take minutes.
    public func checkWork(quick: Bool) throws {
        let planned = exits * (samples + 1)
        let limit = quick ? Self.maxQuickWindowExits : Self.maxWindowExits
        guard planned <= limit else {
            throw BenchError.badInput("exits=\(exits) x (samples=\(samples) + 1) = \(planned) exits per configuration; at most \(limit)\(quick ? " with --quick (drop --quick or lower exits/samples)" : "")")
        }
    }

    /// Parses the rdmsr-cost list.  Numbers are `model` (the default sweep)
    /// or `input` (the user's); proxies are `proxy`.
    public static func parseRDMSR(_ text: String, userSet: Bool) throws -> [RDMSRSource] {
        var out: [RDMSRSource] = []
        for raw in text.split(separator: ",") {
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
