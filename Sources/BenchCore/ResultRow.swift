/// Where a reported figure comes from.  Every row carries one.
public enum FigureSource: String, Sendable, Codable, CaseIterable {
    /// Measured on this CPU by this run.
    case measured
    /// Computed from a model or a recorded CPU description; nothing was timed.
    case model
    /// Measured on this CPU through a stand-in for an instruction that
    /// cannot run here (e.g. RDPID for RDMSR).
    case proxy
    /// Given by the user (a command-line value or a cost file).
    case input
}

/// Whether a row holds a figure.
public enum RowStatus: String, Sendable, Codable {
    case ok
    /// The benchmark could not run here; `note` says why.
    case skipped
    /// The benchmark ran and failed; `note` says how.
    case error
}

/// How `benchmark compare` treats a row.  Stated by the suite, never guessed.
public enum GateClass: String, Sendable, Codable {
    /// Must be reproduced exactly: sizes, counts, model outputs of fixed inputs.
    case exact
    /// A timing distribution: compared statistically over repetition medians.
    case timing
    /// Reported, not gated: figures derived from measurements through a
    /// model, or measured figures that are not meant to be stable.
    case info
}

/// Ordered benchmark parameters, written as `key=value;key=value`.
/// Keys and values must not contain `;` or `=`.
public struct Params: Sendable, Hashable, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    public var pairs: [(key: String, value: String)]
    public init(_ pairs: [(String, String)]) { self.pairs = pairs.map { (key: $0.0, value: $0.1) } }
    public init(dictionaryLiteral elements: (String, String)...) { self.init(elements) }
    public var description: String { pairs.map { "\($0.key)=\($0.value)" }.joined(separator: ";") }
    public subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }
    public static func == (a: Params, b: Params) -> Bool { a.description == b.description }
    public func hash(into h: inout Hasher) { h.combine(description) }
    /// Parses the written form; the inverse of `description`.
    public static func parse(_ text: String) -> Params {
        Params(text.split(separator: ";").map { part in
            let kv = part.split(separator: "=", maxSplits: 1)
            return (String(kv[0]), kv.count > 1 ? String(kv[1]) : "")
        })
    }
}

/// One reported figure: suite x benchmark x parameters x metric.
///
/// Timing rows carry a `Summary` of their samples and `value` is its median;
/// deterministic rows (sizes, counts, model outputs) have only `value`.
public struct ResultRow: Sendable {
    public var suite: String
    public var benchmark: String
    public var params: Params
    public var metric: String
    /// 1-based repetition of the whole suite run; set by the runner.
    public var repetition: Int = 1
    public var source: FigureSource
    public var gate: GateClass
    public var status: RowStatus
    public var value: Double?
    /// Unit of `value` and every summary statistic: "ticks", "bytes", "ns", "%", ...
    public var unit: String
    public var summary: Summary?
    public var migrationsDropped: Int?
    /// Free text: how a figure was derived, or why a row was skipped.
    public var note: String
    /// Raw samples (written only with `--samples`).
    public var samples: [Double]

    public init(suite: String, benchmark: String, params: Params = [:], metric: String,
                source: FigureSource, gate: GateClass, status: RowStatus = .ok, value: Double?, unit: String,
                summary: Summary? = nil, migrationsDropped: Int? = nil, note: String = "",
                samples: [Double] = []) {
        self.suite = suite; self.benchmark = benchmark; self.params = params; self.metric = metric
        self.source = source; self.gate = gate; self.status = status; self.value = value; self.unit = unit
        self.summary = summary; self.migrationsDropped = migrationsDropped; self.note = note
        self.samples = samples
    }

    /// A single figure (size, count, model output, derived value).  `gate`
    /// defaults to `.exact` for model and input figures and `.info` for
    /// measured and proxy ones; pass `.info` for a model figure computed from
    /// measured inputs, `.exact` for a measured figure that is deterministic
    /// (e.g. bytes an instruction wrote).
    public static func figure(_ suite: String, _ benchmark: String, _ params: Params = [:],
                              metric: String, _ value: Double, unit: String,
                              source: FigureSource, gate: GateClass? = nil,
                              note: String = "") -> ResultRow {
        ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric,
                  source: source,
                  gate: gate ?? ((source == .model || source == .input) ? .exact : .info),
                  value: value, unit: unit, note: note)
    }

    /// A timing figure in ticks from a measurement; `value` is the median.
    /// `gate` is `.timing`; set it to `.info` afterwards for figures that
    /// are not meant to be gated.
    /// A measurement whose every sample migrated becomes an error row.
    public static func timing(_ suite: String, _ benchmark: String, _ params: Params = [:],
                              metric: String, _ m: TimingSamples, source: FigureSource = .measured,
                              note: String = "") -> ResultRow {
        guard let s = m.summary else {
            return ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric,
                             source: source, gate: .timing, status: .error, value: nil, unit: "ticks",
                             migrationsDropped: m.migrationsDropped,
                             note: "every sample migrated between CPUs")
        }
        return ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric,
                         source: source, gate: .timing, value: s.median, unit: "ticks", summary: s,
                         migrationsDropped: m.migrationsDropped, note: note, samples: m.perOp)
    }

    /// A row for a benchmark that cannot run here, with the reason.
    public static func skipped(_ suite: String, _ benchmark: String, _ params: Params = [:],
                               metric: String, unit: String, source: FigureSource = .measured,
                               reason: String) -> ResultRow {
        ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric,
                  source: source, gate: .exact, status: .skipped, value: nil, unit: unit, note: reason)
    }

    /// The identity compare matches rows on.
    public var key: String { "\(suite)|\(benchmark)|\(params)|\(metric)" }
}
