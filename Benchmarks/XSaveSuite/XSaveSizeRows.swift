import BenchCore

/// Turns an `XSaveSizeModel` into report rows.  Pure.
///
/// Every size row is `source=model`: computed from a CPUID leaf 0xD (a
/// recorded one, or this CPU's as this run read it) through the
/// architecture's layout rules and Linux's sizing rules; nothing is timed
/// or read from the kernel.  A recorded CPU's rows depend on nothing, the
/// host's on its CPU; rows computed under Linux rules depend on the running
/// kernel when it chose the version.  The checks compare a model figure
/// with one the CPU or the kernel reports (`ResultRow.check`).
public enum XSaveSizeRows {
    static let suite = "xsave"

    /// Kept so existing callers compile: size rows are model rows whatever
    /// the argument, under the rules of a fixed kernel (`defaultKernel`).
    @available(*, deprecated, message: "size rows are always source=model; use rows(_:kernel:)")
    public static func rows(_ m: XSaveSizeModel, source: FigureSource) -> [ResultRow] {
        rows(m, kernel: LinuxKernelChoice(defaultKernel, running: false))
    }

    /// The kernel `rows(_:source:)` assumes: the newest version modelled.
    public static let defaultKernel = LinuxFPURules.cetSupervisor.mainline

    public static func rows(_ m: XSaveSizeModel, kernel: LinuxKernelChoice, xss: SupervisorState? = nil) -> [ResultRow] {
        let host = m.cpuID == "host"
        let origin = host ? "computed from this CPU's CPUID leaf 0xD, read by this run"
                          : "computed from the recorded CPUID leaf 0xD of \(m.cpuID)"
        let depends: HostDependency = host ? .cpu : .none
        var rows: [ResultRow] = []
        func add(_ bench: String, _ p: Params, _ metric: String, _ v: Double, _ unit: String, _ note: String,
                 _ d: HostDependency? = nil) {
            rows.append(.figure(suite, bench, p, metric: metric, v, unit: unit, source: .model,
                                gate: .exact, depends: d ?? depends, note: note))
        }

        for e in m.components {
            let c = e.component
            let p: Params = ["cpu": m.cpuID, "component": "\(c.index)", "name": c.name]
            add("size-component", p, "size", Double(c.size), "bytes", origin)
            if !c.supervisor {
                add("size-component", p, "standard_offset", Double(c.standardOffset), "bytes",
                    "offset in the XSAVE/XSAVEOPT image; " + origin)
            }
            if let off = e.compactedOffset {
                add("size-component", p, "compacted_offset", Double(off), "bytes",
                    "offset in the XSAVEC image of all XCR0 components (from 576, 64-byte alignment where flagged)")
            }
            add("size-component", p, "align64", c.aligned64 ? 1 : 0, "bool", "CPUID.(0xD,i).ECX[1]")
            add("size-component", p, "xfd", c.xfdCapable ? 1 : 0, "bool",
                "CPUID.(0xD,i).ECX[2]: XFD-capable, a dynamic feature for Linux")
            add("size-component", p, "supervisor", c.supervisor ? 1 : 0, "bool",
                "CPUID.(0xD,i).ECX[0]: managed through IA32_XSS, not XCR0")
            add("size-component", p, "enabled", e.enabled ? 1 : 0, "bool",
                c.supervisor ? "supervisor: XCR0 never holds it" : "set in XCR0 \(hex(m.enabledMask))")
        }

        for f in m.featureSets {
            let p: Params = ["cpu": m.cpuID, "set": f.set.label]
            guard f.supported else {
                let reason = "not supported: \(m.cpuID) does not enable component(s) \(indices(f.missing)) (XCR0 \(hex(m.enabledMask)))"
                rows.append(.skipped(suite, "size-featureset", p, metric: "standard_bytes", unit: "bytes",
                                     source: .model, depends: depends, reason: reason))
                rows.append(.skipped(suite, "size-featureset", p, metric: "compacted_bytes", unit: "bytes",
                                     source: .model, depends: depends, reason: reason))
                continue
            }
            let what = "components \(indices(f.mask)) (mask \(hex(f.mask))): cumulative set restricted to what \(m.cpuID) enables"
            add("size-featureset", p, "standard_bytes", Double(f.standardSize), "bytes",
                "XSAVE/XSAVEOPT image of " + what)
            add("size-featureset", p, "compacted_bytes", Double(f.compactedSize), "bytes",
                "XSAVEC image of " + what
                    + (m.layout.hasXSAVEC ? "" : "; the CPU has no XSAVEC"))
        }

        rows += linuxRows(m, kernel: kernel)
        rows += frameRows(m)

        for c in m.checks(xss: xss ?? m.supervisorState(bootFeatures: nil, running: kernel.rules.kernel)) {
            let explained = c.supervisor == 0 && c.name.hasPrefix("standard") ? "" : "; supervisor components \(c.supervisor == 0 ? "none" : indices(c.supervisor) + " (" + hex(c.supervisor) + ")"): \(c.origin)"
            rows.append(.check(suite, "size-check", ["cpu": m.cpuID], metric: c.name, Double(c.computed),
                               expected: Double(c.reported), tolerance: 0, unit: "bytes", source: .model,
                               gate: .exact, depends: depends,
                               note: "total computed from the per-component table vs the CPU's own CPUID total" + explained))
        }
        return rows
    }

    /// Linux's buffers on this CPU under `kernel`'s rules.
    static func linuxRows(_ m: XSaveSizeModel, kernel: LinuxKernelChoice) -> [ResultRow] {
        let l = m.linux(kernel.rules)
        let d = kernel.depends(hostCPU: m.cpuID == "host")
        let p: Params = ["cpu": m.cpuID, "kernel": kernel.label]
        let fmt = l.compacted ? "compacted (XSAVES)" : "standard"
        let rules = kernel.rules.summary
        var rows: [ResultRow] = []
        func add(_ metric: String, _ v: Double, _ unit: String, _ note: String) {
            rows.append(.figure(suite, "linux-buffer", p, metric: metric, v, unit: unit, source: .model,
                                gate: .exact, depends: d, note: note + "; " + rules))
        }
        let dyn = indices(l.dynamicMask)
        add("default_mask", Double(l.defaultMask), "mask", "XCR0 minus XFD-capable components \(dyn.isEmpty ? "(none)" : dyn)")
        add("supervisor_mask", Double(l.supervisorMask), "mask", "supervisor components in every \(fmt) fpstate")
        add("guest_only_mask", Double(l.guestOnlyMask), "mask", "guest-only supervisor components")
        add("max_features", Double(l.maxFeatures), "mask", "every component the kernel enables (boot line \"Enabled xstate features\")")
        add("kernel_default_bytes", Double(l.defaultBytes), "bytes", "task fpstate register area, \(fmt) format (fpu_kernel_cfg.default_size)")
        add("kernel_expanded_bytes", Double(l.expandedBytes), "bytes", "task fpstate after a dynamic-feature permission, \(fmt) format")
        add("context_bytes", Double(l.contextBytes), "bytes", "fpu_kernel_cfg.max_size, guest-only components included (boot line \"context size is N\")")
        add("guest_create_bytes", Double(l.guestCreateBytes), "bytes", "guest fpstate register area at vCPU creation under this kernel")
        add("guest_expanded_bytes", Double(l.guestExpandedBytes), "bytes", "guest fpstate after expansion at KVM_SET_CPUID2")
        add("growth_bytes", Double(l.growthBytes), "bytes", "task expanded - default")
        add("growth_factor", l.growthFactor, "ratio", "task expanded / default")
        add("user_default_bytes", Double(l.userDefaultBytes), "bytes", "standard-format user size without dynamic features (fpu_user_cfg.default_size)")
        add("user_expanded_bytes", Double(l.userMaxBytes), "bytes", "standard-format user size with every enabled feature (fpu_user_cfg.max_size)")
        return rows
    }

    /// The signal frame from the standard-format user sizes (the same rule
    /// in every kernel from 5.14).
    static func frameRows(_ m: XSaveSizeModel) -> [ResultRow] {
        let l = m.linux(LinuxXStateRules(kernel: defaultKernel))
        let d: HostDependency = m.cpuID == "host" ? .cpu : .none
        let p: Params = ["cpu": m.cpuID]
        var rows: [ResultRow] = []
        func add(_ metric: String, _ v: Double, _ unit: String, _ note: String) {
            rows.append(.figure(suite, "signal-frame", p, metric: metric, v, unit: unit, source: .model,
                                gate: .exact, depends: d, note: note))
        }
        let frameNote = "model: round_up(736 sigframe_ia32 + 15 + user XSAVE size + 4 FP_XSTATE_MAGIC2 + 112 fsave + 63, 16), kernels 5.14+ with IA32 emulation"
        add("frame_default_bytes", Double(l.sigframeDefault), "bytes", frameNote + ", default user size \(l.userDefaultBytes): a model figure for a task without dynamic features; Linux reserves the maximum (AT_MINSIGSTKSZ) for every task")
        add("frame_expanded_bytes", Double(l.sigframeExpanded), "bytes", frameNote + ", maximum user size \(l.userMaxBytes) (AT_MINSIGSTKSZ)")
        add("exceeds_minsigstksz_2048", l.sigframeExpanded > LegacySignalStack.minSigStkSz ? 1 : 0, "bool",
            "1 when the expanded frame exceeds glibc's legacy MINSIGSTKSZ (2048): a sigaltstack of that size is too small")
        add("exceeds_sigstksz_8192", l.sigframeExpanded > LegacySignalStack.sigStkSz ? 1 : 0, "bool",
            "1 when the expanded frame exceeds glibc's legacy SIGSTKSZ (8192): even the recommended size is too small")
        add("sigstksz_headroom_bytes", Double(LegacySignalStack.sigStkSz - l.sigframeExpanded), "bytes",
            "8192 - expanded frame (negative: overflow)")
        return rows
    }

    /// Host only: the model against the figures the running kernel publishes.
    /// - Parameters:
    ///   - atMinSigStkSz: getauxval(AT_MINSIGSTKSZ = 51), 0 when absent.
    ///   - bootLog: the kernel's boot lines, or why they could not be read.
    ///   - running: the running kernel (its rules give the compared model).
    public static func kernelChecks(_ m: XSaveSizeModel, atMinSigStkSz: UInt,
                                    bootLog: Result<KernelBootFigures, KernelLogError>,
                                    running: LinuxKernelChoice) -> [ResultRow] {
        let p: Params = ["cpu": m.cpuID]
        let frame = Double(m.linux(running.rules).sigframeExpanded)
        var rows: [ResultRow] = []
        if atMinSigStkSz > 0 {
            rows.append(.figure(suite, "signal-frame", p, metric: "at_minsigstksz", Double(atMinSigStkSz), unit: "bytes",
                                source: .measured, gate: .exact, depends: .cpuKernel, note: "getauxval(51) in this process"))
            rows.append(.check(suite, "signal-frame", p, metric: "frame_vs_at_minsigstksz", frame,
                               expected: Double(atMinSigStkSz), tolerance: 0, unit: "bytes", source: .model, gate: .exact,
                               depends: .cpuKernel, note: "modelled frame (maximum user size) vs the kernel's AT_MINSIGSTKSZ"))
        } else {
            rows.append(.skipped(suite, "signal-frame", p, metric: "frame_vs_at_minsigstksz", unit: "bytes", source: .model,
                                 depends: .cpuKernel, reason: "getauxval(AT_MINSIGSTKSZ=51) returned 0: kernel older than 5.14 or not Linux"))
        }

        let l = m.linux(running.rules)
        let q: Params = ["cpu": m.cpuID, "kernel": running.label]
        // (benchmark, metric, model, figure from the log, what the log line says)
        let compared: [(String, String, Double, Double?, String)]
        switch bootLog {
        case .failure(let why):
            return rows + [("linux-buffer", "context_bytes_vs_boot_log"), ("linux-buffer", "max_features_vs_boot_log"),
                           ("signal-frame", "frame_vs_boot_log")].map {
                .skipped(suite, $0.0, $0.0 == "signal-frame" ? p : q, metric: $0.1, unit: $0.1.hasPrefix("max") ? "mask" : "bytes",
                         source: .model, depends: .cpuKernel, reason: "kernel log unreadable: \(why)")
            }
        case .success(let f):
            compared = [
                ("linux-buffer", "context_bytes_vs_boot_log", Double(l.contextBytes), f.contextBytes.map { Double($0) },
                 "\"context size is N bytes\""),
                ("linux-buffer", "max_features_vs_boot_log", Double(l.maxFeatures), f.features.map { Double($0) },
                 "\"Enabled xstate features 0x...\""),
                ("signal-frame", "frame_vs_boot_log", frame, f.maxSigframe.map { Double($0) }, "\"max sigframe size: N\""),
            ]
        }
        for (bench, metric, model, logged, line) in compared {
            let unit = metric.hasPrefix("max") ? "mask" : "bytes"
            let params = bench == "signal-frame" ? p : q
            guard let logged else {
                rows.append(.skipped(suite, bench, params, metric: metric, unit: unit, source: .model, depends: .cpuKernel,
                                     reason: "the kernel log holds no \(line) line (ring buffer rotated, or an older kernel)"))
                continue
            }
            rows.append(.check(suite, bench, params, metric: metric, model, expected: logged, tolerance: 0, unit: unit,
                               source: .model, gate: .exact, depends: .cpuKernel,
                               note: "model under \(running.rules.summary) vs the boot line \(line)"))
        }
        return rows
    }
}
