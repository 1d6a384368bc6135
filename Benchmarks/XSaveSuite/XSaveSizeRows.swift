import BenchCore

/// Turns an `XSaveSizeModel` into report rows.  Pure.
///
/// Recorded CPUs give `source=model` rows.  The host's rows are
/// `source=measured`: the component table is read from this CPU's CPUID
/// leaf 0xD by this run, the totals are computed from it and checked
/// against the CPU's own totals (rows `size-check`).  Every size row is
/// deterministic, so every one is gated exactly.
public enum XSaveSizeRows {
    static let suite = "xsave"

    public static func rows(_ m: XSaveSizeModel, source: FigureSource) -> [ResultRow] {
        let origin = source == .model
            ? "recorded CPUID leaf 0xD of \(m.cpuID)"
            : "this CPU's CPUID leaf 0xD, read by this run"
        // The host's sizes are functions of its CPUID; a recorded CPU's are fixed.
        let depends: HostDependency = m.cpuID == "host" ? .cpu : .none
        var rows: [ResultRow] = []
        func add(_ bench: String, _ p: Params, _ metric: String, _ v: Double, _ unit: String, _ note: String) {
            rows.append(.figure(suite, bench, p, metric: metric, v, unit: unit, source: source,
                                gate: .exact, depends: depends, note: note))
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
                                     source: source, depends: depends, reason: reason))
                rows.append(.skipped(suite, "size-featureset", p, metric: "compacted_bytes", unit: "bytes",
                                     source: source, depends: depends, reason: reason))
                continue
            }
            let what = "components \(indices(f.mask)) (mask \(hex(f.mask))): cumulative set restricted to what \(m.cpuID) enables"
            add("size-featureset", p, "standard_bytes", Double(f.standardSize), "bytes",
                "XSAVE/XSAVEOPT image of " + what)
            add("size-featureset", p, "compacted_bytes", Double(f.compactedSize), "bytes",
                "XSAVEC image of " + what
                    + (m.layout.hasXSAVEC ? "" : "; computed only: the CPU has no XSAVEC"))
        }

        let l = m.linux
        let p: Params = ["cpu": m.cpuID]
        let fmt = l.kernelCompacted ? "compacted (XSAVES)" : "standard"
        add("linux-buffer", p, "default_mask", Double(l.defaultMask), "mask",
            "XCR0 minus XFD-capable components \(indices(l.expandedMask & ~l.defaultMask).isEmpty ? "(none)" : indices(l.expandedMask & ~l.defaultMask))")
        add("linux-buffer", p, "kernel_default_bytes", Double(l.kernelDefault), "bytes",
            "fpstate default buffer, \(fmt) format, user components only (supervisor state not counted)")
        add("linux-buffer", p, "kernel_expanded_bytes", Double(l.kernelExpanded), "bytes",
            "fpstate after a dynamic-feature permission, \(fmt) format, user components only")
        add("linux-buffer", p, "growth_bytes", Double(l.growthBytes), "bytes", "expanded - default")
        add("linux-buffer", p, "growth_factor", l.growthFactor, "ratio", "expanded / default")
        add("linux-buffer", p, "user_default_bytes", Double(l.userDefault), "bytes",
            "standard-format user size without dynamic features (signal frame XSAVE area)")
        add("linux-buffer", p, "user_expanded_bytes", Double(l.userExpanded), "bytes",
            "standard-format user size with every enabled feature (fpu_user_cfg.max_size)")

        let frameNote = "AT_MINSIGSTKSZ model: roundup16(732 sigframe_ia32 + 15 + user XSAVE size + 112 fsave + 63)"
        add("signal-frame", p, "frame_default_bytes", Double(l.sigframeDefault), "bytes",
            frameNote + " with the default user size")
        add("signal-frame", p, "frame_expanded_bytes", Double(l.sigframeExpanded), "bytes",
            frameNote + " with the expanded user size (what the kernel advertises)")
        add("signal-frame", p, "exceeds_minsigstksz_2048", l.sigframeExpanded > SignalFrameModel.legacyMinSigStkSz ? 1 : 0,
            "bool", "1 when the expanded frame exceeds glibc's legacy MINSIGSTKSZ (2048): a sigaltstack of that size is too small")
        add("signal-frame", p, "exceeds_sigstksz_8192", l.sigframeExpanded > SignalFrameModel.legacySigStkSz ? 1 : 0,
            "bool", "1 when the expanded frame exceeds glibc's legacy SIGSTKSZ (8192): even the recommended size is too small")
        add("signal-frame", p, "sigstksz_headroom_bytes",
            Double(SignalFrameModel.legacySigStkSz - l.sigframeExpanded), "bytes",
            "8192 - expanded frame (negative: overflow)")

        for c in m.checks {
            var row = ResultRow.figure(suite, "size-check", p, metric: c.name, Double(c.computed), unit: "bytes",
                                       source: source, gate: .exact,
                                       depends: depends, note: "computed \(c.computed), CPUID reports \(c.reported)")
            if c.computed != c.reported {
                if let s = c.explainedBySupervisor, s != 0 {
                    row.note += "; the difference is IA32_XSS supervisor state: components \(indices(s)) (\(hex(s))) account for it exactly"
                } else {
                    row.status = .error
                    row.note += "; computed and reported totals disagree and no supervisor subset explains it"
                }
            }
            rows.append(row)
        }
        return rows
    }

    /// Host-only: the kernel's AT_MINSIGSTKSZ (getauxval(51)) against the model.
    public static func auxvRows(_ m: XSaveSizeModel, atMinSigStkSz: UInt) -> [ResultRow] {
        let p: Params = ["cpu": m.cpuID]
        guard atMinSigStkSz > 0 else {
            return [.skipped(suite, "signal-frame", p, metric: "at_minsigstksz", unit: "bytes",
                             depends: .kernel, reason: "getauxval(AT_MINSIGSTKSZ=51) returned 0: kernel older than 5.14 or not Linux")]
        }
        let model = m.linux.sigframeExpanded
        var check = ResultRow.figure(suite, "signal-frame", p, metric: "at_minsigstksz_model_matches",
                                     model == Int(atMinSigStkSz) ? 1 : 0, unit: "bool", source: .measured,
                                     gate: .exact, depends: .kernel, note: "model \(model) vs kernel \(atMinSigStkSz)")
        if model != Int(atMinSigStkSz) {
            check.note += " (the kernel may lack IA32 emulation, or count differently)"
        }
        return [
            .figure(suite, "signal-frame", p, metric: "at_minsigstksz", Double(atMinSigStkSz), unit: "bytes",
                    source: .measured, gate: .exact, depends: .kernel, note: "getauxval(51) in this process"),
            check,
        ]
    }
}
