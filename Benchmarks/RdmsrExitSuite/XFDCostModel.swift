import BenchCore

/// The analytic side of the suite: closed forms that turn per-exit costs
/// into break-even write rates, CPU shares and fleet aggregates.  Pure
/// functions; units are stated per function.
public enum XFDCostModel {
    /// Guest XFD writes per vm-exit above which `always-intercept` costs more
    /// than reading IA32_XFD after every exit that leaves the fastpath loop.
    ///
    /// A read policy pays `rdmsr` on the share `slowShare` of exits that
    /// leave `vcpu_enter_guest`'s loop (fastpath re-entries never read);
    /// always-intercept pays, per guest write, one extra exit:
    /// `roundTrip + writeHandler`.  The WRMSR itself runs under both (by the
    /// guest or by KVM) and cancels.  So with `w` writes per exit the two
    /// cost the same when
    ///
    ///     w * (roundTrip + writeHandler) = rdmsr * slowShare
    ///
    /// Costs in one unit (core cycles or ticks).  XFD faults are left out:
    /// their XFD_ERR-clear exit is paid under both, and the #NM exit a read
    /// policy adds is rare (a task's first AMX use).
    /// Precondition: roundTrip + writeHandler > 0, slowShare in 0...1.
    public static func breakEvenWritesPerExit(rdmsr: Double, roundTrip: Double, writeHandler: Double,
                                              slowShare: Double) -> Double {
        precondition(roundTrip + writeHandler > 0 && (0...1).contains(slowShare))
        return rdmsr * slowShare / (roundTrip + writeHandler)
    }

    /// Per-exit cost difference, always-intercept minus a read policy, for
    /// a guest writing XFD once every `interval` exits (no XFD faults):
    /// `(roundTrip + writeHandler) / interval - rdmsr * slowShare`.
    /// Positive means always-intercept is dearer.  Units as the inputs.
    public static func alwaysMinusReadPerExit(rdmsr: Double, roundTrip: Double, writeHandler: Double,
                                              interval: Double, slowShare: Double) -> Double {
        precondition(interval > 0)
        return (roundTrip + writeHandler) / interval - rdmsr * slowShare
    }

    /// Fraction of one vCPU's time (0...1 and beyond when saturated) spent on
    /// `overheadTicks` per exit at `exitsPerSecond`, with a TSC of `tscHz`.
    public static func cpuShare(overheadTicks: Double, exitsPerSecond: Double, tscHz: Double) -> Double {
        precondition(tscHz > 0)
        return overheadTicks * exitsPerSecond / tscHz
    }

    /// Weighted mean of per-guest-kind figures by `fleet` weights.
    /// Precondition: every weighted kind has a figure, weights sum > 0.
    public static func fleetAggregate(_ perGuest: [GuestKind: Double], fleet: FleetMix) -> Double {
        var sum = 0.0
        for (kind, weight) in fleet.weights where weight > 0 {
            sum += weight * (perGuest[kind] ?? .nan)
        }
        return sum / fleet.total
    }
}

/// Shares of guest kinds in a fleet of vCPUs, e.g. `legacy=30,linux=50,some-amx=10,amx=10`.
public struct FleetMix: Sendable, Equatable {
    /// A fleet offered AMX in CPUID: mostly current Linux guests that never
    /// run an AMX task, some older or non-Linux guests without XFD, few AMX users.
    public static let defaultSpec = "legacy=30,linux=50,some-amx=10,amx=10"
    public let weights: [GuestKind: Double]
    public var total: Double { weights.values.reduce(0, +) }

    public init(_ spec: String) throws {
        var w: [GuestKind: Double] = [:]
        for part in spec.split(separator: ",", omittingEmptySubsequences: false) {  // an empty item fails
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let kind = GuestKind.allCases.first(where: { $0.fleetKey == kv[0] }),
                  let v = Double(kv[1]), v.isFinite, v >= 0, v <= 1e9 else {
                throw BenchError.badInput("fleet=\(spec): expected legacy=W,linux=W,some-amx=W,amx=W with weights in 0...1e9")
            }
            w[kind] = v
        }
        guard w.values.reduce(0, +) > 0 else { throw BenchError.badInput("fleet=\(spec): weights must not all be zero") }
        weights = w
    }

    /// `legacy=30,linux=50,some-amx=10,amx=10` in a stable order.
    public var description: String {
        GuestKind.allCases.compactMap { k in weights[k].map { "\(k.fleetKey)=\(Self.format($0))" } }.joined(separator: ",")
    }

    private static func format(_ v: Double) -> String {
        v == v.rounded() ? String(Int(v)) : String(v)
    }
}
