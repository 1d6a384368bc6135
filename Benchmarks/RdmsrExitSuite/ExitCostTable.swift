import BenchCore
import Foundation

/// One figure of the exit cost table.
public enum ExitCostItem: Hashable, Sendable, CustomStringConvertible {
    /// VM exit + VM entry, paid by every exit (and every extra exit).
    case roundTrip
    /// Work of the exit reason's handler, on top of the round trip.
    case handler(ExitReason)

    public static let all: [ExitCostItem] = [.roundTrip] + ExitReason.allCases.map { .handler($0) }

    /// `round-trip`, or the reason's name.
    public var description: String {
        switch self {
        case .roundTrip: return "round-trip"
        case .handler(let r): return r.rawValue
        }
    }
}

/// A cost in core cycles with where it comes from.
public struct ExitCostEntry: Sendable, Equatable {
    public var cycles: Int
    /// `model` (a constant of this table), `input` (the user's) or
    /// `measured` (an exit cost measured on this host, e.g. by the `kvm` suite).
    public var source: FigureSource
    /// What the figure is and where it comes from.
    public var citation: String

    public init(cycles: Int, source: FigureSource, citation: String) {
        self.cycles = cycles; self.source = source; self.citation = citation
    }
}

/// An exit cost measured on this host, converted to core cycles by the
/// measuring code (which knows its own tick-to-cycle scale).
public struct MeasuredExitCost: Sendable, Equatable {
    public var cycles: Double
    /// What was measured and how, e.g. "kvm suite, KVM_RUN CPUID exit, median of 1,001".
    public var origin: String
    public init(cycles: Double, origin: String) { self.cycles = cycles; self.origin = origin }
}

/// The exit costs the simulated loop injects, each with its source.
///
/// The constants below are the fallback (`model`).  A measured cost given
/// to `init(measured:userCycles:)` becomes the default (`measured`), a
/// user's value wins over both (`input`); the model constant stays visible
/// next to the one in use (`rows`), so a report always shows both.
///
/// | item       | cycles | where the model figure comes from |
/// |------------|--------|-----------------------------------|
/// | round-trip |    950 | with the 110-cycle CPUID handler a CPUID exit totals 1,060, inside ~1,020-1,110 TSC cycles said to be kvm-unit-tests `vmexit` results on modern Intel (2024): **unverified**, no public source found. (A "2021 KVM-list ~1,500 / ~2,000 cycles" estimate once quoted here was found in no public source: it is neither an anchor nor a grid point.) |
/// | cpuid      |    110 | the same unverified CPUID figure minus the round trip |
/// | io         |  1,650 | Michael Roth, LKML, Dec 2020 (AMD SVM): KVM_RUN ioctl entry to exit 2,528 cycles, VMRUN segment 1,376; the ~1,150 outside VMRUN is in-kernel KVM_RUN work an exit to user space leaves and redoes (an upper bound: it includes the handling every exit does), plus ~500, **this project's estimate** (no source) for what that figure does not contain: the ioctl return and re-entry and the VMM's device work. The FPU swap is real XSAVE/XRSTOR, not in this figure |
/// | msr-write  |    400 | estimate: TSC_DEADLINE write re-arming the timer; also the slow-path handler of a trapped XFD write and of the guest's XFD_ERR clear |
/// | ipi        |    300 | estimate: x2APIC ICR write, IPI delivery to the target vCPU |
/// | extint     |    600 | estimate: host interrupt handler run after the exit |
/// | hlt        |    300 | estimate: handler only; time spent halted is not exit-path cost |
/// | ept        |    800 | estimate: guest page-table walk and MMU update |
/// | preempt    |    150 | estimate: timer expiry bookkeeping |
/// | nm         |    250 | estimate: exception reinjection |
/// | hlt-wake   |    150 | estimate: HLT fastpath with a wake event pending |
/// | wrmsrns-imm|    400 | estimate: as msr-write |
/// | ipi-other  |    300 | estimate: as ipi |
/// | invd       |    150 | estimate: INVD fastpath (nothing to flush under VMX) |
/// | other      |    500 | estimate: an exit of a reason the model has no handler for |
public struct ExitCostTable: Sendable, Equatable {
    public static let modelCycles: [ExitCostItem: Int] = [
        .roundTrip: 950, .handler(.cpuid): 110, .handler(.io): 1_650, .handler(.msrWrite): 400,
        .handler(.ipi): 300, .handler(.externalInterrupt): 600, .handler(.hlt): 300,
        .handler(.eptViolation): 800, .handler(.preemptionTimer): 150, .handler(.nm): 250,
        .handler(.hltWake): 150, .handler(.msrImmediate): 400, .handler(.ipiOther): 300, .handler(.invd): 150,
        .handler(.other): 500,
    ]

    static let roundTripCitation = "VM exit + entry: 950 + cpuid 110 = 1,060, inside ~1,020-1,110 TSC cycles attributed to kvm-unit-tests vmexit on modern Intel (2024), unverified (no public source found)"

    public static func modelCitation(_ item: ExitCostItem) -> String {
        switch item {
        case .roundTrip: return roundTripCitation
        case .handler(.cpuid): return "CPUID handler: the unverified ~1,020-1,110-cycle CPUID exit minus the 950-cycle round trip"
        case .handler(.io): return "in-kernel KVM_RUN work outside VMRUN ~1,150 (ioctl entry to exit 2,528 - VMRUN 1,376 cycles, M. Roth, LKML Dec 2020, AMD SVM; an upper bound) + 500, this project's estimate (unsourced), for the ioctl return/re-entry and VMM device work; the FPU swap is timed separately"
        case .handler(.msrWrite): return "estimate: TSC_DEADLINE write re-arming the timer; also the slow-path WRMSR handler of trapped XFD writes and XFD_ERR clears"
        case .handler(.ipi): return "estimate: x2APIC ICR write delivering an IPI"
        case .handler(.externalInterrupt): return "estimate: host interrupt handler after the exit"
        case .handler(.hlt): return "estimate: HLT handler only (time halted is not exit-path cost)"
        case .handler(.eptViolation): return "estimate: guest page-table walk and MMU update"
        case .handler(.preemptionTimer): return "estimate: timer expiry bookkeeping"
        case .handler(.nm): return "estimate: #NM reinjection"
        case .handler(.hltWake): return "estimate: HLT fastpath with a wake event pending"
        case .handler(.msrImmediate): return "estimate: immediate-form WRMSRNS, as msr-write"
        case .handler(.ipiOther): return "estimate: x2APIC ICR write other than a fast IPI, as ipi"
        case .handler(.invd): return "estimate: INVD fastpath"
        case .handler(.other): return "estimate: an exit of a reason the model has no handler for"
        }
    }

    /// The model constants, always kept: the fallback and the comparison.
    public let model: [ExitCostItem: ExitCostEntry]
    /// The entries in use.
    public private(set) var entries: [ExitCostItem: ExitCostEntry]

    /// `measured`: costs measured on this host (default over the model);
    /// `userCycles`: the user's values (over both).  Measured values outside
    /// 0...cap are ignored (the model stays), so a broken measurement cannot
    /// poison the loop.
    public init(measured: [ExitCostItem: MeasuredExitCost] = [:], userCycles: [ExitCostItem: Int] = [:]) {
        var m: [ExitCostItem: ExitCostEntry] = [:]
        for item in ExitCostItem.all {
            m[item] = ExitCostEntry(cycles: Self.modelCycles[item] ?? 0, source: .model, citation: Self.modelCitation(item))
        }
        model = m
        entries = m
        for (item, cost) in measured where cost.cycles.isFinite && cost.cycles >= 0 && cost.cycles <= Double(Self.cap) {
            entries[item] = ExitCostEntry(cycles: Int(cost.cycles.rounded()), source: .measured, citation: cost.origin)
        }
        for (item, c) in userCycles {
            entries[item] = ExitCostEntry(cycles: c, source: .input, citation: "given by the user")
        }
    }

    /// Largest accepted cost: a quarter of what one exit's word can hold.
    public static let cap = ExitPlan.maxAddsPerExit / 4

    public subscript(reason: ExitReason) -> Int { entries[.handler(reason)]?.cycles ?? 0 }
    public var roundTrip: Int { entries[.roundTrip]?.cycles ?? 0 }
    public func entry(_ item: ExitCostItem) -> ExitCostEntry? { entries[item] }

    /// Every cost zero: the loop-overhead measurement.
    public static var zero: ExitCostTable {
        ExitCostTable(userCycles: Dictionary(uniqueKeysWithValues: ExitCostItem.all.map { ($0, 0) }))
    }

    /// True when any entry in use is not the model constant.
    public var hasNonModelEntry: Bool { entries.values.contains { $0.source != .model } }

    /// Parses `spec` into user values: empty or `builtin` (none), inline
    /// `item=cycles,item=cycles` (items: `round-trip` or a reason), or the
    /// path of a file with one `item = cycles` per line (`#` starts a
    /// comment).  Throws `BenchError.badInput` on anything else.
    public static func parseUserCycles(_ spec: String) throws -> [ExitCostItem: Int] {
        let trimmed = spec.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty || trimmed == "builtin" { return [:] }
        let text: String, what: String
        if trimmed.contains("=") {
            guard !ParameterKind.list(trimmed).contains("") else {
                throw BenchError.badInput("cost-table=\(trimmed): empty item in the list")
            }
            text = trimmed.replacingOccurrences(of: ",", with: "\n"); what = "cost-table"
        } else {
            guard let t = try? String(contentsOfFile: trimmed, encoding: .utf8) else {
                throw BenchError.badInput("cost-table=\(trimmed): cannot read the file (or give reason=cycles,...)")
            }
            text = t; what = "cost-table file \(trimmed)"
        }
        var out: [ExitCostItem: Int] = [:]
        for raw in text.split(separator: "\n") {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0]
                .trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            let kv = line.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2, let item = ExitCostItem.all.first(where: { $0.description == kv[0] }) else {
                throw BenchError.badInput("\(what): '\(line)': expected item=cycles with item one of "
                    + ExitCostItem.all.map(\.description).joined(separator: ", "))
            }
            guard let c = Int(kv[1]), (0...cap).contains(c) else {
                throw BenchError.badInput("\(what): '\(line)': cycles must be an integer in 0...\(cap)")
            }
            out[item] = c
        }
        return out
    }

    /// `item=cycles,...` in a stable order, for notes.
    public var description: String {
        ExitCostItem.all.map { "\($0)=\(entries[$0]?.cycles ?? 0)" }.joined(separator: ",")
    }

    /// One row per item and basis: the model constant always, and the entry
    /// in use when it is not the model (measured or input), so both are in
    /// the report.  `used` says which one the loop injects.
    public func rows(suite: String) -> [ResultRow] {
        var out: [ResultRow] = []
        for item in ExitCostItem.all {
            guard let m = model[item], let e = entries[item] else { continue }
            let inUse = e.source == .model
            out.append(.figure(suite, "cost-table", ["item": item.description, "basis": "model"], metric: "cycles",
                               Double(m.cycles), unit: "cycles", source: .model, depends: .none,
                               note: m.citation + (inUse ? "; used" : "; fallback, not used: \(e.source.rawValue) value in use")))
            if !inUse {
                out.append(.figure(suite, "cost-table", ["item": item.description, "basis": e.source.rawValue], metric: "cycles",
                                   Double(e.cycles), unit: "cycles", source: e.source,
                                   depends: e.source == .measured ? .machine : .none, note: e.citation + "; used"))
            }
        }
        return out
    }
}
