import BenchCore
@testable import KvmSuite
import Testing

/// The AMX plan from recorded CPUs: what a Sapphire Rapids host would give
/// KVM_SET_CPUID2, the XCR0 its guest sets, the sizes KVM_CAP_XSAVE2 reports.
struct AMXGuestPlanTests {
    let spr = CPUCatalog.lookup("spr")!
    var sprEntries: [CPUIDEntry] { CPUIDEntry.entries(from: spr.cpuid) }

    @Test func sapphireRapidsPassesTheGateAndAMDDoesNot() {
        #expect(AMXGuestPlan.hostReasons(spr.description).isEmpty)
        #expect(AMXGuestPlan.kvmReason(sprEntries) == nil)
        #expect(AMXExperiments.gate(host: spr.description, supported: sprEntries) == nil)
        for id in ["zen3", "zen4", "skx"] {
            let cpu = CPUCatalog.lookup(id)!
            let reasons = AMXGuestPlan.hostReasons(cpu.description)
            #expect(reasons.contains { $0.contains("AMX-TILE") }, "\(id)")
            #expect(reasons.contains { $0.contains("XFD") }, "\(id)")
            #expect(AMXExperiments.gate(host: cpu.description, supported: CPUIDEntry.entries(from: cpu.cpuid))?.0 == .cpu)
            #expect(AMXGuestPlan.kvmReason(CPUIDEntry.entries(from: cpu.cpuid)) != nil)
        }
    }

    @Test func guestCPUIDWithoutTileDataDiffersOnlyInAMX() {
        let with = AMXGuestPlan.guestCPUID(sprEntries, withTileData: true)
        let without = AMXGuestPlan.guestCPUID(sprEntries, withTileData: false)
        #expect(with == sprEntries)
        func leaf(_ e: [CPUIDEntry], _ f: UInt32, _ i: UInt32) -> CPUIDRegisters? {
            e.first { $0.function == f && $0.index == i }?.registers
        }
        #expect(leaf(with, 7, 0)!.edx & (1 << 24) != 0)
        #expect(leaf(without, 7, 0)!.edx & (1 << 22 | 1 << 24 | 1 << 25) == 0)
        #expect(leaf(with, 0xD, 0)!.eax == 0x602E7)
        #expect(leaf(without, 0xD, 0)!.eax == 0x2E7)
        #expect(leaf(with, 0xD, 18)!.eax == 8192 && leaf(with, 0xD, 18)!.ecx == 6)
        #expect(leaf(without, 0xD, 17) == nil && leaf(without, 0xD, 18) == nil)
        #expect(leaf(without, 0xD, 0)!.ecx == 2696)
        // XFD stays offered: the guest can still arm it for other features.
        #expect(leaf(without, 0xD, 1)!.eax & (1 << 4) != 0)
        #expect(with.count - without.count == 2)
    }

    @Test func guestXCR0AndXSave2Sizes() {
        let with = AMXGuestPlan.guestCPUID(sprEntries, withTileData: true)
        let without = AMXGuestPlan.guestCPUID(sprEntries, withTileData: false)
        #expect(AMXGuestPlan.guestXCR0(with) == 0x602E7)
        #expect(AMXGuestPlan.guestXCR0(without) == 0x2E7)
        #expect(AMXGuestPlan.standardSize(with, mask: 0x602E7) == 11008)
        #expect(AMXGuestPlan.expectedXSave2(sprEntries, permitted: true) == 11008)
        // Without permission tile data is filtered: 2816 B, below struct kvm_xsave's 4096.
        #expect(AMXGuestPlan.expectedXSave2(sprEntries, permitted: false) == 4096)
    }

    @Test func permissionSequenceAsksForTileDataForGuests() {
        #expect(AMXGuestPlan.permissionSequence.map(\.code) == [0x1021, 0x1025, 0x1024])
        #expect(AMXGuestPlan.permissionSequence[1].argument == 18)
        #expect(AMXGuestPlan.xfdMSR == 0x1C4 && AMXGuestPlan.xfdTileData == 0x40000)
    }

    @Test func everyAMXExperimentHasASkippedRowWithTheReason() {
        let rows = AMXExperiments.skipped("kvm", ["platform": "none"], depends: .cpu, reason: "CPU has no AMX-TILE")
        #expect(rows.count == 13)
        #expect(Set(rows.map(\.benchmark)) == ["amx-passthrough", "amx-xfd-write", "amx-set-cpuid", "amx-create-vcpu",
                                              "amx-xsave2-size", "amx-native-first-use"])
        #expect(rows.allSatisfy { $0.status == .skipped && $0.note == "CPU has no AMX-TILE" && $0.depends == .cpu })
    }
}
