import BenchCore

/// The source of every row kind of `rdmsr-exit`, in one place.
///
/// A derived figure carries the source of the timed figures it comes from;
/// `model` means nothing was timed.
public enum RdmsrExitRowSources {
    public enum Rule: Sendable {
        /// Real work timed on this CPU (the loop's own overhead, XSAVE/XRSTOR,
        /// a plain add chain).
        case measured
        /// The timed exit loop or a figure derived from it: `simulated` with
        /// injected RDMSR work, `proxy` with a stand-in instruction
        /// (`rdmsr=proxy-*`).
        case timed
        /// Computed from the exit plans, the kernel rules and the cost table
        /// without timing: `model`, or `input` when the user set a cost.
        case model
        /// A cost-table entry: its `basis` parameter (model, measured, input).
        case costBasis
    }

    /// Row kind (`benchmark/metric`, with `@from` when the `from` parameter
    /// tells formula rows from loop rows) -> rule.
    public static let table: [String: Rule] = [
        "loop-overhead/ticks_per_exit": .measured,
        "fpu-swap/ticks_per_swap": .measured,
        "injected-add/ticks_per_add": .measured,
        "injected-add/loop_over_harness": .measured,
        "cost-table/cycles": .costBasis,
        "plan/injected_overhead_cycles": .model,
        "plan/xfd_reads_per_1k_exits": .model,
        "plan/extra_exits_per_1k_exits": .model,
        "plan/fastpath_share": .model,
        "exit-loop/ticks_per_exit": .timed,
        "overhead/overhead_ticks": .timed,
        "overhead/overhead_pct": .timed,
        "loop-fidelity/recovered_ticks": .timed,
        "loop-fidelity/reference_ticks": .measured,
        "loop-fidelity/error_pct": .timed,
        "cpu-share/vcpu_share_lost": .timed,
        "break-even@formula/writes_per_1k_exits": .model,
        "break-even@formula-sweep/writes_per_1k_exits": .model,
        "break-even@loop/trap_ticks_per_write": .timed,
        "break-even@loop/read_ticks_per_exit": .timed,
        "break-even@loop/writes_per_1k_exits": .timed,
        "break-even@loop-check/always_minus_read_ticks": .timed,
        "fleet/overhead_ticks": .timed,
        "fleet/overhead_pct": .timed,
        "fleet/vcpu_share_lost": .timed,
        "fleet/injected_overhead_cycles": .model,
    ]

    /// The table key of `row`.
    public static func kind(_ row: ResultRow) -> String {
        row.benchmark + (row.params["from"].map { "@" + $0 } ?? "") + "/" + row.metric
    }

    /// The source `row` must carry, given the source of the run's model
    /// figures (`model`, or `input` when the user set a cost); nil for a row
    /// kind missing from the table.
    public static func expected(_ row: ResultRow, modelSource: FigureSource) -> FigureSource? {
        guard let rule = table[kind(row)] else { return nil }
        switch rule {
        case .measured: return .measured
        case .timed: return row.params["rdmsr"]?.hasPrefix("proxy-") == true ? .proxy : .simulated
        case .model: return modelSource
        case .costBasis: return row.params["basis"].flatMap(FigureSource.init(rawValue:))
        }
    }
}
