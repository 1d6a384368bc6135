import Foundation

/// A test knob, off by default, that makes one benchmark do a known amount
/// of extra work, so a regression gate can be shown to catch a real
/// slowdown:
///
///     XFD_BENCH_SLOWDOWN=harness/add-chain-1000=0.10
///
/// asks the `add-chain-1000` benchmark of the `harness` suite for 10% more
/// work per operation.  Suites that honour it say so in `benchmark list`;
/// rows measured under it carry a note.  Two targets are faults for a
/// self-check to catch rather than slowdowns for the gate:
/// `rdmsr-exit/loop-fidelity` (more RDMSR work than planned) and
/// `harness/per_chain_over_slope` (longer amortised chains than the check
/// divides by).
public enum SlowdownKnob {
    public static let variable = "XFD_BENCH_SLOWDOWN"

    /// The benchmarks that honour the knob, `suite/benchmark`.  A target
    /// outside this list is refused before anything runs, so a typo cannot
    /// pass as "no slowdown".
    public static let targets: Set<String> = ["harness/add-chain-1000", "harness/per_chain_over_slope", "rdmsr-exit/loop-fidelity"]

    /// Throws `badInput` when the knob is set to a malformed value or a
    /// target no benchmark honours.
    public static func validate(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let spec = environment[variable], !spec.isEmpty else { return }
        _ = try fraction(suite: "", benchmark: "", environment: environment)
        let target = String(spec.split(separator: "=", maxSplits: 1)[0])
        guard targets.contains(target) else {
            throw BenchError.badInput("\(variable)=\(spec): no benchmark honours '\(target)' (known: \(targets.sorted().joined(separator: ", ")))")
        }
    }

    /// The extra fraction requested for `suite/benchmark` (0 when unset).
    /// A malformed value is bad input.
    public static func fraction(suite: String, benchmark: String,
                                environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double {
        guard let spec = environment[variable], !spec.isEmpty else { return 0 }
        let parts = spec.split(separator: "=", maxSplits: 1).map(String.init)
        guard parts.count == 2, let f = Double(parts[1]), f.isFinite, f >= 0, f <= 10 else {
            throw BenchError.badInput("\(variable)=\(spec): expected SUITE/BENCHMARK=FRACTION (0...10)")
        }
        return parts[0] == "\(suite)/\(benchmark)" ? f : 0
    }
}
