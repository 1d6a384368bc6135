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
        // 16 vCPUs at 10 %: 2 adopters (12.5 %); 1,024 vCPUs: 102.  The
        // summary names the largest fleet and takes its own rows.
        for (policy, small, large) in [("eager-at-create", 12288.0, 12288.0), ("lazy-on-trap", 5120.0, 4915.0)] {
            rows.append(.figure("fpstate-alloc", "memory", ["policy": policy, "vcpus": "16", "adoption": "10"],
                                metric: "resident_bytes_per_vcpu", small, unit: "bytes", source: .model, depends: .none))
            rows.append(.figure("fpstate-alloc", "memory", ["policy": policy, "vcpus": "1024", "adoption": "10"],
                                metric: "resident_bytes_per_vcpu", large, unit: "bytes", source: .model, depends: .none))
        }
        for (policy, pct) in [("always-intercept", 0.09), ("passthrough-on-first-write", 1.2), ("passthrough-at-cpuid", 1.8)] {
            rows.append(.figure("rdmsr-exit", "fleet", ["rdmsr": "proxy-rdtscp", "policy": policy, "fleet": "legacy:30/linux:70"],
                                metric: "overhead_pct", pct, unit: "%", source: .proxy, depends: .machine))
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
        #expect(text.contains("always-intercept costs least (0.70 %; runner-up\n   passthrough-on-first-write 4.60 %)"))
        #expect(!text.contains("7.20 %)"))  // never against the worst policy
        // A stand-in is named as one, never as RDMSR measured.
        #expect(text.contains("RDMSR stand-in (RDTSCP, not RDMSR itself)") && !text.contains("as measured"))
        #expect(text.contains("lazy-on-trap, 1,024 vCPUs, 10% AMX: memory per vCPU: 4.8 KiB\n     [model]"))
        #expect(text.contains("At 1,024 vCPUs and 10% AMX adoption lazy-on-trap holds 4.8 KiB"))
        #expect(!text.contains("5 KiB"))  // the 16-vCPU row is not the figure
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
