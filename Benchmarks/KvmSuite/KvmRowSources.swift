import BenchCore

/// The source of every row kind of `kvm`, in one place.  Every figure is
/// timed, counted or read through /dev/kvm (or, for native first use, on
/// this CPU) by this run (`measured`), except the migration rows that size
/// and scale the image for recorded CPUs (`model`); skipped and failed rows
/// keep the source the figure would have had.
public enum KvmRowSources {
    /// `benchmark/metric` -> source.
    public static let table: [String: FigureSource] = {
        var t: [String: FigureSource] = [:]
        for m in ["round_trip", "kvm_run_host", "guest_exits", "user_exits", "kvm_exits_counter", "exits_verified"] {
            t["exit/" + m] = .measured
        }
        for m in KVMMinimalLoop.metrics { t["exit-minimal/" + m.metric] = .measured }
        for m in AMXExperiments.metrics { t[m.benchmark + "/" + m.metric] = m.source }
        for m in ["model_state_bytes", "model_get_set_ticks"] { t["amx-migration/" + m] = .model }
        return t
    }()

    /// The table key of `row`.
    public static func kind(_ row: ResultRow) -> String { row.benchmark + "/" + row.metric }

    /// The source `row` must carry, or nil for an undeclared kind.
    public static func expected(_ row: ResultRow) -> FigureSource? { table[kind(row)] }
}
