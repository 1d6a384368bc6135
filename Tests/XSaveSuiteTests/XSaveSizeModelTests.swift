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

    /// CPUID.(0xD,1).EBX counts XCR0 | IA32_XSS.  The supervisor set comes
    /// from what the kernel reports (the boot line's feature mask) and is
    /// compared once: no subset of the supported components is searched, so
    /// a model error of exactly one component's size fails.
    @Test func compactedCheckComparesOnceWithTheKernelsSupervisorSet() throws {
        var cpu = try #require(CPUCatalog.lookup("zen3"))
        cpu.reportedCompactedSize = 840 + 16 + 24  // IA32_XSS = CET_U | CET_S, as a 6.17+ kernel sets it
        var live = cpu.description
        live.origin = .live
        let m = try #require(XSaveSizeModel(cpu: live))
        // The boot line "Enabled xstate features 0x1a07" (XCR0 0x207 | CET_U | CET_S).
        let fromBoot = m.supervisorState(bootFeatures: 0x1A07, running: nil)
        #expect(fromBoot.mask == 0x1800 && fromBoot.origin.contains("boot line"))
        let ok = try #require(m.checks(xss: fromBoot).first { $0.name.hasPrefix("compacted") })
        #expect(ok.agrees && ok.computed == 880)
        // A 6.6 kernel (CET_U, no CET_S) on the same CPU: the derived set
        // gives 856, which the CPU's 880 does not match, and nothing rescues it.
        let k66 = m.supervisorState(bootFeatures: nil, running: LinuxKernelVersion(6, 6))
        #expect(k66.mask == 0x800)
        let bad = try #require(m.checks(xss: k66).first { $0.name.hasPrefix("compacted") })
        #expect(!bad.agrees && bad.computed == 856)
        let rows = XSaveSizeRows.rows(m, kernel: LinuxKernelChoice(LinuxKernelVersion(6, 18), running: false), xss: k66)
        let row = try #require(rows.first { $0.benchmark == "size-check" && $0.metric.hasPrefix("compacted") })
        #expect(row.status == .failed && row.value == 856 && row.note.contains("running kernel's rules"))
        #expect(rows.first { $0.metric.hasPrefix("standard_vs") }?.status == .ok)
        // A recorded CPU was captured with IA32_XSS = 0: its own total, unchanged.
        let recorded = try #require(XSaveSizeModel(cpu: cpu.description))
        #expect(recorded.supervisorState(bootFeatures: 0x1A07, running: nil).mask == 0)
        #expect(recorded.checks.first { $0.name.hasPrefix("compacted") }?.agrees == false)
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
