import BenchCore
import Testing
@testable import XSaveSuite

/// Every row of a quick run carries the source its kind declares in
/// `XSaveRowSources.table`, and every kind is declared.
@Suite(.serialized) struct XSaveRowSourceTests {
    @Test func quickRunMatchesTheSourceTable() throws {
        let host = CPUDescription.host()
        let ctx = SuiteContext(host: host, tsc: TSCFrequency.determine(cpu: host, calibrationSeconds: 0.01),
                               kernel: TimingKernel(features: host.features), ticksPerCoreCycle: nil,
                               emptyRegionTicks: 0, quick: true, seed: 1, repetition: 1,
                               progress: Progress(quiet: true), parameters: [:],
                               declared: XSaveBenchmarks().parameters)
        let rows = try XSaveBenchmarks().run(ctx).rows
        #expect(!rows.isEmpty)
        for r in rows {
            let expected = XSaveRowSources.table[XSaveRowSources.kind(r)]
            #expect(expected != nil, "undeclared row kind \(XSaveRowSources.kind(r))")
            #expect(r.source == expected, "\(XSaveRowSources.kind(r)) \(r.params)")
        }
        // Recorded CPUs' rows are model rows that depend on nothing the host has.
        let recorded = rows.filter { $0.params["cpu"].map { $0 != "host" && $0 != "none" } ?? false }
        #expect(!recorded.isEmpty)
        #expect(recorded.filter { $0.benchmark != "linux-buffer" && $0.benchmark != "amx-estimate" }
            .allSatisfy { $0.source == .model && $0.depends == .none })
        // No check fails on the host it runs on.
        #expect(!rows.contains { $0.status == .failed }, "\(rows.filter { $0.status == .failed }.map(\.note))")
    }
}
