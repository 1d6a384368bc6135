import BenchCore
import CKVM
import Foundation
@testable import KvmSuite
import Testing

/// The AMX plan and experiments against the KVM contract double: for a
/// recorded Sapphire Rapids and a later CPU with AMX-FP16/COMPLEX, under
/// the kernel versions either side of 5.17.  Every supported CPUID here is
/// what KVM would answer (`KVMContract`), never the raw host answers: those
/// include tile data KVM hides until the guest permission.
struct AMXGuestPlanTests {
    static let v618 = KVMContract.Version(major: 6, minor: 18)
    static let v516 = KVMContract.Version(major: 5, minor: 16)
    static let v517 = KVMContract.Version(major: 5, minor: 17)

    static func describe(_ c: RecordedCPUID, _ id: String) -> CPUDescription {
        CPUDescription(cpuid: c, origin: .recorded(id: id), id: id)
    }
    static let cpus: [(String, RecordedCPUID)] = [("spr", KVMContract.recorded("spr")), ("later", KVMContract.laterAMX)]

    static func ready(_ k: KVMContract, _ id: String) -> AMXReadiness {
        AMXReadiness.establish(k, host: describe(k.cpu, id), hostCPUID: k.cpu)
    }

    /// Fault 1 and 2 (reading the supported CPUID before the permission, or
    /// reusing that list after it): on an AMX host with a KVM that supports
    /// AMX every experiment must be allowed to run, and the sizes must be
    /// the post-permission ones.
    @Test(arguments: [0, 1])
    func contractHostRunsEveryAMXExperiment(cpu: Int) throws {
        let (id, c) = Self.cpus[cpu]
        let k = KVMContract(cpu: c, kernel: Self.v618)
        let r = Self.ready(k, id)
        #expect(k.calls.prefix(5) == ["ARCH_GET_XCOMP_SUPP", "ARCH_GET_XCOMP_GUEST_PERM", "KVM_GET_SUPPORTED_CPUID",
                                      "KVM_CHECK_EXTENSION(XSAVE2)", "KVM_SET_CPUID2 (child)"])
        #expect(k.calls[5] == "ARCH_REQ_XCOMP_GUEST_PERM")
        #expect(r.permitted)
        let before = try r.supportedBefore.get()
        #expect(AMXGuestPlan.kvmReason(before) != nil, "KVM hides tile data before the permission")
        #expect(AMXGuestPlan.guestXCR0(before) == 0x202E7)
        #expect(AMXGuestPlan.kvmReason(try #require(r.supported)) == nil)
        for b in AMXExperiments.benchmarks {
            #expect(AMXExperiments.decide(b, host: Self.describe(c, id), readiness: r, device: nil) == nil, "\(b)")
        }
        let rows = AMXExperiments.xsave2Rows("kvm", [:], r)
        #expect(rows.map(\.metric) == ["before_permission", "after_permission"])
        #expect(rows.map(\.value) == [4096, 11008])
        #expect(rows.allSatisfy { $0.status == .ok })
    }

    /// Fault 2: the guest CPUID "with tile data" comes from the list read
    /// after the permission, so KVM_SET_CPUID2 really expands the buffer.
    @Test func withTileDataExpandsTheBufferToThePermissionSize() throws {
        let k = KVMContract(cpu: KVMContract.recorded("spr"))
        let r = Self.ready(k, "spr")
        let with = AMXGuestPlan.guestCPUID(try #require(r.supported), withTileData: true)
        #expect(AMXGuestPlan.guestXCR0(with) & AMXGuestPlan.xfdTileData != 0)
        #expect(with.contains { $0.function == 0xD && $0.index == 18 })
        #expect(try k.guestStateBytes(cpuid: with).get() == 11008)
        #expect(try k.guestStateBytes(cpuid: AMXGuestPlan.guestCPUID(r.supported!, withTileData: false)).get() == 4096)
        // The list read before would not have expanded anything.
        let stale = AMXGuestPlan.guestCPUID(try r.supportedBefore.get(), withTileData: true)
        #expect(try k.guestStateBytes(cpuid: stale).get() == 4096)
    }

    /// Fault 7: both KVM_CAP_XSAVE2 rows exist whatever failed.
    @Test func bothXSave2RowsExistOnEveryPath() {
        let spr = KVMContract.recorded("spr")
        let cases: [(String, KVMContract)] = [
            ("spr 6.18", KVMContract(cpu: spr)),
            ("spr 5.16", KVMContract(cpu: spr, kernel: Self.v516)),
            ("kvm without AMX", KVMContract(cpu: spr, kvmHasAMX: false)),
            ("zen4", KVMContract(cpu: KVMContract.recorded("zen4"))),
        ]
        let failing = KVMContract(cpu: spr); failing.failing = ["KVM_GET_SUPPORTED_CPUID": EIO]
        let refused = KVMContract(cpu: spr); refused.failing = ["ARCH_REQ_XCOMP_GUEST_PERM": EBUSY]
        let noCap = KVMContract(cpu: spr); noCap.failing = ["KVM_CHECK_EXTENSION(XSAVE2)": ENOTTY]
        for (name, k) in cases + [("cpuid fails", failing), ("request refused", refused), ("no XSAVE2", noCap)] {
            let r = Self.ready(k, "spr")
            let rows = AMXExperiments.xsave2Rows("kvm", [:], r)
            #expect(rows.map(\.metric) == ["before_permission", "after_permission"], "\(name)")
        }
    }

    /// A vCPU created before the request locks the guest permission: the
    /// request gets EBUSY and every experiment that needs it says why.
    @Test func aVCPUBeforeTheRequestLocksThePermission() {
        let k = KVMContract(cpu: KVMContract.recorded("spr"))
        _ = k.guestStateBytes(cpuid: nil)
        let r = Self.ready(k, "spr")
        guard case .failure(let e)? = r.request else { Issue.record("request not refused"); return }
        #expect(e.code == EBUSY)
        #expect(!r.permitted)
        let skip = AMXExperiments.decide("amx-set-cpuid", host: Self.describe(k.cpu, "spr"), readiness: r, device: nil)
        #expect(skip?.depends == .cpuKernel)
        #expect(skip?.reason.contains("errno \(EBUSY)") == true)
        let rows = AMXExperiments.permissionRows("kvm", [:], r)
        #expect(rows.first { $0.metric == "guest_request" }?.value == Double(EBUSY))
    }

    /// KVM_SET_CPUID2 offering XTILEDATA without the permission: -EPERM
    /// from 5.17 (checked in a child, which inherits the permission).
    @Test func unpermittedTileDataIsRefusedWithEPERM() {
        let k = KVMContract(cpu: KVMContract.recorded("spr"))
        let r = Self.ready(k, "spr")
        guard case .failure(let e)? = r.unpermittedSetCPUID else { Issue.record("not refused"); return }
        #expect(e.code == EPERM)
        let row = AMXExperiments.permissionRows("kvm", [:], r).first { $0.metric == "set_cpuid_unpermitted" }
        #expect(row?.status == .ok)
        // An injected fault: a kernel that accepted it fails the check.
        var wrong = r; wrong.unpermittedSetCPUID = .success(())
        #expect(AMXExperiments.permissionRows("kvm", [:], wrong).first { $0.metric == "set_cpuid_unpermitted" }?.status == .failed)
    }

    /// Version boundary 5.16 | 5.17: before, no guest permission prctl, no
    /// KVM_CAP_XSAVE2, no AMX for guests; from 5.17 all three.
    @Test func kernelBoundaryAt517() throws {
        let spr = KVMContract.recorded("spr")
        let old = Self.ready(KVMContract(cpu: spr, kernel: Self.v516), "spr")
        #expect(!old.permitted)
        #expect(try old.xsave2After.get() == 0)
        #expect(AMXExperiments.decide("amx-passthrough", host: Self.describe(spr, "spr"), readiness: old, device: nil) != nil)
        let new = Self.ready(KVMContract(cpu: spr, kernel: Self.v517), "spr")
        #expect(new.permitted)
        #expect(try new.xsave2After.get() == 11008)
        #expect(AMXExperiments.decide("amx-passthrough", host: Self.describe(spr, "spr"), readiness: new, device: nil) == nil)
    }

    /// A KVM that lists no AMX (kvm_pvm here): the buffer experiments still
    /// run (the permission decides), the guest-exit ones are skipped.
    @Test func kvmWithoutAMXStillExpandsButCannotPassXFDThrough() throws {
        let k = KVMContract(cpu: KVMContract.recorded("spr"), kvmHasAMX: false)
        let r = Self.ready(k, "spr")
        let host = Self.describe(k.cpu, "spr")
        #expect(r.permitted)
        #expect(AMXExperiments.decide("amx-set-cpuid", host: host, readiness: r, device: nil) == nil)
        #expect(AMXExperiments.decide("amx-migration", host: host, readiness: r, device: nil) == nil)
        let skip = AMXExperiments.decide("amx-passthrough", host: host, readiness: r, device: nil)
        #expect(skip?.reason.contains("does not offer AMX-TILE") == true)
        let with = AMXGuestPlan.withHostTiles(r.supported!, host: k.cpu)
        #expect(try k.guestStateBytes(cpuid: with).get() == 11008)
    }

    /// Native first use depends on the CPU only, never on KVM.
    @Test func nativeFirstUseIgnoresKVM() {
        let spr = Self.describe(KVMContract.recorded("spr"), "spr")
        #expect(AMXExperiments.decide("amx-native-first-use", host: spr, readiness: nil,
                                      device: KVMError("open /dev/kvm", code: ENOENT)) == nil)
        let pvm = Self.ready(KVMContract(cpu: KVMContract.recorded("spr"), kvmHasAMX: false), "spr")
        #expect(AMXExperiments.decide("amx-native-first-use", host: spr, readiness: pvm, device: nil) == nil)
        let zen = Self.describe(KVMContract.recorded("zen4"), "zen4")
        #expect(AMXExperiments.decide("amx-native-first-use", host: zen, readiness: nil, device: nil)?.depends == .cpu)
    }

    /// Fault 5: both regions start at the thread's first AMX instruction
    /// (LDTILECFG may be the one that takes the #NM).
    @Test func firstUseIsTimedFromTheFirstAMXInstruction() {
        var log: [String] = []
        let ops = AMXNativeFirstUse.TileOps(configure: { log.append("ldtilecfg") }, zero: { log.append("tilezero") },
                                            release: { log.append("tilerelease") },
                                            time: { body in log.append("start"); body(); log.append("stop"); return 1 })
        _ = AMXNativeFirstUse.sample(ops)
        #expect(log == ["start", "ldtilecfg", "tilezero", "stop", "start", "ldtilecfg", "tilezero", "stop", "tilerelease"])
    }

    /// Fault 7: without tile data nothing that needs tiles stays, and the
    /// sizes of leaf 0xD are recomputed from the remaining bits.
    @Test(arguments: [0, 1])
    func withoutTileDataDropsEveryAMXBitAndResizes(cpu: Int) throws {
        let (id, c) = Self.cpus[cpu]
        let k = KVMContract(cpu: c)
        let r = Self.ready(k, id)
        let supported = try #require(r.supported)
        let without = AMXGuestPlan.guestCPUID(supported, withTileData: false)
        func leaf(_ f: UInt32, _ i: UInt32) -> CPUIDRegisters? { AMXGuestPlan.leaf(without, f, i) }
        #expect(leaf(7, 0)!.edx & AMXGuestPlan.leaf7AMXBits == 0)
        if let l71 = leaf(7, 1) {
            #expect(l71.eax & AMXGuestPlan.leaf71EAXAMXBits == 0 && l71.edx & AMXGuestPlan.leaf71EDXAMXBits == 0)
        }
        if id == "later" {
            #expect(AMXGuestPlan.leaf(supported, 7, 1)!.eax & (1 << 21) != 0, "the later CPU offers AMX-FP16 with tiles")
        }
        #expect(!without.contains { $0.function == 0x1D || $0.function == 0x1E })
        #expect(leaf(0xD, 0)!.eax == 0x2E7)
        #expect(leaf(0xD, 0)!.ecx == 2696 && leaf(0xD, 0)!.ebx == 2696)
        #expect(leaf(0xD, 1)!.ebx == 2440, "compacted 0x2e7 on SPR: 576+256+64+512+1024+8")
        #expect(leaf(0xD, 1)!.eax & (1 << 4) != 0, "XFD stays offered")
        #expect(leaf(0xD, 17) == nil && leaf(0xD, 18) == nil)
        let with = AMXGuestPlan.guestCPUID(supported, withTileData: true)
        #expect(AMXGuestPlan.leaf(with, 0xD, 0)!.ecx == 11008)
    }

    /// Fault 3: passthrough is checked from KVM's exit counter: one exit
    /// per intercepted write, none once passed through; a KVM that kept
    /// intercepting fails; no counter says "unverified".
    @Test func passthroughIsCheckedFromExitCounts() {
        let k = KVMContract(cpu: KVMContract.recorded("spr"))
        func run(_ exits: Int?) -> GuestRun {
            var g = GuestRun(); g.k = 4; g.samplesRequested = 10
            if let exits { g.statsDelta["exits"] = UInt64(exits) }
            return g
        }
        let writes = 3 * 4 * 10
        let intercepted = run(k.guestXFDWrites(writes, value: 0) + 1)
        _ = k.guestXFDWrites(1, value: AMXGuestPlan.xfdTileData)
        let passed = run(k.guestXFDWrites(writes, value: 0) + 1)
        let ok = AMXGuestExits.exitChecks("kvm", [:], intercepted: intercepted, passed: passed)
        #expect(ok.map(\.status) == [.ok, .ok])
        // Injected fault: interception never stopped.
        let bad = AMXGuestExits.exitChecks("kvm", [:], intercepted: intercepted, passed: run(writes + 1))
        #expect(bad.map(\.status) == [.ok, .failed])
        let unverified = AMXGuestExits.exitChecks("kvm", [:], intercepted: run(nil), passed: run(nil))
        #expect(unverified.allSatisfy { $0.status == .skipped && $0.note.hasPrefix("unverified") })
    }

    /// Fault 4: KVM_CREATE_VCPU is not presented as a with/without
    /// comparison (merged kernels allocate the same buffer either way).
    @Test func createVCPUIsNotAComparison() {
        let metrics = AMXExperiments.metrics.filter { $0.benchmark == "amx-create-vcpu" }.map(\.metric)
        #expect(metrics == ["with_permission", "state_bytes_at_creation"])
    }

    /// Fault 8: raw host answers hide bug 1.  With them, reading the
    /// supported CPUID before the permission looks harmless; with what
    /// KVM answers it skips everything.
    @Test func rawHostAnswersWouldHideTheMissingPermission() throws {
        let spr = KVMContract.recorded("spr")
        #expect(AMXGuestPlan.kvmReason(CPUIDEntry.entries(from: spr)) == nil)
        let k = KVMContract(cpu: spr)
        let before = try k.supportedCPUID().get()
        #expect(AMXGuestPlan.kvmReason(before) != nil)
        #expect(before != CPUIDEntry.entries(from: spr))
    }

    @Test func hostsWithoutAMXSkipWithTheCPUReason() {
        for id in ["zen3", "zen4", "skx"] {
            let c = KVMContract.recorded(id)
            let r = Self.ready(KVMContract(cpu: c), id)
            #expect(r.request == nil, "\(id): no request without AMX")
            let host = Self.describe(c, id)
            for b in ["amx-passthrough", "amx-set-cpuid", "amx-permission", "amx-native-first-use"] {
                #expect(AMXExperiments.decide(b, host: host, readiness: r, device: nil)?.depends == .cpu, "\(id) \(b)")
            }
            // What needs only /dev/kvm runs anywhere.
            #expect(AMXExperiments.decide("amx-xsave2-size", host: host, readiness: r, device: nil) == nil)
        }
    }

    @Test func everyAMXExperimentHasASkippedRowWithTheReason() {
        let rows = AMXExperiments.skipped("kvm", ["platform": "none"], depends: .cpu, reason: "CPU has no AMX-TILE")
        #expect(rows.count == AMXExperiments.metrics.count)
        #expect(Set(rows.map(\.benchmark)) == Set(AMXExperiments.benchmarks))
        #expect(rows.allSatisfy { $0.status == .skipped && $0.note == "CPU has no AMX-TILE" && $0.depends == .cpu })
    }

    @Test func modelMigrationSizesPerRecordedCPU() {
        #expect(AMXMigration.modelStateBytes(KVMContract.recorded("spr")) == 11008)
        #expect(AMXMigration.modelStateBytes(KVMContract.recorded("zen3")) == 4096)
        let rows = AMXMigration.slopeAndModel("kvm", [:], base: nil, big: nil)
        #expect(rows.filter { $0.metric == "model_state_bytes" }.count == CPUCatalog.all.count)
        #expect(rows.filter { $0.metric == "model_get_set_ticks" }.allSatisfy { $0.status == .skipped })
    }

    /// Fault 6: the AMX guest enables XSAVE and has an IDT whose #NM goes
    /// to the XFD handler; the exits it expects per fault are the contract's.
    @Test func amxGuestHasAnIDTAndExpectsTheContractsExits() {
        let gates = KVMGuest.idtEntries(xfdHandler: true)
        #expect(gates.count == 32)
        for (v, g) in gates.enumerated() {
            #expect((g.0 >> 16) & 0xFFFF == 0x08 && (g.0 >> 40) & 0xF == 0xE && (g.0 >> 47) & 1 == 1, "vector \(v)")
        }
        let target = { (g: (UInt64, UInt64)) in (g.0 & 0xFFFF) | ((g.0 >> 48) & 0xFFFF) << 16 | g.1 << 32 }
        #expect(target(gates[7]) != target(KVMGuest.idtEntries(xfdHandler: false)[7]), "#NM goes to the XFD handler")
        #expect(target(gates[6]) == target(KVMGuest.idtEntries(xfdHandler: false)[6]))
        let s = KVMGuest.longMode(kvm_sregs())
        #expect(s.idt.limit == 16 * 32 - 1 && s.idt.base != 0)
        let k = KVMContract(cpu: KVMContract.recorded("spr"))
        _ = k.guestXFDWrites(1, value: AMXGuestPlan.xfdTileData)
        #expect(AMXGuestExits.expectedExitsPerFault == Double(k.exitsPerGuestXFDFault()))
    }
}
