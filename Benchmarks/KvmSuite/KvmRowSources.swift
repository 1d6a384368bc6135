import BenchCore

/// The source of every row kind of `kvm`, in one place.  Every figure is
/// timed, counted or read through /dev/kvm by this run on the platform its
/// row names (`measured`); skipped and failed rows keep the source the
/// figure would have had.
public enum KvmRowSources {
    /// `benchmark/metric` -> source.
    public static let table: [String: FigureSource] = {
        var t: [String: FigureSource] = [:]
        for m in ["round_trip", "kvm_run_host", "guest_exits", "user_exits", "kvm_exits_counter"] {
            t["exit/" + m] = .measured
        }
        for m in ["cpuid_before_xfd_write", "cpuid_after_xfd_write", "per_exit_cost"] { t["amx-passthrough/" + m] = .measured }
        for m in ["intercepted", "passed_through"] { t["amx-xfd-write/" + m] = .measured }
        for m in ["without_xtiledata", "with_xtiledata"] { t["amx-set-cpuid/" + m] = .measured }
        for m in ["without_permission", "with_permission"] { t["amx-create-vcpu/" + m] = .measured }
        for m in ["before_permission", "after_permission"] { t["amx-xsave2-size/" + m] = .measured }
        for m in ["first_tile_use", "second_tile_use"] { t["amx-native-first-use/" + m] = .measured }
        return t
    }()

    /// The table key of `row`.
    public static func kind(_ row: ResultRow) -> String { row.benchmark + "/" + row.metric }

    /// The source `row` must carry, or nil for an undeclared kind.
    public static func expected(_ row: ResultRow) -> FigureSource? { table[kind(row)] }
}
