import Testing
@testable import BenchCore

@Suite struct XSaveLayoutTests {
    func layout(_ id: String) throws -> XSaveLayout {
        let cpu = try #require(CPUCatalog.lookup(id))
        return try #require(cpu.description.xsave)
    }

    @Test func sapphireRapidsSizes() throws {
        let x = try layout("spr")
        #expect(x.enabledMask == 0x602E7)
        #expect(x.standardSize(for: x.enabledMask) == 11008)
        #expect(x.compactedSize(for: x.enabledMask) == 10752)
        #expect(x.standardSize(for: x.enabledMask) == x.reportedStandardSizeForXCR0)
        #expect(x.compactedSize(for: x.enabledMask) == x.reportedCompactedSizeForXCR0XSS)
        let offsets = Dictionary(uniqueKeysWithValues: x.compactedOffsets(for: x.enabledMask)
            .map { ($0.component.index, $0.offset) })
        #expect(offsets[17] == 2496)
        #expect(offsets[18] == 2560)
        #expect(x.component(18)?.standardOffset == 2816)
        #expect(x.component(18)?.size == 8192)
        #expect(x.component(18)?.xfdCapable == true)
        #expect(x.component(17)?.xfdCapable == false)
        #expect(x.dynamicMask(in: x.enabledMask) == 1 << 18)
        #expect(x.hasXFD)
    }

    @Test func zen3Sizes() throws {
        let x = try layout("zen3")
        #expect(x.standardSize(for: x.enabledMask) == 2440)
        #expect(x.compactedSize(for: x.enabledMask) == 840)
        #expect(x.dynamicMask(in: x.enabledMask) == 0)
        #expect(!x.hasXFD)
    }

    @Test func avx512WithoutAMXAndZen4() throws {
        let skx = try layout("skx")
        #expect(skx.enabledMask == 0x2E7)  // MPX supported but not enabled
        #expect(skx.standardSize(for: skx.enabledMask) == 2696)
        #expect(skx.compactedSize(for: skx.enabledMask) == 2440)
        let zen4 = try layout("zen4")
        #expect(zen4.standardSize(for: zen4.enabledMask) == 2440)
        #expect(zen4.compactedSize(for: zen4.enabledMask) == 2440)
    }

    @Test func linuxBufferSizes() throws {
        let spr = try layout("spr").linuxFPState
        #expect(spr.compacted && spr.dynamicMask == 1 << 18 && spr.defaultMask == 0x202E7)
        #expect(spr.defaultBytes == 2560 && spr.expandedBytes == 10752)
        let zen3 = try layout("zen3").linuxFPState
        #expect(zen3.dynamicMask == 0 && zen3.defaultBytes == 840 && zen3.expandedBytes == 840)
    }

    @Test func cumulativeFeatureSets() throws {
        let x = try layout("spr")
        let sizes = XSaveFeatureSet.allCases.map { x.standardSize(for: $0.cumulativeMask) }
        #expect(sizes == [576, 832, 2688, 2696, 2816, 11008])
        #expect(XSaveFeatureSet.amxTileData.cumulativeMask == 0x602E7)
    }

    @Test func everyCatalogEntryAgreesWithItsRecordedTotals() throws {
        for cpu in CPUCatalog.all {
            let x = try #require(cpu.description.xsave)
            #expect(x.standardSize(for: x.enabledMask) == cpu.reportedStandardSize, "\(cpu.id)")
            #expect(x.compactedSize(for: x.enabledMask) == cpu.reportedCompactedSize, "\(cpu.id)")
        }
    }

    static func hostHasXSAVE() -> Bool {
        let host = CPUDescription.host()
        return host.xsave != nil && host.features.osxsave
    }

    @Test(.enabled(if: XSaveLayoutTests.hostHasXSAVE(), "this host has no XSAVE enabled by the OS: no leaf 0xD to check"))
    func liveHostAgreesWithCPUID() throws {
        let host = CPUDescription.host()
        let x = try #require(host.xsave)
        #expect(x.standardSize(for: x.enabledMask) == x.reportedStandardSizeForXCR0)
        if x.hasXSAVEC {
            // CPUID.(0xD,1).EBX covers XCR0 | IA32_XSS; user space cannot read XSS,
            // so the computed user-only size is a lower bound.
            #expect(x.compactedSize(for: x.enabledMask) <= x.reportedCompactedSizeForXCR0XSS)
        }
    }
}

@Suite struct CPUDescriptionTests {
    @Test func decodesIdentityFromRecordedLeaves() throws {
        let zen3 = try #require(CPUCatalog.lookup("zen3")).description
        #expect(zen3.vendor == "AuthenticAMD")
        #expect(zen3.family == 0x19 && zen3.model == 0x01 && zen3.stepping == 1)
        #expect(zen3.brand == "AMD EPYC 7763 64-Core Processor")
        #expect(zen3.origin == .recorded(id: "zen3"))
        #expect(zen3.features.avx && !zen3.features.avx512f && !zen3.features.amxTile)
        let spr = try #require(CPUCatalog.lookup("spr")).description
        #expect(spr.vendor == "GenuineIntel" && spr.family == 6 && spr.model == 0x8F)
        #expect(spr.features.amxTile && spr.features.amxInt8 && spr.features.xfd)
        #expect(spr.amxOSEnabled && spr.avx512Usable)
    }

    @Test func missingXSAVECGatesTheInstruction() throws {
        var cpu = try #require(CPUCatalog.lookup("zen3"))
        cpu.subleaf1EAX &= ~2
        let d = cpu.description
        #expect(d.unavailableReason(.xsavec)?.contains("XSAVEC") == true)
        #expect(d.unavailableReason(.xrstorCompacted) != nil)
        #expect(d.unavailableReason(.xsave) == nil)
        #expect(d.unavailableReason(.xsaveopt) == nil)
        // The layout reads the same bit (CPUID.(0xD,1).EAX bit 1), not XSAVEOPT's bit 0.
        #expect(try #require(d.xsave).hasXSAVEC == false)
        var noOpt = try #require(CPUCatalog.lookup("zen3"))
        noOpt.subleaf1EAX &= ~1
        #expect(try #require(noOpt.description.xsave).hasXSAVEC)
    }

    @Test func noOSXSAVEGatesEverything() throws {
        var leaves = try #require(CPUCatalog.lookup("zen3")).cpuid
        leaves.leaves[RecordedCPUID.Key(1)]!.ecx &= ~(1 << 27)
        let d = CPUDescription(cpuid: leaves, origin: .recorded(id: "t"), id: "t")
        #expect(d.xcr0 == nil)
        #expect(!d.avxUsable)
        for i in XSaveInstruction.allCases { #expect(d.unavailableReason(i) != nil) }
    }

    @Test func catalogSelection() throws {
        #expect(try CPUCatalog.select("all").count == CPUCatalog.all.count)
        #expect(try CPUCatalog.select("spr, zen3").map(\.id) == ["spr", "zen3"])
        #expect(throws: BenchError.self) { try CPUCatalog.select("spr,pentium") }
    }
}
