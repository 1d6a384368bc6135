import BenchCore
import FpstateAllocSuite
import Foundation
import HarnessSuite
import KvmSuite
import RdmsrExitSuite
import Testing
import XSaveSuite

/// Every row a quick run of every suite writes has its kind declared in its
/// suite's source table (or the runner's, for `_` rows) and carries the
/// source declared there: a new row kind without a declaration fails here.
@Suite struct RowSourceTableTests {
    /// The source a row of `suite` must carry, or nil for an undeclared kind.
    /// No parameter is set, so rdmsr-exit's model figures are `model`.
    static func expected(_ row: ResultRow) -> FigureSource? {
        if row.benchmark.hasPrefix("_") { return RunnerRowSources.expected(row) }
        switch row.suite {
        case "harness": return HarnessRowSources.expected(row)
        case "xsave": return XSaveRowSources.expected(row)
        case "kvm": return KvmRowSources.expected(row)
        case "rdmsr-exit": return RdmsrExitRowSources.expected(row, modelSource: .model)
        case "fpstate-alloc": return FpstateAllocRowSources.expected(row)
        default: return nil
        }
    }

    @Test func everyRowOfAQuickRunHasADeclaredSource() throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(["all", "--quick", "--quiet", "--output", dir.path, "--run-id", "sources"])
        #expect(r.status == 0, "\(r.stderr)")
        let run = dir.appendingPathComponent("sources")
        var suites = Set<String>()
        var checks: [(name: String, timed: Bool)] = []
        for file in try FileManager.default.contentsOfDirectory(atPath: run.path) where file.hasSuffix(".csv") {
            for fields in try CLI.rows(run.appendingPathComponent(file)) {
                let source = try #require(fields["source"].flatMap(FigureSource.init(rawValue:)))
                let row = ResultRow(suite: fields["suite"] ?? "", benchmark: fields["benchmark"] ?? "",
                                    params: Params.parse(fields["params"] ?? ""), metric: fields["metric"] ?? "",
                                    source: source, gate: .info, depends: .machine, value: nil, unit: "")
                suites.insert(row.suite)
                if TimedCheck.isCheckNote(fields["note"] ?? "") || ["failed", "disturbed"].contains(fields["status"] ?? "") {
                    checks.append(("\(row.suite)/\(row.benchmark)/\(row.metric)", fields["gate"] != "exact"))
                }
                let want = Self.expected(row)
                #expect(want != nil, "\(row.suite): undeclared row kind \(row.benchmark)/\(row.metric) \(row.params)")
                #expect(want == nil || row.source == want, "\(row.suite) \(row.benchmark)/\(row.metric) \(row.params)")
            }
        }
        #expect(suites == ["harness", "xsave", "kvm", "rdmsr-exit", "fpstate-alloc"])
        // Every check is in the README's table of checks, with its kind.
        let table = try Self.readmeChecks()
        #expect(table.contains { $0.timed } && table.contains { !$0.timed })
        #expect(!checks.isEmpty)
        for c in checks {
            let line = table.first { Self.matches($0.pattern, c.name) }
            #expect(line != nil, "check \(c.name) is not in the README's table of self-checks")
            #expect(line == nil || line?.timed == c.timed, "check \(c.name): README says \(line?.timed == true ? "timed" : "exact")")
        }
    }

    /// The README's "Self-checks" table: each backticked `suite/benchmark/metric`
    /// pattern (`*` within a segment) and whether its kind is timed.
    static func readmeChecks() throws -> [(pattern: String, timed: Bool)] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let section = try #require(text.components(separatedBy: "## Self-checks").dropFirst().first?
            .components(separatedBy: "\n## ").first)
        var out: [(String, Bool)] = []
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 2 else { continue }
            let patterns = cells[0].split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
            out += patterns.map { ($0, cells[1] == "timed") }
        }
        return out
    }

    /// `pattern` (three `/` segments, `*` matching within one) names `name`.
    static func matches(_ pattern: String, _ name: String) -> Bool {
        let p = pattern.split(separator: "/", omittingEmptySubsequences: false)
        let n = name.split(separator: "/", omittingEmptySubsequences: false)
        guard p.count == 3, n.count == 3 else { return false }
        return zip(p, n).allSatisfy { seg, part in
            let pieces = seg.split(separator: "*", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count > 1 else { return seg == part }
            var rest = Substring(part)
            guard rest.hasPrefix(pieces[0]) else { return false }
            rest = rest.dropFirst(pieces[0].count)
            for piece in pieces.dropFirst().dropLast() {
                guard let r = rest.range(of: piece) else { return false }
                rest = rest[r.upperBound...]
            }
            return rest.hasSuffix(pieces.last!) && rest.count >= pieces.last!.count
        }
    }

    @Test func readmePatternsMatchWithinOneSegment() {
        #expect(Self.matches("xsave/size-check/*", "xsave/size-check/standard_vs_cpuid_0xd_0_ebx"))
        #expect(Self.matches("xsave/linux-buffer/*_vs_boot_log", "xsave/linux-buffer/context_bytes_vs_boot_log"))
        #expect(Self.matches("fpstate-alloc/*/unfreed_buffers", "fpstate-alloc/cold-heap/unfreed_buffers"))
        #expect(!Self.matches("xsave/linux-buffer/*_vs_boot_log", "xsave/linux-buffer/growth_bytes"))
        #expect(!Self.matches("fpstate-alloc/*/unfreed_buffers", "fpstate-alloc/memory/resident_bytes"))
        #expect(!Self.matches("kvm/exit/guest_exits", "kvm/exit/user_exits"))
    }
}
