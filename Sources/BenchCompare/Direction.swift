import Foundation

/// Which way is better for a unit.
///
/// The rule: a unit is higher-is-better when it is a rate over time —
/// a frequency (`Hz`, `kHz`, `MHz`, `GHz`) or `X/T` with a time
/// denominator T in `s`, `ms`, `us`, `ns`, `tick`, `ticks`, `cycle`,
/// `cycles` (e.g. `bytes/tick`, `ops/s`).  Every other unit — durations
/// (`ticks`, `ns`), costs per operation (`ticks/op`), sizes, counts,
/// ratios, percentages — is lower-is-better.
public enum Direction: String, Sendable {
    case lowerIsBetter = "lower is better"
    case higherIsBetter = "higher is better"

    static let frequencies: Set<String> = ["hz", "khz", "mhz", "ghz"]
    static let timeDenominators: Set<String> = ["s", "sec", "ms", "us", "µs", "ns", "tick", "ticks",
                                                "cycle", "cycles"]

    public init(unit: String) {
        let u = unit.lowercased().trimmingCharacters(in: .whitespaces)
        if Direction.frequencies.contains(u) { self = .higherIsBetter; return }
        if let slash = u.lastIndex(of: "/") {
            let denominator = u[u.index(after: slash)...].trimmingCharacters(in: .whitespaces)
            if Direction.timeDenominators.contains(denominator) { self = .higherIsBetter; return }
        }
        self = .lowerIsBetter
    }
}
