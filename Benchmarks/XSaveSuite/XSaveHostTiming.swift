import BenchCore
import CXState

/// Runs the host's timing cases and turns them into rows.
///
/// Three phases.  Setup, per case: the probe saves (bytes written, extent,
/// XSTATE_BV), XINUSE right after the preparation, the inner count.  Then
/// `rounds` interleaved rounds, each taking `samples / rounds` samples of
/// every case in turn, so that a slow spell of the shared machine (another
/// process on the sibling thread, a frequency change) lands on a slice of
/// every case instead of all the samples of a few.  Last, the pooled
/// samples become rows.
struct XSaveHostTiming {
    let suite = "xsave"
    let host: CPUDescription
    let workspace: XSaveWorkspace
    let kernel: TimingKernel
    /// Samples per case, over all rounds.
    let samples: Int
    let rounds: Int
    let tiles: AMXTileSource?
    let amxPermitted: Bool

    /// Median ticks per case, for highlights and the AMX estimate:
    /// key "set|state|op".
    private(set) var medians: [String: Double] = [:]
    /// Bytes each probe save wrote.
    private(set) var probes = ProbeBytes()
    /// Sets with at least one measured case, in architectural order.
    private(set) var measuredSets: [XSaveFeatureSet] = []
    /// Masks of those sets.
    private(set) var masks: [XSaveFeatureSet: UInt64] = [:]

    func median(_ set: XSaveFeatureSet, _ state: StateCondition, _ op: TimedOp) -> Double? {
        medians["\(set.label)|\(state.rawValue)|\(op.rawValue)"]
    }

    /// Target length of the short region: long enough that the TSC's
    /// ~24-tick step is under 0.1% of it, short enough for --quick.
    static let targetTicks = 30_000.0
    /// Untimed work before the first round, in ticks (~40 ms), so the first
    /// case does not meet a core still ramping up from idle.
    static let warmupTicks: UInt64 = 100_000_000

    /// A runnable case after setup.
    struct Prepared {
        var c: TimingCase
        var prep: StatePreparation
        var inner: Int
        /// Rows from setup (probes, XINUSE), emitted before the timing row.
        var rows: [ResultRow]
        var notes: String
        var pooled = TimingSamples(perOp: [])
        /// XSTATE_BV the timed loop left in its work buffer (saves and pairs), last round.
        var loopBV: UInt64 = 0
    }

    /// Progress steps `run` takes: one for setup, one per round.
    var progressSteps: Int { 1 + rounds }

    mutating func run(_ cases: [TimingCase], progress: Progress) throws -> [ResultRow] {
        try progress.step("timing setup")
        var order: [Int] = []          // index into `prepared`, or -1 with the skip rows
        var skipRows: [[ResultRow]] = []
        var prepared: [Prepared] = []
        for c in cases {
            if let row = Self.skippedRow(c) {
                skipRows.append([row])
                order.append(-skipRows.count)
            } else {
                prepared.append(setup(c))
                order.append(prepared.count - 1)
            }
        }

        if let first = prepared.first {
            let body = workspace.body(first.c.op, first.prep)
            let t0 = cx_rdtsc_fenced()
            while cx_rdtsc_fenced() &- t0 < Self.warmupTicks { body(first.inner) }
        }
        let perRound = max(1, samples / rounds)
        for r in 0..<rounds {
            try progress.step("timing round \(r + 1)/\(rounds)")
            for i in prepared.indices {
                let p = prepared[i]
                if p.c.op == .xrstor || p.c.op == .xrstorCompacted {
                    workspace.captureImage(p.prep, compacted: p.c.op.compacted)
                }
                workspace.resetWorkBuffers()
                let m = kernel.measure(inner: p.inner, samples: perRound, warmup: 2, workspace.body(p.c.op, p.prep))
                prepared[i].pooled.perOp += m.perOp
                prepared[i].pooled.shortRegions += m.shortRegions
                prepared[i].pooled.longRegions += m.longRegions
                prepared[i].pooled.migrationsDropped += m.migrationsDropped
                prepared[i].pooled.inner = p.inner
                prepared[i].loopBV = workspace.workXStateBV(p.c.op)
                if p.c.mask & 0x200 != 0 { workspace.restorePKRU() }
            }
        }

        var rows: [ResultRow] = []
        for o in order {
            if o < 0 { rows += skipRows[-o - 1] } else { rows += finish(prepared[o]) }
        }
        return rows
    }

    /// The row of a case the plan skipped, or nil for a runnable case.  An
    /// unsupported set is one row; an unavailable instruction is one per case.
    static func skippedRow(_ c: TimingCase) -> ResultRow? {
        guard let reason = c.skipReason else { return nil }
        let p: Params = reason.hasPrefix("not supported")
            ? ["cpu": "host", "set": c.set.label, "mask": hex(c.mask)]
            : ["cpu": "host", "set": c.set.label, "mask": hex(c.mask), "state": c.state.rawValue, "op": c.op.rawValue]
        return .skipped("xsave", "save-restore", p, metric: "per_op", unit: "ticks", depends: .cpu, reason: reason)
    }

    static func key(_ c: TimingCase) -> String { "\(c.set.label)|\(c.state.rawValue)|\(c.op.rawValue)" }

    func params(_ c: TimingCase) -> Params {
        ["cpu": "host", "set": c.set.label, "mask": hex(c.mask), "state": c.state.rawValue, "op": c.op.rawValue]
    }

    /// Probes, XINUSE and the inner count of one runnable case.
    mutating func setup(_ c: TimingCase) -> Prepared {
        let p = params(c)
        let d = XSaveTimingPlan.dirtying(for: c.mask, cpu: host, amxPermitted: amxPermitted)
        let prep = workspace.preparation(c.state, mask: c.mask, dirty: d, tiles: d.tiles ? tiles : nil)
        defer { if c.mask & 0x200 != 0 { workspace.restorePKRU() } }
        var rows: [ResultRow] = []
        if c.op.isSave, let instruction = c.op.instructions.first {
            // Twice: a figure gated exactly must come out the same every time.
            let a = workspace.probeSave(instruction, prep), b = workspace.probeSave(instruction, prep)
            let stable = a == b
            let gate: GateClass = stable ? .exact : .info
            let why = stable ? "" : "; two probes differed (\(a.bytesWritten) vs \(b.bytesWritten)), so not gated"
            let computed = c.op.compacted ? workspace.layout.compactedSize(for: c.mask)
                                          : workspace.layout.standardSize(for: c.mask)
            rows.append(.figure(suite, "save-restore", p, metric: "bytes_written", Double(a.bytesWritten),
                                unit: "bytes", source: .measured, gate: gate,
                                depends: .cpu, note: "bytes differing from the 0xA5 sentinel after one save" + why))
            rows.append(.figure(suite, "save-restore", p, metric: "write_extent", Double(a.extent),
                                unit: "bytes", source: .measured, gate: gate,
                                depends: .cpu, note: "one past the last byte written; computed image size \(computed)" + why))
            let probeBV = a.xstateBV & c.mask
            var bv = ResultRow.figure(suite, "save-restore", p, metric: "xstate_bv_probe", Double(probeBV),
                                      unit: "mask", source: .measured, gate: .info,
                                      depends: .cpu, note: "XSTATE_BV \(hex(probeBV)) of the probe save (bits of the mask; XSAVE leaves the others as they were); components dirtied: \(hex(c.dirtied))")
            if a.extent > computed {
                bv.status = .error
                bv.note += "; the save wrote past the computed size \(computed)"
            }
            rows.append(bv)
            probes.record(c.set, c.state, c.op, bytes: a.bytesWritten)
        }

        var notes = ""
        if c.op == .xrstor || c.op == .xrstorCompacted {
            let bv = workspace.captureImage(prep, compacted: c.op.compacted)
            notes += "; image XSTATE_BV \(hex(bv))"
            rows.append(.figure(suite, "save-restore", p, metric: "image_xstate_bv", Double(bv), unit: "mask",
                                source: .measured, gate: .info,
                                depends: .cpu, note: "XSTATE_BV of the image the XRSTOR loop reads" + (bv & c.mask == 0 ? " (all init)" : "")))
        }

        if host.features.xgetbv1 {
            let x = workspace.xinuse(after: prep)
            notes += "; XINUSE after preparation \(hex(x))"
            rows.append(.figure(suite, "save-restore", p, metric: "xinuse", Double(x), unit: "mask",
                                source: .measured, gate: .info,
                                depends: .cpu, note: "XGETBV(1) right after the preparation every region starts with"))
        }

        workspace.resetWorkBuffers()
        let inner = kernel.innerCount(targetTicks: Self.targetTicks, maxInner: 8192,
                                      workspace.body(c.op, prep))
        return Prepared(c: c, prep: prep, inner: inner, rows: rows, notes: notes)
    }

    /// The setup rows, the pooled timing row and what derives from it.
    mutating func finish(_ pc: Prepared) -> [ResultRow] {
        let c = pc.c, p = params(c), m = pc.pooled
        var rows = pc.rows
        rows.append(.timing(suite, "save-restore", p, metric: "per_op", m,
                            note: "amortised ticks per \(c.op.isPair ? "save+restore pair" : "instruction"), "
                                + "inner \(pc.inner), \(rounds) interleaved rounds; preparation (\(prepNote(c))) once per region, cancelled by differencing"
                                + pc.notes + opNote(c.op)))
        if c.op.isSave || c.op.isPair {
            let bv = pc.loopBV & c.mask
            rows.append(.figure(suite, "save-restore", p, metric: "xstate_bv", Double(bv), unit: "mask",
                                source: .measured, gate: .info,
                                depends: .cpu, note: "XSTATE_BV \(hex(bv)) in the work buffer after this case's timed loop (last round)"))
        }
        if let med = m.summary?.median {
            medians[Self.key(c)] = med
            if !measuredSets.contains(c.set) { measuredSets.append(c.set); masks[c.set] = c.mask }
            if !c.op.isPair, let from = ProbeBytes.probe(for: c.op), let bytes = probes.bytes(c.set, c.state, c.op), med > 0 {
                let what = from == c.op ? "this case's probe \(from.rawValue) wrote"
                                        : "the \(from.rawValue) probe of this state wrote (the image \(c.op.rawValue) reads back)"
                rows.append(.figure(suite, "save-restore", p, metric: "bytes_per_tick", Double(bytes) / med,
                                    unit: "bytes/tick", source: .measured, gate: .info,
                                    depends: .machine, note: "bytes \(what) (\(bytes) B) / median ticks"))
            }
        }
        return rows
    }

    func prepNote(_ c: TimingCase) -> String {
        switch c.state {
        case .clean: return "XRSTOR of an XSTATE_BV=0 image, mask \(hex(c.mask))"
        case .dirty:
            let d = XSaveTimingPlan.dirtying(for: c.mask, cpu: host, amxPermitted: amxPermitted)
            var parts: [String] = []
            if d.avx512 { parts.append("ZMM0-31 and k1-7 written") }
            else if d.avx { parts.append("YMM0-15 written") }
            else if d.sse { parts.append("XMM0-15 written") }
            if d.pkru { parts.append("PKRU restored to the process's value, not written") }
            if d.tiles { parts.append("LDTILECFG + TILELOADD of 8 tiles") }
            return parts.joined(separator: ", ")
        }
    }

    func opNote(_ op: TimedOp) -> String {
        switch op {
        case .xsaveopt:
            return "; XSAVEOPT to the same buffer may skip components unchanged since they were last saved there (modified optimisation) and init ones (init optimisation): that is the instruction's real behaviour"
        case .pairOpt:
            return "; XRSTOR from the buffer XSAVEOPT then saves to is exactly the case the modified optimisation tracks"
        case .xsavec, .pairCompacted:
            return "; XSAVEC skips init components (init optimisation)"
        default:
            return ""
        }
    }
}

/// Bytes written by each probe save, by feature set, state and save
/// instruction: XSAVE and XSAVEOPT write the same format but not the same
/// bytes (XSAVEOPT may skip components), so each keeps its own count.
struct ProbeBytes {
    private var bytes: [String: Int] = [:]

    /// The save whose probe gives `op`'s byte count: the op itself for a
    /// save, the save that wrote the image for a restore; nil for pairs.
    static func probe(for op: TimedOp) -> TimedOp? {
        switch op {
        case .xsave, .xsaveopt, .xsavec: return op
        case .xrstor: return .xsave
        case .xrstorCompacted: return .xsavec
        case .pairStandard, .pairOpt, .pairCompacted: return nil
        }
    }

    static func key(_ set: XSaveFeatureSet, _ state: StateCondition, _ save: TimedOp) -> String {
        "\(set.label)|\(state.rawValue)|\(save.rawValue)"
    }

    /// Records what the probe of save `op` wrote.  Precondition: `op.isSave`.
    mutating func record(_ set: XSaveFeatureSet, _ state: StateCondition, _ op: TimedOp, bytes n: Int) {
        bytes[Self.key(set, state, op)] = n
    }

    /// Bytes behind `op`'s rate (see `probe(for:)`), or nil when not probed.
    func bytes(_ set: XSaveFeatureSet, _ state: StateCondition, _ op: TimedOp) -> Int? {
        Self.probe(for: op).flatMap { bytes[Self.key(set, state, $0)] }
    }
}
