@testable import BenchCompare
@testable import BenchCore
import Foundation
import Testing

@Suite struct RunSummaryTests {
    static func rows() -> [ResultRow] {
        var rows: [ResultRow] = []
        for (policy, pct) in [("always-intercept", 0.7), ("passthrough-on-first-write", 4.6), ("passthrough-at-cpuid", 7.2)] {
            rows.append(.figure("rdmsr-exit", "fleet", ["rdmsr": "100", "policy": policy, "fleet": "legacy:30/linux:70"],
                                metric: "overhead_pct", pct, unit: "%", source: .model, depends: .none))
        }
        for (policy, bytes) in [("eager-at-create", 12288.0), ("lazy-on-trap", 4915.0)] {
            rows.append(.figure("fpstate-alloc", "memory", ["policy": policy, "vcpus": "16", "adoption": "10"],
                                metric: "resident_bytes_per_vcpu", bytes, unit: "bytes", source: .model, depends: .none))
        }
        rows.append(.figure("xsave", "linux-buffer", ["cpu": "spr"], metric: "growth_bytes", 8192, unit: "bytes",
                            source: .model, depends: .none))
        return rows
    }

    @Test func statesTheThreeAnswersIn72Columns() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = try Fixture.folder(root, "r1", Self.rows())
        let folder = try ResultFolder.read(dir, label: "run")
        let record: [String: Any] = ["cpu_brand": "Test CPU", "kernel": "Linux 6.18.0 x86_64",
                                     "command_line": ["/x/benchmark", "all", "--repetitions", "5"]]
        let text = RunSummary.text(folder, record: record, markdown: false)
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 72 })
        #expect(!text.contains("\u{1B}"))
        #expect(text.contains("host: Test CPU; Linux 6.18.0 x86_64"))
        #expect(text.contains("at RDMSR = 100 cycles (injected)\n   always-intercept costs least"))
        #expect(text.contains("(0.70 % vs 7.20 %)"))
        #expect(text.contains("lazy-on-trap, 10% AMX: memory per vCPU: 4.8 KiB [model]"))
        #expect(text.contains("Only spr grows"))
        #expect(text.contains("Reproduce: benchmark all --repetitions 5"))
        let md = RunSummary.text(folder, record: record, markdown: true)
        #expect(md.contains("| RDMSR = 100 cycles (injected), always-intercept | 0.70 % | model |"))
    }

    @Test func saysWhatIsMissing() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let dir = try Fixture.folder(root, "r2", Fixture.exact("x", 1, reps: 1))
        let text = RunSummary.text(try ResultFolder.read(dir, label: "run"), record: [:], markdown: false)
        #expect(text.contains("no rdmsr-exit fleet rows in this run"))
        #expect(text.contains("no xsave linux-buffer rows in this run"))
    }

    @Test func wrapsLongWords() {
        let lines = RunSummary.wrap(String(repeating: "a", count: 100), width: 72, indent: "  ")
        #expect(lines.allSatisfy { $0.count <= 72 } && lines.count == 2)
    }
}
