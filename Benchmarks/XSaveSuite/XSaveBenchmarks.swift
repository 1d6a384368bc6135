import BenchCore
import Foundation

/// `xsave`: how big the XSAVE image gets with AVX, AVX-512 and AMX, and
/// what saving and restoring it costs.
///
/// - size tables (model) for the recorded CPUs chosen by `cpu-model` and
///   for the host (read from its CPUID, checked against its own totals);
/// - Linux's default versus expanded fpstate buffer and the signal frame;
/// - host timings of XSAVE, XSAVEOPT, XSAVEC, XRSTOR (both formats) and
///   save+restore pairs per cumulative mask, state dirty and clean;
/// - AMX: measured on a host with AMX after arch_prctl permission,
///   otherwise sizes from the model and a clearly labelled estimate.
public struct XSaveBenchmarks: BenchmarkSuite {
    /// Measured on the reference machine kind (release build); see `--dry-run`.
    public var estimatedSeconds: DurationEstimate? { DurationEstimate(quick: 2.5, full: 15) }
    public init() {}
    public let name = "xsave"
    public let summary = "XSAVE image size growth (AVX, AVX-512, AMX) and XSAVE/XRSTOR cost on the host"
    public let benchmarks = [
        BenchmarkInfo("size-component", "per CPU and component: size, offsets, alignment, XFD, user/supervisor (model)"),
        BenchmarkInfo("size-featureset", "per CPU and cumulative feature set: standard and compacted size"),
        BenchmarkInfo("size-check", "check: computed totals against CPUID.(0xD,0).EBX and (0xD,1).EBX"),
        BenchmarkInfo("linux-buffer", "Linux fpstate sizes per kernel version (task, guest, context size; supervisor components); host: checked against the boot log"),
        BenchmarkInfo("signal-frame", "signal frame model vs MINSIGSTKSZ/SIGSTKSZ; host: checked against AT_MINSIGSTKSZ and the boot log"),
        BenchmarkInfo("save-restore", "host: ticks per XSAVE/XSAVEOPT/XSAVEC/XRSTOR and pairs, dirty and clean"),
        BenchmarkInfo("amx", "host AMX save/restore with tile data, or why it cannot run"),
        BenchmarkInfo("amx-estimate", "AMX image save/restore time from the host's bytes per tick (model, estimate)"),
    ]
    /// Console reports show the first rows: lead with the per-set totals
    /// and the host's per-operation medians, leave the component tables last.
    public let consoleOrder = ["size-featureset", "save-restore/per_op", "save-restore", "size-check", "linux-buffer",
                               "signal-frame", "amx", "amx-estimate", "size-component"]
    public let parameters = [
        SuiteParameter("cpu-model", default: "all", kind: .cpuModels,
                       help: "recorded CPUs for the size tables: ids comma-separated, `all` or `none` (the host is always included)"),
        SuiteParameter("kernel", default: "running", kind: .kernelVersion(minimum: LinuxXStateRules.firstDynamic),
                       help: "Linux version whose sizing rules the linux-buffer rows assume (e.g. 5.17, 6.15; `running` = uname -r)"),
    ]

    public func configure(_ ctx: SuiteContext) throws {
        _ = try CPUCatalog.select(ctx.parameter("cpu-model"))
        _ = try LinuxKernelChoice.parse(ctx.parameter("kernel"))  // `running` too: uname -r may not parse
    }

    public func run(_ ctx: SuiteContext) throws -> SuiteResult {
        let recorded = try CPUCatalog.select(ctx.parameter("cpu-model"))
        let kernel = try LinuxKernelChoice.parse(ctx.parameter("kernel"))
        let host = ctx.host
        var rows: [ResultRow] = []

        // The gate runs before the plan: the plan depends on the permission.
        var amx = AMXGate.decide(host)
        if amx == .run { amx = AMXGate.requestPermission() }
        let amxPermitted = amx == .run
        let cases = XSaveTimingPlan.cases(for: host, amxPermitted: amxPermitted)
        let rounds = ctx.quick ? 8 : 16
        ctx.progress.plan(total: 3 + rounds)

        // amx-estimate scales the recorded CPUs' AMX sizes by the host's
        // measured bytes per tick: it needs the size models and save-restore.
        let wantsEstimate = ctx.isSelected(benchmark: "amx-estimate")
        let wantsSizes = ["size-component", "size-featureset", "size-check", "linux-buffer", "signal-frame"]
            .contains { ctx.isSelected(benchmark: $0) }
        let wantsTiming = ctx.isSelected(benchmark: "save-restore") || wantsEstimate
        var models: [XSaveSizeModel] = []
        var hostModel: XSaveSizeModel?
        if wantsSizes || wantsEstimate {
            try ctx.progress.step("size tables")
            models = recorded.compactMap { XSaveSizeModel(cpu: $0.description) }
            hostModel = XSaveSizeModel(cpu: host)
        }
        if wantsSizes {
            for m in models { rows += XSaveSizeRows.rows(m, kernel: kernel) }
            if let hm = hostModel {
                // The kernel's own figures are compared under the running kernel's rules;
                // its boot line also says which supervisor components IA32_XSS holds.
                let running = try LinuxKernelChoice.parse("running")
                let boot = KernelLog.bootFigures()
                let bootFeatures: UInt64? = if case .success(let f) = boot { f.features } else { nil }
                rows += XSaveSizeRows.rows(hm, kernel: kernel,
                                           xss: hm.supervisorState(bootFeatures: bootFeatures, running: running.rules.kernel))
                rows += XSaveSizeRows.kernelChecks(hm, atMinSigStkSz: Auxv.value(51), bootLog: boot, running: running)
            } else {
                rows.append(.skipped(name, "size-featureset", ["cpu": "host"], metric: "standard_bytes", unit: "bytes",
                                     depends: .cpu, reason: host.unavailableReason(.xsave) ?? "no XSAVE layout"))
            }
        }

        var timing: XSaveHostTiming?
        if wantsTiming, let ws = XSaveWorkspace(cpu: host) {
            let tiles = amxPermitted ? AMXTileSource() : nil
            var t = XSaveHostTiming(host: host, workspace: ws, kernel: ctx.kernel,
                                    samples: ctx.quick ? 800 : 4_000, rounds: rounds, tiles: tiles,
                                    amxPermitted: amxPermitted)
            rows += try t.run(cases, progress: ctx.progress)
            tiles?.release()
            timing = t
        } else if wantsTiming {
            rows += cases.map { .skipped(name, "save-restore", ["cpu": "host"], metric: "per_op", unit: "ticks",
                                         depends: .cpu, reason: $0.skipReason ?? "XSAVE not usable") }
        }

        var estimateLines: [String] = []
        if ctx.isSelected(benchmark: "amx") || wantsEstimate {
            try ctx.progress.step("AMX")
            if let reason = amx.reason {
                rows.append(.skipped(name, "amx", ["cpu": "host"], metric: "save_restore_with_tiles", unit: "ticks",
                                     depends: .cpu, reason: reason + "; AMX sizes come from the recorded CPUs (model)"))
                if let t = timing {
                    let est = AMXEstimate.rows(recorded: models, timing: t)
                    rows += est.rows
                    estimateLines = est.lines
                }
            } else {
                rows.append(.figure(name, "amx", ["cpu": "host"], metric: "permission_granted", 1, unit: "bool",
                                    source: .measured, gate: .exact,
                                    depends: .cpuKernel, note: "ARCH_REQ_XCOMP_PERM(18) succeeded; the +AMX sets in save-restore include tile data"))
            }
        }

        var lines = Highlights.growth(models: models, host: hostModel, rules: kernel.rules)
        if let t = timing { lines += Highlights.hostCosts(t, ctx: ctx) }
        lines += estimateLines
        return SuiteResult(rows: rows, highlights: lines)
    }
}

/// The process's auxiliary vector, read from /proc/self/auxv (getauxval is
/// not reachable from Swift's Glibc module).
enum Auxv {
    /// The value for `type`, or 0 when absent (as getauxval returns).
    static func value(_ type: UInt64) -> UInt {
        guard let data = FileManager.default.contents(atPath: "/proc/self/auxv") else { return 0 }
        let words = data.withUnsafeBytes { Array($0.bindMemory(to: UInt64.self)) }
        var i = 0
        while i + 1 < words.count {
            if words[i] == type { return UInt(words[i + 1]) }
            if words[i] == 0 { break }
            i += 2
        }
        return 0
    }
}
