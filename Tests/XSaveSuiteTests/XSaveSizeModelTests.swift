import BenchCore
import Testing
@testable import XSaveSuite

/// The size model against the totals the recorded CPUs' CPUID reports.
struct XSaveSizeModelTests {
    func model(_ id: String) throws -> XSaveSizeModel {
        let cpu = try #require(CPUCatalog.lookup(id))
        return try #require(XSaveSizeModel(cpu: cpu.description))
    }

    @Test func sapphireRapidsTotals() throws {
        let m = try model("spr")
        #expect(m.standardSizeForXCR0 == 11008)
        #expect(m.compactedSizeForXCR0 == 10752)
        let tileData = try #require(m.components.first { $0.component.index == 18 })
        #expect(tileData.component.standardOffset == 2816)
        #expect(tileData.compactedOffset == 2560)
        #expect(tileData.component.xfdCapable)
        let tileCfg = try #require(m.components.first { $0.component.index == 17 })
        #expect(tileCfg.compactedOffset == 2496)
        #expect(!tileCfg.component.xfdCapable)
        let amx = m.featureSet(.amxTileData)
        #expect(amx.supported && amx.standardSize == 11008 && amx.compactedSize == 10752)
    }

    @Test func otherRecordedTotals() throws {
        let zen3 = try model("zen3")
        #expect(zen3.standardSizeForXCR0 == 2440)
        #expect(zen3.compactedSizeForXCR0 == 840)
        #expect(try model("skx").standardSizeForXCR0 == 2696)
        #expect(try model("zen4").standardSizeForXCR0 == 2440)
        #expect(try model("zen4").compactedSizeForXCR0 == 2440)
    }

    /// Every recorded CPU's computed totals equal its recorded CPUID totals.
    @Test(arguments: CPUCatalog.ids)
    func computedEqualsRecorded(_ id: String) throws {
        let cpu = try #require(CPUCatalog.lookup(id))
        let m = try model(id)
        #expect(m.standardSizeForXCR0 == cpu.reportedStandardSize)
        #expect(m.compactedSizeForXCR0 == cpu.reportedCompactedSize)
        #expect(m.checks.allSatisfy { $0.agrees })
    }

    @Test func unsupportedSetsAreSkippedRows() throws {
        let m = try model("zen3")
        #expect(!m.featureSet(.avx512).supported)
        #expect(m.featureSet(.pkru).supported)
        #expect(m.featureSet(.pkru).standardSize == 2440)
        let rows = XSaveSizeRows.rows(m, kernel: LinuxKernelChoice(LinuxKernelVersion(6, 18), running: false))
        let avx512 = rows.filter { $0.benchmark == "size-featureset" && $0.params["set"] == "+AVX-512" }
        #expect(!avx512.isEmpty)
        #expect(avx512.allSatisfy { $0.status == .skipped && $0.note.contains("not supported") })
        #expect(rows.allSatisfy { $0.source == .model })
        #expect(rows.filter { $0.status == .ok }.allSatisfy { $0.gate == .exact })
    }

    @Test func linuxBufferGrowthOnSapphireRapids() throws {
        let l = try model("spr").linux(LinuxXStateRules(kernel: LinuxKernelVersion(6, 18)))
        #expect(l.expandedMask & ~l.defaultMask == 1 << 18)
        #expect(l.userDefaultBytes == 2816)
        #expect(l.userMaxBytes == 11008)
        #expect(l.expandedBytes - l.defaultBytes == 8192)
        #expect(l.sigframeExpanded > LegacySignalStack.sigStkSz)
        #expect(l.sigframeDefault < LegacySignalStack.sigStkSz)
    }

    /// A compacted total that differs by exactly some supervisor components
    /// is explained; a difference nothing explains fails the check.
    @Test func compactedCheckAgainstSupervisorState() throws {
        var cpu = try #require(CPUCatalog.lookup("zen3"))
        cpu.reportedCompactedSize = 840 + 16 + 24  // IA32_XSS = CET_U | CET_S
        let explained = try #require(XSaveSizeModel(cpu: cpu.description))
        let ok = try #require(explained.checks.first { $0.name.hasPrefix("compacted") })
        #expect(ok.agrees && ok.supervisor == 0x1800 && ok.computed == 880)
        cpu.reportedCompactedSize = 123
        let m = try #require(XSaveSizeModel(cpu: cpu.description))
        let check = try #require(m.checks.first { $0.name.hasPrefix("compacted") })
        #expect(!check.agrees)
        let rows = XSaveSizeRows.rows(m, kernel: LinuxKernelChoice(LinuxKernelVersion(6, 18), running: false))
        let row = try #require(rows.first { $0.benchmark == "size-check" && $0.metric.hasPrefix("compacted") })
        #expect(row.status == .failed && row.value == 840)
        #expect(rows.first { $0.metric.hasPrefix("standard_vs") }?.status == .ok)
    }

    /// The standard total is a check too: a CPUID total the components do
    /// not add up to fails it.
    @Test func standardCheckFailsOnAWrongTotal() throws {
        var cpu = try #require(CPUCatalog.lookup("zen4"))
        cpu.reportedStandardSize = 2440 + 64
        let m = try #require(XSaveSizeModel(cpu: cpu.description))
        let rows = XSaveSizeRows.rows(m, kernel: LinuxKernelChoice(LinuxKernelVersion(6, 18), running: false))
        let row = try #require(rows.first { $0.metric == "standard_vs_cpuid_0xd_0_ebx" })
        #expect(row.status == .failed && row.note.contains("OUTSIDE"))
    }
}
