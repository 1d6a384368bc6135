/// The source of the rows the runner adds to every suite's report (their
/// benchmark names start with `_`), in one place: the empty timed region
/// and the speed calibration, both timed by this run.
public enum RunnerRowSources {
    /// `benchmark/metric` -> source.
    public static let table: [String: FigureSource] = [
        "_timer/empty_region": .measured,
        SpeedCalibration.benchmark + "/" + SpeedCalibration.metric: .measured,
    ]

    /// The table key of `row`.
    public static func kind(_ row: ResultRow) -> String { row.benchmark + "/" + row.metric }

    /// The source `row` must carry, or nil for a kind the runner does not make.
    public static func expected(_ row: ResultRow) -> FigureSource? { table[kind(row)] }
}
