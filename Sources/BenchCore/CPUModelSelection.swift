/// The one grammar of `--cpu-model` (and `--set cpu-model=`) for every
/// suite: `all`, `none`, or comma-separated names among the recorded CPUs
/// (`CPUCatalog.ids`) and `host`.
///
/// Suites that tabulate several CPUs (xsave) take every recorded CPU listed
/// (`all`: each of them; `host` adds nothing, the host is always measured).
/// Suites that model one CPU (fpstate-alloc) take the first one listed:
/// `all` is the first recorded CPU (spr), `none` and `host` are the host.
public struct CPUModelSelection: Sendable, Equatable {
    /// The names as given, lower-cased, `all` expanded, duplicates dropped.
    public let names: [String]

    public static let host = "host"
    /// Every value the grammar accepts, for help and shell completion.
    public static var allValues: [String] { CPUCatalog.ids + [host, "all", "none"] }

    public init(_ spec: String) throws {
        let spec = spec.trimmingCharacters(in: .whitespaces).lowercased()
        if spec == "all" { names = CPUCatalog.ids; return }
        if spec == "none" { names = []; return }
        var out: [String] = []
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {
            let name = part.trimmingCharacters(in: .whitespaces)
            guard name == Self.host || CPUCatalog.lookup(name) != nil else {
                throw BenchError.badInput("unknown CPU model '\(name)' (known: \(Self.allValues.joined(separator: ", ")); `all` and `none` stand alone)")
            }
            if !out.contains(name) { out.append(name) }
        }
        guard !out.isEmpty else { throw BenchError.badInput("--cpu-model is empty (known: \(Self.allValues.joined(separator: ", ")))") }
        names = out
    }

    /// The recorded CPUs listed, in order (`host` is not one).
    public var recorded: [RecordedCPU] { names.compactMap(CPUCatalog.lookup) }

    /// The CPU a one-CPU suite models: the first listed; the host for `none`.
    public func first(host: CPUDescription) -> CPUDescription {
        guard let name = names.first, let cpu = CPUCatalog.lookup(name) else { return host }
        return cpu.description
    }
}
