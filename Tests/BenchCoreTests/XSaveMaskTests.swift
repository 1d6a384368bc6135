import BenchCore
import Testing

@Suite struct XSaveMaskTests {
    @Test func componentsHaveTheirArchitecturalBits() {
        #expect(XSaveMask.x87.rawValue == 0x1)
        #expect(XSaveMask.avxState.rawValue == 0x6)
        #expect(XSaveMask.avx512State.rawValue == 0xE6)
        #expect(XSaveMask.pkru.rawValue == 0x200)
        #expect(XSaveMask.amxTiles.rawValue == 0x60000)
        #expect(XSaveMask([.x87, .sse, .avx, .avx512, .pkru]).rawValue == 0x2E7)
        #expect(XSaveMask(component: 18) == .xtiledata)
    }

    @Test func featureSetsAddTheSameBitsAsBefore() {
        #expect(XSaveFeatureSet.allCases.map(\.addedMask) == [0x3, 0x4, 0xE0, 0x200, 1 << 17, 1 << 18])
        #expect(XSaveFeatureSet.amxTileData.cumulativeMask == 0x602E7)
    }

    @Test func osEnabledNeedsEveryBit() throws {
        let spr = try #require(CPUCatalog.lookup("spr")).description
        #expect(spr.osEnabled(.amxTiles))
        let zen3 = try #require(CPUCatalog.lookup("zen3")).description
        #expect(!zen3.osEnabled(.amxTiles))
        #expect(!zen3.osEnabled([.avxState, .opmask]))
        #expect(zen3.osEnabled(.avxState))
    }
}
