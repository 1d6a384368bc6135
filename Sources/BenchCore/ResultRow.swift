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
    /// A timed run of modelled work: real code and the real TSC, with
    /// injected costs standing for work that cannot run here (e.g. a
    /// simulated vm-exit loop whose exits are calibrated dependent adds).
    /// The timing is real; what it stands for is only as good as the
    /// injected costs.
    case simulated
}

/// Whether a row holds a figure.
public enum RowStatus: String, Sendable, Codable, CaseIterable {
    case ok
    /// The benchmark could not run here; `note` says why.
    case skipped
    /// The benchmark ran and failed; `note` says how.
    case error
    /// A self-check ran and its figure is outside its tolerance; `value`
    /// holds the figure and `note` the expectation and the tolerance.
    case failed
    /// A self-check on a timed figure stayed outside its tolerance on every
    /// attempt while the machine's speed calibration moved beyond its
    /// tolerance between them (`TimedCheck`): no evidence either way.
    /// `value` holds the last attempt's figure, `note` every attempt.
    /// Reported with a warning; not a failure (exit 0).
    case disturbed
}

/// What a figure depends on besides the code.  `compare` gates a row across
/// two runs only when what it depends on is the same in both; otherwise the
/// row is reported with the reason.  Stated where the row is made, written
/// to the CSV (`depends`), never guessed from parameter names.
public enum HostDependency: String, Sendable, Codable, CaseIterable {
    /// The code and fixed inputs only (recorded CPU descriptions, model
    /// constants, user-given values): the same on every host.
    case none
    /// This host's CPU as the suites see it: CPUID identity and the enabled
    /// XCR0 (`cpu_identity` in environment.json).
    case cpu
    /// The running kernel's version, major.minor (`kernel_identity`): a
    /// model output of fixed inputs under rules the running kernel's
    /// version selected (the version is also in the row's parameters).
    case kernel
    /// This host's CPU and its running kernel's version (`cpu_identity` and
    /// `kernel_identity`): e.g. a size the kernel reports for this CPU, or
    /// this CPU's sizes under the running kernel's rules.
    case cpuKernel = "cpu+kernel"
    /// The machine and its state: timings and anything else measured that
    /// varies with load, frequency or the hypervisor (`host_fingerprint`).
    case machine
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
    public var depends: HostDependency
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
    /// `value` in nanoseconds at the run's TSC frequency, for rows in
    /// ticks; set by `withTickConversions` before reporters run.
    public var medianNanoseconds: Double? = nil
    /// `value` in estimated core cycles (ticks / ticks per core cycle of
    /// the run's add-chain calibration), for rows in ticks; nil without a
    /// calibration.  Set by `withTickConversions`.
    public var medianCoreCyclesEst: Double? = nil

    public init(suite: String, benchmark: String, params: Params = [:], metric: String,
                source: FigureSource, gate: GateClass, depends: HostDependency, status: RowStatus = .ok,
                value: Double?, unit: String,
                summary: Summary? = nil, migrationsDropped: Int? = nil, note: String = "",
                samples: [Double] = []) {
        self.suite = suite; self.benchmark = benchmark; self.params = params; self.metric = metric
        self.source = source; self.gate = gate; self.depends = depends; self.status = status
        self.value = value; self.unit = unit
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
                              source: FigureSource, gate: GateClass? = nil, depends: HostDependency,
                              note: String = "") -> ResultRow {
        ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric,
                  source: source,
                  gate: gate ?? ((source == .model || source == .input) ? .exact : .info),
                  depends: depends, value: value, unit: unit, note: note)
    }

    /// A self-check: `value` must lie within `tolerance` of `expected`
    /// (absolute, in `unit`).  Outside it the row's status is `failed`, which
    /// the runner turns into a "CHECK FAILED" line and a non-zero exit, and
    /// `compare` into a regression.  `note` says what is checked against what.
    public static func check(_ suite: String, _ benchmark: String, _ params: Params = [:],
                             metric: String, _ value: Double, expected: Double, tolerance: Double,
                             unit: String, source: FigureSource, gate: GateClass = .info,
                             depends: HostDependency, note: String) -> ResultRow {
        let within = value.isFinite && expected.isFinite && abs(value - expected) <= tolerance
        let verdict = within ? "within" : "OUTSIDE"
        return ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric,
                         source: source, gate: gate, depends: depends, status: within ? .ok : .failed,
                         value: value, unit: unit,
                         note: "\(note); expected \(CSV.number(expected)) ± \(CSV.number(tolerance)) \(unit): \(verdict)")
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
                             source: source, gate: .timing, depends: .machine, status: .error,
                             value: nil, unit: "ticks",
                             migrationsDropped: m.migrationsDropped,
                             note: "every sample migrated between CPUs")
        }
        return ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric,
                         source: source, gate: .timing, depends: .machine, value: s.median, unit: "ticks",
                         summary: s,
                         migrationsDropped: m.migrationsDropped, note: note, samples: m.perOp)
    }

    /// A row for a benchmark that cannot run here, with the reason.  Whether
    /// it runs is itself a figure (`gate` exact): `depends` says what decided
    /// it, usually `.cpu` (a missing feature).
    public static func skipped(_ suite: String, _ benchmark: String, _ params: Params = [:],
                               metric: String, unit: String, source: FigureSource = .measured,
                               depends: HostDependency, reason: String) -> ResultRow {
        ResultRow(suite: suite, benchmark: benchmark, params: params, metric: metric,
                  source: source, gate: .exact, depends: depends, status: .skipped, value: nil,
                  unit: unit, note: reason)
    }

    /// This row with its value in ticks converted to nanoseconds (`tscHz`,
    /// ticks per second) and estimated core cycles; rows in other units, or
    /// without a value, get no conversion.
    public func withTickConversions(tscHz: Double, ticksPerCoreCycle: Double?) -> ResultRow {
        var r = self
        guard unit == "ticks", let v = value else {
            r.medianNanoseconds = nil; r.medianCoreCyclesEst = nil
            return r
        }
        r.medianNanoseconds = v * 1e9 / tscHz
        r.medianCoreCyclesEst = ticksPerCoreCycle.map { v / $0 }
        return r
    }

    /// The identity compare matches rows on.
    public var key: String { ReportSchema.key(suite: suite, benchmark: benchmark, params: params.description, metric: metric) }
}
