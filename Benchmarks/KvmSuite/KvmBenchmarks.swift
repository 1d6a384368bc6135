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
        BenchmarkInfo("exit-minimal", "the independent figure: a minimal host loop of KVM_RUNs on a guest doing only the exit (port write, CPUID; long and real mode), and the guest-timed figure minus it in paired rounds"),
        BenchmarkInfo("amx-passthrough", "AMX hosts with KVM offering AMX: CPUID exit on an unarmed vs an XFD-armed vCPU in alternating rounds; exits per XFD write from KVM's counter"),
        BenchmarkInfo("amx-guest-nm", "AMX hosts with KVM offering AMX: in a guest that enabled XSAVE (CR4.OSXSAVE, XSETBV) and has an IDT, the XFD #NM cycle vs the same cycle without the fault; exits per fault from KVM's counter"),
        BenchmarkInfo("amx-xfd-write", "AMX hosts with KVM offering AMX: guest WRMSR(XFD) intercepted vs passed through"),
        BenchmarkInfo("amx-set-cpuid", "AMX hosts: KVM_SET_CPUID2 with vs without XTILEDATA (guest fpstate reallocation), state bytes after each"),
        BenchmarkInfo("amx-permission", "AMX hosts: ARCH_REQ_XCOMP_GUEST_PERM's answer; KVM_SET_CPUID2 with XTILEDATA without it (child process)"),
        BenchmarkInfo("amx-create-vcpu", "KVM_CREATE_VCPU time and the state size a new vCPU has (creation never expands)"),
        BenchmarkInfo("amx-xsave2-size", "KVM_CAP_XSAVE2 before vs after guest permission, checked against the supported CPUID read then"),
        BenchmarkInfo("amx-migration", "KVM_GET_XSAVE2 / KVM_SET_XSAVE / KVM_GET_XSAVE per vCPU, default and tile image; image size per recorded CPU"),
        BenchmarkInfo("amx-native-first-use", "AMX CPUs (no KVM needed): a fresh thread's first AMX instructions (XFD #NM) vs the second"),
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
        let path = ctx.parameter("device")
        let programs = ctx.isSelected(benchmark: "exit") ? KVMExitCosts.programs(vendor: ctx.host.vendor) : []
        let amxSelected = benchmarks.contains { $0.name.hasPrefix("amx-") && ctx.isSelected(benchmark: $0.name) }
        let minimalSelected = ctx.isSelected(benchmark: "exit-minimal")
        ctx.progress.plan(total: programs.count + (amxSelected ? 1 : 0) + (minimalSelected ? 1 : 0))
        // Before any vCPU of this process exists: the guest permission can
        // only be requested until then.
        let device: KVMError?
        do { _ = try KVMSystem(path: path); device = nil } catch { device = error }
        let readiness = amxSelected && device == nil ? AMXReadiness.forProcess(path: path) : nil
        var out = KvmRows(suite: name, platform: platform)
        var costs: [KVMExitCost] = []
        if let device {
            out.rows = out.unavailable(programs, reason: "\(device)")
        } else {
            do {
                costs = try KVMExitCosts.measure(programs: programs, k: k, pairs: pairs, path: path,
                                                 limitNanoseconds: UInt64(limit) * 1_000_000) {
                    try ctx.progress.step("\($0.exitName) exits")
                }
            } catch let e as KVMError {
                out.rows = out.unavailable(programs, reason: "\(e)")
            }
            for c in costs { out.exitCost(c, k: k) }
        }
        if minimalSelected {
            try ctx.progress.step("minimal loops")
            out.rows += device.map { KVMMinimalLoop.skipped(name, out.amxParams, reason: "no usable KVM device: \($0)") }
                ?? KVMMinimalLoop.rows(name, out.amxParams, path: path, k: k, pairs: pairs,
                                       limit: UInt64(limit) * 1_000_000)
        }
        if amxSelected {
            try ctx.progress.step("AMX experiments")
            out.rows += AMXExperiments.rows(name, out.amxParams, host: ctx.host, readiness: readiness, device: device,
                                            path: path, k: k, pairs: pairs,
                                            limitNanoseconds: UInt64(limit) * 1_000_000, quick: ctx.quick,
                                            selected: { ctx.isSelected(benchmark: $0) })
        }
        var highlights = out.highlights(costs, ctx)
        if device != nil { highlights = ["kvm: skipped, \(device!)"] }
        return SuiteResult(rows: out.rows, highlights: highlights)
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
        rows.append(.figure(suite, "exit", p, metric: "guest_exits", Double(c.guestExits), unit: "exits",
                            source: .measured, gate: .exact, depends: .machine,
                            note: "exits the guest program counted itself (its own loop count, not evidence that each exited; "
                                + "see exits_verified)"))
        if c.program.exitsToUserSpace {
            rows.append(.check(suite, "exit", p, metric: "user_exits", Double(c.userExits),
                               expected: Double(c.expectedExits), tolerance: 0, unit: "exits", source: .measured,
                               gate: .exact, depends: .machine,
                               note: "KVM_EXIT_IO returns of KVM_RUN on the exit port, counted by the host loop, against the "
                                   + "3K exits per sample the host asked for"))
        }
        if let n = c.kvmExitsCounter {
            rows.append(.figure(suite, "exit", p, metric: "kvm_exits_counter", Double(n), unit: "exits",
                                source: .measured, depends: .machine,
                                note: "KVM's per-vCPU `exits` statistic over the run (KVM_GET_STATS_FD); "
                                    + "\(c.expectedExits) exits were made"))
        }
        rows.append(exitsVerified(c, p))
    }

    /// Whether every exit the guest made really left the guest, from a count
    /// the guest does not produce: the host's count of KVM_RUN returns for
    /// exits to user space; KVM's own `exits` counter for exits handled in
    /// the kernel, where the platform counts them (hardware KVM: at least one
    /// per exit, plus interrupts and the done-port exit, allowed 5 % + 100).
    /// A software platform that counts under half of them leaves the exits
    /// unverified: a skipped row saying so, never "within".
    func exitsVerified(_ c: KVMExitCost, _ p: Params) -> ResultRow {
        let expected = Double(c.expectedExits)
        if c.program.exitsToUserSpace {
            return .check(suite, "exit", p, metric: "exits_verified", Double(c.userExits), expected: expected, tolerance: 0,
                          unit: "exits", source: .measured, gate: .exact, depends: .machine,
                          note: "the host's count of KVM_RUN returns at the exit port (independent of the guest's count)")
        }
        guard let n = c.kvmExitsCounter else {
            return .skipped(suite, "exit", p, metric: "exits_verified", unit: "exits", depends: .machine,
                            reason: "unverified: KVM's exit statistics are not readable here (KVM_GET_STATS_FD)")
        }
        if !platform.hardwareFigures && Double(n) < expected / 2 {
            return .skipped(suite, "exit", p, metric: "exits_verified", unit: "exits", depends: .machine,
                            reason: "unverified on \(platform.name): KVM counted \(n) of \(c.expectedExits) exits "
                                + "(\(String(format: "%.1f", 100 * Double(n) / max(expected, 1))) %); this platform handles them without a counted exit")
        }
        let slack = expected * 0.05 + 100
        return .check(suite, "exit", p, metric: "exits_verified", Double(n), expected: expected + slack / 2, tolerance: slack / 2,
                      unit: "exits", source: .measured, gate: .exact, depends: .machine,
                      note: "KVM's `exits` statistic over the run, at least one per guest exit (plus interrupts and the done port: "
                          + "up to 5 % + 100 more)")
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
