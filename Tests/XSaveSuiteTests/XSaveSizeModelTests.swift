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
        let rows = XSaveSizeRows.rows(m, source: .model)
        let avx512 = rows.filter { $0.benchmark == "size-featureset" && $0.params["set"] == "+AVX-512" }
        #expect(!avx512.isEmpty)
        #expect(avx512.allSatisfy { $0.status == .skipped && $0.note.contains("not supported") })
        #expect(rows.allSatisfy { $0.source == .model })
        #expect(rows.filter { $0.status == .ok }.allSatisfy { $0.gate == .exact })
    }

    @Test func linuxBufferGrowthOnSapphireRapids() throws {
        let l = try model("spr").linux
        #expect(l.expandedMask & ~l.defaultMask == 1 << 18)
        #expect(l.userDefault == 2816)
        #expect(l.userExpanded == 11008)
        #expect(l.kernelExpanded - l.kernelDefault == 8192)
        #expect(l.sigframeExpanded > SignalFrameModel.legacySigStkSz)
        #expect(l.sigframeDefault < SignalFrameModel.legacySigStkSz)
    }

    /// A compacted total that differs by exactly some supervisor components
    /// is explained; a difference nothing explains is an error row.
    @Test func compactedCheckAgainstSupervisorState() throws {
        var cpu = try #require(CPUCatalog.lookup("zen3"))
        cpu.reportedCompactedSize = 123
        let m = try #require(XSaveSizeModel(cpu: cpu.description))
        let check = try #require(m.checks.first { $0.name.hasPrefix("compacted") })
        #expect(!check.agrees)
        let rows = XSaveSizeRows.rows(m, source: .model)
        #expect(rows.contains { $0.benchmark == "size-check" && $0.status == .error })
    }
}
