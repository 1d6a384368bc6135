import BenchCore
import Foundation

/// A per-reason exit histogram captured on a real host, turned into an
/// `ExitMix`.  Two formats are read:
///
/// - the text of `perf kvm stat report` (tools/perf/builtin-kvm.c): a table
///   with one line per VMX exit reason, the reason's name first and its
///   sample count second (`MSR_WRITE  27420  48.47% ...`), header and
///   "Total Samples" lines around it;
/// - a snapshot of a vCPU's binary statistics file from `KVM_GET_STATS_FD`
///   (Documentation/virt/kvm/api.rst): `struct kvm_stats_header` (flags,
///   name_size, num_desc, id_offset, desc_offset, data_offset: six u32),
///   `num_desc` descriptors at desc_offset (flags u32, exponent s16, size
///   u16, offset u32, bucket_size u32, then a name of name_size bytes), and
///   the u64 values at data_offset + offset.
///
/// What each format cannot tell is said in `origin` and mapped
/// conservatively (to reasons that leave the fastpath loop):
/// perf's MSR_WRITE does not say which MSR (TSC_DEADLINE and x2APIC ICR are
/// both counted there: modelled as TSC_DEADLINE writes); the statistics keep
/// no per-reason count for MSR writes or the preemption timer, so every exit
/// they do not attribute is `other` (leaves the loop), making the fastpath
/// share a lower bound.
public enum ExitHistogram {
    /// perf's VMX exit-reason names (arch/x86/include/uapi/asm/vmx.h
    /// VMX_EXIT_REASONS) mapped to the model's reasons; any other name is `other`.
    static let perfNames: [String: ExitReason] = [
        "EXTERNAL_INTERRUPT": .externalInterrupt, "HLT": .hlt, "MSR_WRITE": .msrWrite,
        "IO_INSTRUCTION": .io, "EPT_VIOLATION": .eptViolation, "EPT_MISCONFIG": .eptViolation,
        "PREEMPTION_TIMER": .preemptionTimer, "CPUID": .cpuid, "INVD": .invd,
        "MSR_WRITE_IMM": .msrImmediate,
    ]

    /// KVM's per-vCPU statistics (arch/x86/kvm/x86.c kvm_vcpu_stats_desc)
    /// that count one kind of exit.
    static let statNames: [String: ExitReason] = [
        "halt_exits": .hlt, "irq_exits": .externalInterrupt, "io_exits": .io, "mmio_exits": .eptViolation,
    ]

    /// Largest weight kept: counts above it are scaled down together.
    static let maxWeight = 1_000_000

    /// Reads `path` (either format).  Throws `badInput` with one line on a
    /// file that is unreadable, in neither format, or holds no exit.
    public static func read(path: String) throws -> (counts: [ExitReason: UInt64], origin: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BenchError.badInput("exit-mix=\(path): cannot read the file (give reason=weight,... or a perf kvm stat report / KVM_GET_STATS_FD capture)")
        }
        let bytes = [UInt8](data)
        if let stats = try statsCounts(bytes, path: path) { return stats }
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw BenchError.badInput("exit-mix=\(path): neither text nor a KVM_GET_STATS_FD capture")
        }
        return try perfCounts(text, path: path)
    }

    /// The `perf kvm stat report` table.  Nil lines are skipped; a file with
    /// no table line is an error.
    static func perfCounts(_ text: String, path: String) throws -> (counts: [ExitReason: UInt64], origin: String) {
        var counts: [ExitReason: UInt64] = [:]
        var other: [String] = []
        for line in text.split(whereSeparator: \.isNewline) {
            let f = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            // A table row: NAME COUNT PCT% ...; the header ("VM-EXIT Samples ...") has no count.
            guard f.count >= 3, f[2].hasSuffix("%"), let n = UInt64(f[1]),
                  f[0].allSatisfy({ $0.isUppercase || $0.isNumber || $0 == "_" }) else { continue }
            let name = String(f[0])
            let reason = perfNames[name] ?? .other
            if reason == .other { other.append(name) }
            counts[reason, default: 0] += n
        }
        guard counts.values.contains(where: { $0 > 0 }) else {
            throw BenchError.badInput("exit-mix=\(path): no exit-reason line (NAME COUNT PCT%) of a perf kvm stat report, and not a KVM_GET_STATS_FD capture")
        }
        let note = "perf kvm stat report \(URL(fileURLWithPath: path).lastPathComponent): MSR_WRITE counted as TSC_DEADLINE writes (perf does not name the MSR)"
            + (other.isEmpty ? "" : "; as other (leaves the loop): " + other.joined(separator: ", "))
        return (counts, note)
    }

    /// The KVM_GET_STATS_FD snapshot, or nil when `b` does not start with a
    /// plausible `kvm_stats_header`.  Throws on a header that is plausible
    /// but inconsistent (a truncated capture).
    static func statsCounts(_ b: [UInt8], path: String) throws -> (counts: [ExitReason: UInt64], origin: String)? {
        func u32(_ o: Int) -> UInt32? {
            guard o >= 0, o + 4 <= b.count else { return nil }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) }
        }
        func u64(_ o: Int) -> UInt64? {
            guard o >= 0, o + 8 <= b.count else { return nil }
            return (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) }
        }
        guard b.count >= 24, let nameSize = u32(4), let num = u32(8), let idOff = u32(12), let descOff = u32(16),
              let dataOff = u32(20), (1...4096).contains(nameSize), (1...100_000).contains(num),
              idOff >= 24, descOff >= 24, dataOff >= 24, b[0..<24].contains(where: { $0 != 0 }),
              !b.prefix(24).allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else { return nil }
        let descSize = 16 + Int(nameSize)
        var values: [String: UInt64] = [:]
        for i in 0..<Int(num) {
            let d = Int(descOff) + i * descSize
            guard let flags = u32(d), let offset = u32(d + 8), d + descSize <= b.count else {
                throw BenchError.badInput("exit-mix=\(path): KVM_GET_STATS_FD capture truncated in descriptor \(i)")
            }
            let size = Int(b[d + 6]) | Int(b[d + 7]) << 8
            let nameBytes = b[(d + 16)..<(d + descSize)].prefix { $0 != 0 }
            let name = String(decoding: nameBytes, as: UTF8.self)
            // Cumulative counters of one u64 (type bits 0-3 = 0) only.
            guard flags & 0xF == 0, size == 1 else { continue }
            guard let v = u64(Int(dataOff) + Int(offset)) else {
                throw BenchError.badInput("exit-mix=\(path): KVM_GET_STATS_FD capture truncated at the value of \(name)")
            }
            values[name] = v
        }
        guard let total = values["exits"], total > 0 else {
            throw BenchError.badInput("exit-mix=\(path): the KVM_GET_STATS_FD capture has no non-zero 'exits' counter")
        }
        var counts: [ExitReason: UInt64] = [:]
        var attributed: UInt64 = 0
        for (name, reason) in statNames {
            guard let v = values[name] else { continue }
            counts[reason, default: 0] += v
            attributed += v
        }
        guard attributed <= total else {
            throw BenchError.badInput("exit-mix=\(path): the per-reason counters (\(attributed)) exceed 'exits' (\(total))")
        }
        if total > attributed { counts[.other] = total - attributed }
        let id = u32(12).map { Int($0) }.flatMap { o -> String? in
            guard o < b.count else { return nil }
            return String(decoding: b[o...].prefix(Int(nameSize)).prefix { $0 != 0 }, as: UTF8.self)
        } ?? "?"
        return (counts, "KVM_GET_STATS_FD capture \(URL(fileURLWithPath: path).lastPathComponent) (\(id)): halt, irq, io and mmio exits by name; the other \(total - attributed) of \(total) exits, which the statistics do not attribute (MSR writes and the preemption timer among them), as other (leaves the loop): the fastpath share is a lower bound")
    }

    /// The counts as mix weights (scaled down together when the largest is
    /// above `maxWeight`; a non-zero count keeps a weight of at least 1).
    static func weights(_ counts: [ExitReason: UInt64]) -> String {
        let top = counts.values.max() ?? 1
        let scale = top > UInt64(maxWeight) ? Double(maxWeight) / Double(top) : 1
        return ExitReason.allCases.compactMap { r in
            guard let c = counts[r], c > 0 else { return nil }
            return "\(r.rawValue)=\(max(1, Int((Double(c) * scale).rounded())))"
        }.joined(separator: ",")
    }
}
