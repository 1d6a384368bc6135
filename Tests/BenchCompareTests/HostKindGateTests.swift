import BenchCompare
@testable import BenchCore
import Foundation
import Testing
import XSaveSuite

/// The gate between runs made on different kinds of host: the recorded
/// Zen 3 of the reference, a Zen 4 with AVX-512, an Intel host with AMX.
/// Each run holds the rows a real `xsave` run makes there: recorded-CPU
/// rows (the same everywhere) and host rows computed from that host's
/// CPUID, plus a timing row.  Nothing here depends on the CPU running it.
@Suite struct HostKindGateTests {
    struct Kind {
        var id: String
        var host: Fixture.HostKind
    }

    static let kinds: [Kind] = ["zen3", "zen4", "spr"].map { id in
        let d = CPUCatalog.lookup(id)!.description
        return Kind(id: id, host: Fixture.HostKind(
            fingerprint: "\(d.vendor)|\(d.family)-\(d.model)-\(d.stepping)|\(d.brand)|?|KVMKVMKVM|2cpu",
            cpuIdentity: d.identity))
    }

    /// The rows of one run on `kind`.
    static func rows(on kind: Kind, independentChange: Double = 0) -> [ResultRow] {
        var rows: [ResultRow] = []
        for id in ["spr", "zen3", "zen4"] {
            rows += XSaveSizeRows.rows(XSaveSizeModel(cpu: CPUCatalog.lookup(id)!.description)!,
                                       kernel: LinuxKernelChoice(LinuxKernelVersion(6, 18), running: false))
        }
        var host = CPUCatalog.lookup(kind.id)!.description
        host.id = "host"
        rows += XSaveSizeRows.rows(XSaveSizeModel(cpu: host)!,
                                   kernel: LinuxKernelChoice(LinuxKernelVersion(6, 18), running: true))
        if independentChange != 0, let i = rows.firstIndex(where: { $0.depends == .none && $0.value != nil }) {
            rows[i].value! += independentChange
        }
        var t = ResultRow.timing("xsave", "save-restore", ["cpu": "host"], metric: "per_op",
                                 TimingSamples(perOp: [100, 101, 102]))
        t.repetition = 1
        return rows + [t]
    }

    func compare(_ b: Kind, _ c: Kind, current: [ResultRow]? = nil, selected: [String]? = nil) throws -> ComparisonReport {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let base = try Fixture.folder(root, "base", Self.rows(on: b), on: b.host, quick: true)
        let cur = try Fixture.folder(root, "cur", current ?? Self.rows(on: c), on: c.host, selected: selected,
                                     quick: true)
        var o = CompareOptions()
        o.onlyExact = true
        return try Comparison.run(baseline: base, current: cur, options: o)
    }

    @Test func everyPairOfHostKindsPassesBothWays() throws {
        for b in Self.kinds {
            for c in Self.kinds {
                let r = try compare(b, c)
                #expect(r.exitStatus == .ok, "\(b.id) -> \(c.id): \(TextReport.render(r))")
                let independent = r.rows.filter { row in row.gated && row.verdict == .unchanged }
                #expect(!independent.isEmpty)
                let hostRows = r.rows.filter { $0.name.contains("cpu=host") && $0.verdict != .onlyInCurrent }
                if b.id == c.id {
                    #expect(hostRows.filter { $0.gate == .exact }.allSatisfy { $0.verdict == .unchanged && $0.gated })
                } else {
                    #expect(!hostRows.isEmpty)
                    #expect(hostRows.allSatisfy { $0.verdict == .hostDiffers && !$0.gated },
                            "\(b.id) -> \(c.id)")
                    #expect(r.warnings.contains { $0.contains("CPU identity differs") })
                }
            }
        }
    }

    @Test func aChangedIndependentRowFailsOnAnyHost() throws {
        for (b, c) in [(Self.kinds[0], Self.kinds[1]), (Self.kinds[2], Self.kinds[0]), (Self.kinds[1], Self.kinds[1])] {
            let r = try compare(b, c, current: Self.rows(on: c, independentChange: 64))
            #expect(r.exitStatus == .regression)
            #expect(r.rows.filter { $0.verdict == .regressed }.count == 1)
        }
    }

    @Test func aMissingSuiteFailsOnAnyHost() throws {
        let r = try compare(Self.kinds[0], Self.kinds[2], current: [], selected: ["xsave"])
        #expect(r.exitStatus == .regression)
        #expect(r.rows.contains { $0.verdict == .missing && $0.name.contains("cpu=spr") })
    }

    @Test func aTruncatedBaselineIsExit4OnAnyHost() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let base = try Fixture.folder(root, "base", Self.rows(on: Self.kinds[0]), on: Self.kinds[0].host, quick: true)
        let cur = try Fixture.folder(root, "cur", Self.rows(on: Self.kinds[1]), on: Self.kinds[1].host, quick: true)
        let file = base.appendingPathComponent("xsave.csv")
        let lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\r\n")
        try (lines.prefix(lines.count / 2).joined(separator: "\r\n") + "\r\n").write(to: file, atomically: true, encoding: .utf8)
        #expect(throws: BenchError.self) { try Comparison.run(baseline: base, current: cur, options: CompareOptions()) }
        do { _ = try Comparison.run(baseline: base, current: cur, options: CompareOptions()) } catch let e as BenchError {
            #expect(e.status == .baseline)
        }
    }
}
