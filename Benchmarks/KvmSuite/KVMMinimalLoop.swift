import BenchCore
import CKVM
import Foundation

/// The independent figure for `exit`: a minimal host loop of KVM_RUNs on a
/// guest that does nothing but the exit, timed on the host as a whole, in
/// long and in real mode, next to the guest-timed figure.
///
/// - port-write: every KVM_RUN ends at one OUT; ticks of the loop / runs.
/// - cpuid: each KVM_RUN makes K (then 2K) CPUID exits handled in the
///   kernel before one OUT; per CPUID exit = (t(2K) - t(K)) / (runs x K),
///   so the port-write round trip cancels.
/// - guest_timed_minus_loop: in alternating rounds, one guest-timed sample
///   pair of the suite's own program and one minimal-loop sample: the
///   per-round difference, so its spread comes from paired samples.
enum KVMMinimalLoop {
    static let runsPerSample = 16

    static let metrics: [(metric: String, exit: String, mode: String, setCPUID: Bool)] = [
        ("loop_per_exit", "port-write", "long", true),
        ("loop_per_exit", "port-write", "long", false),
        ("loop_per_exit", "port-write", "real", true),
        ("loop_per_exit", "cpuid", "long", true),
        ("loop_per_exit", "cpuid", "real", true),
        ("per_instruction_between_exits", "port-write", "long", true),
        ("guest_timed_minus_loop", "port-write", "long", true),
        ("guest_timed_minus_loop", "cpuid", "long", true),
    ]

    static func params(_ base: Params, exit: String, mode: String, setCPUID: Bool) -> Params {
        Params(base.pairs.map { ($0.key, $0.value) } + [("exit", exit), ("mode", mode), ("cpuid", setCPUID ? "supported" : "none")])
    }

    static func skipped(_ suite: String, _ base: Params, reason: String) -> [ResultRow] {
        metrics.map {
            .skipped(suite, "exit-minimal", params(base, exit: $0.exit, mode: $0.mode, setCPUID: $0.setCPUID),
                     metric: $0.metric, unit: "ticks", depends: .machine, reason: reason)
        }
    }

    /// Instructions `GuestProgram.outbNops` runs between exits beyond `outbForever`.
    static let extraInstructions = 4

    /// One sample of what each guest instruction between two exits adds:
    /// the nop loop against the plain one, in both orders by parity.
    static func instructionSample(_ guest: KVMGuest, order: Int, limit: UInt64) -> Result<Double, RunFailure> {
        var t: [GuestProgram: Double] = [:]
        for p in order % 2 == 0 ? [GuestProgram.outbForever, .outbNops] : [.outbNops, .outbForever] {
            switch guest.minimalLoop(p, burst: 1, iterations: runsPerSample, limitNanoseconds: limit) {
            case .success(let ticks): t[p] = ticks
            case .failure(let f): return .failure(f)
            }
        }
        return .success((t[.outbNops]! - t[.outbForever]!) / Double(runsPerSample * extraInstructions))
    }

    /// One minimal-loop sample: ticks per exit.
    static func sample(_ guest: KVMGuest, exit: String, real: Bool, k: Int, order: Int,
                       limit: UInt64) -> Result<Double, RunFailure> {
        if exit == "port-write" {
            return guest.minimalLoop(real ? .realOutbForever : .outbForever, burst: 1, iterations: runsPerSample,
                                     limitNanoseconds: limit).map { $0 / Double(runsPerSample) }
        }
        let program: GuestProgram = real ? .realCPUIDBurst : .cpuidBurst
        // Both orders by parity, so drift cancels over pairs of samples.
        let bursts = order % 2 == 0 ? [k, 2 * k] : [2 * k, k]
        var t: [Int: Double] = [:]
        for b in bursts {
            switch guest.minimalLoop(program, burst: b, iterations: runsPerSample, limitNanoseconds: limit) {
            case .success(let ticks): t[b] = ticks
            case .failure(let f): return .failure(f)
            }
        }
        return .success((t[2 * k]! - t[k]!) / Double(runsPerSample * k))
    }

    static func rows(_ suite: String, _ base: Params, path: String, k: Int, pairs: Int, limit: UInt64) -> [ResultRow] {
        var rows: [ResultRow] = []
        let system: KVMSystem
        do { system = try KVMSystem(path: path) } catch { return skipped(suite, base, reason: "no usable KVM device: \(error)") }
        for m in metrics {
            let p = params(base, exit: m.exit, mode: m.mode, setCPUID: m.setCPUID)
            func fail(_ why: String) -> ResultRow {
                ResultRow(suite: suite, benchmark: "exit-minimal", params: p, metric: m.metric, source: .measured, gate: .exact,
                          depends: .machine, status: .error, value: nil, unit: "ticks", note: why)
            }
            let real = m.mode == "real"
            let loopGuest: KVMGuest, timedGuest: KVMGuest?
            do {
                loopGuest = try KVMGuest(system: system, setCPUID: m.setCPUID, realMode: real)
                timedGuest = m.metric == "guest_timed_minus_loop" ? try KVMGuest(system: system) : nil
            } catch { rows.append(fail("\(error)")); continue }
            var values: [Double] = []
            var failure: String?
            for i in 0..<pairs {
                var guestTimed: Double?
                if let g = timedGuest {
                    let run = g.run(m.exit == "cpuid" ? .cpuid : .outb, k: k, samples: 2, msr: 0, limitNanoseconds: limit)
                    if let f = run.failure { failure = f; break }
                    guestTimed = KVMExitCosts.pairAverages(run.perExit).first
                }
                let one = m.metric == "per_instruction_between_exits"
                    ? instructionSample(loopGuest, order: i, limit: limit)
                    : sample(loopGuest, exit: m.exit, real: real, k: k, order: i, limit: limit)
                switch one {
                case .success(let v): values.append(guestTimed.map { $0 - v } ?? v)
                case .failure(let f): failure = f.text
                }
                if failure != nil { break }
            }
            if let failure { rows.append(fail(failure)); continue }
            let how = m.exit == "port-write"
                ? "\(runsPerSample) back-to-back KVM_RUNs, each ending at one OUT, timed on the host as a whole / \(runsPerSample)"
                : "KVM_RUNs making K=\(k) and 2K CPUID exits before one OUT: (t(2K) - t(K)) / (\(runsPerSample) x K), timed on the host"
            let setup = "\(m.mode) mode, " + (m.setCPUID ? "KVM_SET_CPUID2 with the supported list" : "no KVM_SET_CPUID2")
            let note = m.metric == "loop_per_exit"
                ? "minimal loop: \(how); \(setup)"
                : m.metric == "per_instruction_between_exits"
                ? "what one guest instruction between two port-write exits adds: minimal loops with \(extraInstructions) NOPs "
                    + "and with none between the exits, alternated, difference / \(extraInstructions); the suite's exit loop runs 3 "
                    + "instructions between exits (inc, dec, jnz) where the minimal loop runs 1 (jmp)"
                : "per round: the suite's guest-timed \(m.exit) figure (one sample pair) minus one minimal-loop sample (long mode); "
                    + "rounds alternate, so the spread is of paired differences; the suite's loop runs two more guest "
                    + "instructions between exits (per_instruction_between_exits prices one)"
            rows.append(.timing(suite, "exit-minimal", p, metric: m.metric, TimingSamples(perOp: values), note: note))
        }
        return rows
    }
}
