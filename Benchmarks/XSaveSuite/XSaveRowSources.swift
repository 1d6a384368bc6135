import BenchCore

/// The source of every row kind of `xsave`, in one place.  Sizes and Linux
/// buffer figures are `model` for the host as for recorded CPUs: they are
/// computed from CPUID leaf 0xD through layout and Linux sizing rules.
/// `measured` means timed or read by this run (XSAVE probes, timings,
/// getauxval).  A check row carries the source of its model figure.
public enum XSaveRowSources {
    /// `benchmark/metric` -> source.
    public static let table: [String: FigureSource] = {
        var t: [String: FigureSource] = [:]
        for m in ["size", "standard_offset", "compacted_offset", "align64", "xfd", "supervisor", "enabled"] {
            t["size-component/" + m] = .model
        }
        for m in ["standard_bytes", "compacted_bytes"] { t["size-featureset/" + m] = .model }
        for m in ["standard_vs_cpuid_0xd_0_ebx", "compacted_vs_cpuid_0xd_1_ebx"] { t["size-check/" + m] = .model }
        for m in ["default_mask", "supervisor_mask", "guest_only_mask", "max_features", "kernel_default_bytes",
                  "kernel_expanded_bytes", "context_bytes", "guest_create_bytes", "guest_expanded_bytes",
                  "growth_bytes", "growth_factor", "user_default_bytes", "user_expanded_bytes",
                  "context_bytes_vs_boot_log", "max_features_vs_boot_log"] {
            t["linux-buffer/" + m] = .model
        }
        for m in ["frame_default_bytes", "frame_expanded_bytes", "exceeds_minsigstksz_2048", "exceeds_sigstksz_8192",
                  "sigstksz_headroom_bytes", "frame_vs_at_minsigstksz", "frame_vs_boot_log"] {
            t["signal-frame/" + m] = .model
        }
        t["signal-frame/at_minsigstksz"] = .measured
        for m in ["bytes_written", "write_extent", "xstate_bv_probe", "image_xstate_bv", "xinuse", "per_op",
                  "xstate_bv", "bytes_per_tick"] {
            t["save-restore/" + m] = .measured
        }
        t["amx/save_restore_with_tiles"] = .measured
        t["amx/permission_granted"] = .measured
        for m in ["xsave_ticks", "xsavec_ticks", "xrstor_ticks", "pair_ticks"] { t["amx-estimate/" + m] = .model }
        return t
    }()

    /// The table key of `row`.
    public static func kind(_ row: ResultRow) -> String { row.benchmark + "/" + row.metric }

    /// The source `row` must carry, or nil for an undeclared kind.
    public static func expected(_ row: ResultRow) -> FigureSource? { table[kind(row)] }
}
