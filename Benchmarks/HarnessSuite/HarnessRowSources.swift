import BenchCore

/// The source of every row kind of `harness`, in one place.  Everything is
/// timed on this CPU (`measured`) except the core clock estimate, which is
/// a model of a measurement: it assumes one dependent add per core cycle
/// (no PMU counts cycles here).
public enum HarnessRowSources {
    /// `benchmark/metric` -> source.
    public static let table: [String: FigureSource] = [
        "timer/empty_region": .measured,
        "timer/kernel_path_overhead": .measured,
        "timer/tsc_step": .measured,
        "add-chain/region": .measured,
        "add-chain/ticks_per_add": .measured,
        "add-chain/intercept": .measured,
        "add-chain/r_squared": .measured,
        "add-chain/core_clock_est": .model,
        "add-chain-1000/per_chain": .measured,
        "add-chain-1000/per_chain_over_slope": .measured,
    ]

    /// The table key of `row`.
    public static func kind(_ row: ResultRow) -> String { row.benchmark + "/" + row.metric }

    /// The source `row` must carry, or nil for an undeclared kind.
    public static func expected(_ row: ResultRow) -> FigureSource? { table[kind(row)] }
}
