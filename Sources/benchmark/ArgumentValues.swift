import ArgumentParser
import BenchCore

/// An option value of comma-separated `Value`s (`--format csv,json`); help
/// and shell completion list every allowed `Value`.
struct CommaSeparated<Value: ExpressibleByArgument & CaseIterable>: ExpressibleByArgument {
    var values: [Value]
    /// The value as given, for parameters passed on to suites.
    var text: String

    init(_ values: [Value]) {
        self.values = values
        text = values.map(\.defaultValueDescription).joined(separator: ",")
    }

    init?(argument: String) {
        var values: [Value] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let v = Value(argument: part.trimmingCharacters(in: .whitespaces)) else { return nil }
            values.append(v)
        }
        guard !values.isEmpty else { return nil }
        self.values = values
        text = argument
    }

    var defaultValueDescription: String { text }
    static var allValueStrings: [String] { Value.allValueStrings }
    static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
}

/// A `--cpu-model` name: a recorded CPU id, `host`, `all` or `none`
/// (`CPUModelSelection` is the grammar; the cases come from the catalog).
struct CPUModelName: ExpressibleByArgument, CaseIterable {
    var name: String

    static var allCases: [CPUModelName] { CPUModelSelection.allValues.map { CPUModelName(name: $0) } }

    init(name: String) { self.name = name }

    init?(argument: String) {
        let n = argument.lowercased()
        guard CPUModelSelection.allValues.contains(n) else { return nil }
        name = n
    }

    var defaultValueDescription: String { name }
    static var allValueStrings: [String] { CPUModelSelection.allValues }
}
