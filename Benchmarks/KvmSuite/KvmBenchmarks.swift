import BenchCore
import Foundation

/// `kvm`: exit round trips of a real vCPU through /dev/kvm, timed inside
/// the guest (and, for exits to user space, on the host), on whatever KVM
/// implementation the host has; the AMX/XFD experiments where the host
/// offers AMX to guests.
///
/// Every figure is a measurement of the platform named in each row's
/// `platform` parameter; `figures` says whether that is hardware
/// virtualisation on bare metal, nested, or software virtualisation.
public struct KvmBenchmarks: BenchmarkSuite {
    public init() {}
    /// Measured on the reference machine kind (kvm_pvm; hardware KVM is faster); see `--dry-run`.
    public var estimatedSeconds: DurationEstimate? { DurationEstimate(quick: 0.6, full: 2.5) }
    public let name = "kvm"
    public let summary = "exit round trips of a real vCPU through /dev/kvm (CPUID, MSR, hypercall, port write), AMX/XFD experiments"
    public let benchmarks = [
        BenchmarkInfo("exit", "ticks per exit round trip, timed in the guest over K and 2K exits; port write also as a host KVM_RUN"),
        BenchmarkInfo("amx-passthrough", "AMX hosts: CPUID exit before/after the guest's first non-zero XFD write; the difference per exit"),
        BenchmarkInfo("amx-xfd-write", "AMX hosts: guest WRMSR(XFD) intercepted vs passed through"),
        BenchmarkInfo("amx-set-cpuid", "AMX hosts: KVM_SET_CPUID2 with vs without XTILEDATA (guest fpstate reallocation)"),
        BenchmarkInfo("amx-create-vcpu", "AMX hosts: KVM_CREATE_VCPU without vs with guest permission"),
        BenchmarkInfo("amx-xsave2-size", "AMX hosts: KVM_CAP_XSAVE2 before vs after guest permission, checked against the CPUID sizes"),
        BenchmarkInfo("amx-native-first-use", "AMX hosts: first tile instruction in a fresh thread (XFD #NM) vs the second"),
    ]
    public let parameters = [
        SuiteParameter("device", default: "/dev/kvm", kind: .path, help: "the KVM device to open"),
        SuiteParameter("exits-per-region", default: "32", kind: .integer(1...4096), help: "K: exits in the short region (the long one makes 2K)"),
        SuiteParameter("pairs", default: "200", kind: .integer(1...1000), help: "sample pairs per exit kind (20 with --quick unless set)"),
        SuiteParameter("watchdog-ms", default: "10000", kind: .integer(10...600_000), help: "limit for one exit kind's run; a guest still running is stopped"),
    ]

    /// Every parameter is checked by its declared kind (a `device` the user
    /// names must exist; the default may be absent: the rows then say why);
    /// the parse is the one `run` makes.
    public func configure(_ ctx: SuiteContext) throws { _ = try settings(ctx) }

    /// K, sample pairs per exit kind and the watchdog limit in milliseconds.
    /// The declared ranges bound K x pairs to 24.6 million exits per kind.
    func settings(_ ctx: SuiteContext) throws -> (k: Int, pairs: Int, limit: Int) {
        (try ctx.intParameter("exits-per-region"),
         ctx.quick && !ctx.isUserSet("pairs") ? 20 : try ctx.intParameter("pairs"),
         try ctx.intParameter("watchdog-ms"))
    }

    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        let (k, pairs, limit) = try settings(ctx)
        let platform = KVMPlatform.detect(host: ctx.host)
        let programs = ctx.isSelected(benchmark: "exit") ? KVMExitCosts.programs(vendor: ctx.host.vendor) : []
        let amxSelected = benchmarks.contains { $0.name.hasPrefix("amx-") && ctx.isSelected(benchmark: $0.name) }
        ctx.progress.plan(total: programs.count + (amxSelected ? 1 : 0))
        let costs: [KVMExitCost]
        do {
            costs = try KVMExitCosts.measure(programs: programs, k: k, pairs: pairs, path: ctx.parameter("device"),
                                             limitNanoseconds: UInt64(limit) * 1_000_000) {
                try ctx.progress.step("\($0.exitName) exits")
            }
        } catch let e as KVMError {
            var rows = KvmRows(suite: name, platform: platform)
            rows.rows = rows.unavailable(programs, reason: "\(e)")
            rows.rows += AMXExperiments.skipped(name, rows.amxParams, depends: .machine, reason: "no usable KVM device: \(e)")
            return SuiteResult(rows: rows.rows, highlights: ["kvm: skipped, \(e)"])
        }
        var out = KvmRows(suite: name, platform: platform)
        for c in costs { out.exitCost(c, k: k) }
        guard amxSelected else { return SuiteResult(rows: out.rows, highlights: out.highlights(costs, ctx)) }
        try ctx.progress.step("AMX experiments")
        out.rows += amx(ctx, platform: platform, params: out.amxParams, k: k, pairs: pairs,
                        limitNanoseconds: UInt64(limit) * 1_000_000)
        return SuiteResult(rows: out.rows, highlights: out.highlights(costs, ctx))
    }

    /// The AMX rows: skipped with the reason unless the host CPU and KVM offer AMX with XFD.
    func amx(_ ctx: SuiteContext, platform: KVMPlatform, params: Params, k: Int, pairs: Int,
             limitNanoseconds: UInt64) -> [ResultRow] {
        let system: KVMSystem, supported: [CPUIDEntry]
        do {
            system = try KVMSystem(path: ctx.parameter("device"))
            supported = try system.supportedCPUID().map(CPUIDEntry.init)
        } catch {
            return AMXExperiments.skipped(name, params, depends: .machine, reason: "no usable KVM device: \(error)")
        }
        if let (depends, reason) = AMXExperiments.gate(host: ctx.host, supported: supported) {
            return AMXExperiments.skipped(name, params, depends: depends, reason: reason)
        }
        return AMXExperiments.run(name, params, system: system, supported: supported, k: k, pairs: pairs,
                                  limitNanoseconds: limitNanoseconds, quick: ctx.quick,
                                  selected: { ctx.isSelected(benchmark: $0) })
    }
}

/// The kvm suite's rows, built from measurements (no timing here).
struct KvmRows {
    let suite: String
    let platform: KVMPlatform
    var rows: [ResultRow] = []

    init(suite: String, platform: KVMPlatform) { self.suite = suite; self.platform = platform }

    var figures: String {
        if platform.hardwareFigures { return "hardware" }
        return platform.modules.count == 1 && KVMPlatform.hardwareModules.contains(platform.modules[0]) ? "nested" : "software"
    }

    var amxParams: Params { ["platform": platform.name, "figures": figures] }

    func params(_ program: GuestProgram) -> Params {
        ["exit": program.exitName, "platform": platform.name, "figures": figures]
    }

    /// Skipped rows, one per exit kind, when /dev/kvm cannot be used.
    func unavailable(_ programs: [GuestProgram], reason: String) -> [ResultRow] {
        programs.map {
            .skipped(suite, "exit", params($0), metric: "round_trip", unit: "ticks", depends: .machine,
                     reason: "no usable KVM device: \(reason)")
        }
    }

    mutating func exitCost(_ c: KVMExitCost, k: Int) {
        let p = params(c.program)
        let where_ = c.program.exitsToUserSpace ? "to user space and back" : "handled in the kernel"
        if let f = c.failure {
            rows.append(ResultRow(suite: suite, benchmark: "exit", params: p, metric: "round_trip", source: .measured,
                                  gate: .exact, depends: .machine, status: .error, value: nil, unit: "ticks",
                                  note: "\(c.program.exitName) exit failed on \(platform.name): \(f)"))
            return
        }
        if let g = c.guestPerExit {
            rows.append(.timing(suite, "exit", p, metric: "round_trip", g,
                                note: "one \(c.program.exitName) exit \(where_), timed in the guest: (t(2K) - t(K)) / K, K=\(k), "
                                    + "lfence;rdtsc;lfence around each region, averaged over both region orders; "
                                    + platform.description))
        }
        if let h = c.hostRun {
            rows.append(.timing(suite, "exit", p, metric: "kvm_run_host", h,
                                note: "one whole KVM_RUN ioctl per port-write exit, fenced RDTSC on the host around it"))
        }
        rows.append(.check(suite, "exit", p, metric: "guest_exits", Double(c.guestExits),
                           expected: Double(c.expectedExits), tolerance: 0, unit: "exits", source: .measured,
                           gate: .exact, depends: .machine,
                           note: "exits the guest counted against 3K per sample pair member"))
        if c.program.exitsToUserSpace {
            rows.append(.check(suite, "exit", p, metric: "user_exits", Double(c.userExits),
                               expected: Double(c.expectedExits), tolerance: 0, unit: "exits", source: .measured,
                               gate: .exact, depends: .machine,
                               note: "KVM_EXIT_IO exits on the exit port counted by the host loop"))
        }
        if let n = c.kvmExitsCounter {
            rows.append(.figure(suite, "exit", p, metric: "kvm_exits_counter", Double(n), unit: "exits",
                                source: .measured, depends: .machine,
                                note: "KVM's per-vCPU `exits` statistic over the run (KVM_GET_STATS_FD); "
                                    + "\(c.expectedExits) exits were made; a platform that handles them without a "
                                    + "counted exit (software virtualisation) shows fewer"))
        }
    }

    func highlights(_ costs: [KVMExitCost], _ ctx: SuiteContext) -> [String] {
        var lines = ["kvm: \(platform.description)"]
        for c in costs {
            if let f = c.failure {
                lines.append("  \(c.program.exitName): not measured, \(f)")
            } else if let s = c.guestPerExit?.summary {
                var line = String(format: "  %@: %.0f ticks/exit (%.2f us; p25-p75 %.0f-%.0f) in the guest",
                                  c.program.exitName, s.median, ctx.nanoseconds(ticks: s.median) / 1000, s.p25, s.p75)
                if let h = c.hostRun?.summary { line += String(format: ", KVM_RUN on the host %.0f ticks", h.median) }
                lines.append(line)
            }
        }
        return lines
    }
}
