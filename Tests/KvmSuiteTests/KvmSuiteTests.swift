import BenchCore
import Foundation
@testable import KvmSuite
import Testing

struct KvmSuiteTests {
    func context(_ parameters: [String: String], host: CPUDescription = .host()) -> SuiteContext {
        SuiteContext(host: host, tsc: TSCFrequency(hz: 2e9, method: .calibrated, calibratedHz: 2e9),
                     kernel: TimingKernel(features: host.features), ticksPerCoreCycle: 1, emptyRegionTicks: 0,
                     quick: true, seed: 1, repetition: 1, progress: Progress(quiet: true),
                     parameters: parameters, declared: KvmBenchmarks().parameters)
    }

    @Test func missingDeviceGivesSkippedRowsWithTheReason() throws {
        let r = try KvmBenchmarks().run(context(["device": "/nonexistent/kvm"]))
        let exits = r.rows.filter { $0.benchmark == "exit" }
        #expect(exits.count == 5)
        #expect(exits.allSatisfy { $0.status == .skipped && $0.note.contains("No such file") })
        #expect(!r.rows.contains { $0.status == .error || $0.status == .failed })
        // Native first use needs no KVM: it runs or is skipped for the CPU's reason.
        let amx = r.rows.filter { $0.benchmark.hasPrefix("amx-") && $0.benchmark != "amx-native-first-use" }
        let kvmMetrics = AMXExperiments.metrics.filter { $0.benchmark != "amx-native-first-use" }
        #expect(amx.count == kvmMetrics.count)
        #expect(amx.allSatisfy { $0.status == .skipped && $0.note.contains("No such file") })
        let native = r.rows.filter { $0.benchmark == "amx-native-first-use" }
        #expect(native.count == 3)
        #expect(native.allSatisfy { AMXGuestPlan.hostReasons(.host()).isEmpty ? $0.status == .ok : $0.depends == .cpu })
    }

    /// Every row of a quick run carries the source its kind declares in
    /// `KvmRowSources.table`, and every kind is declared: with the real
    /// device (measured where it is usable, skipped rows where not) and
    /// with a device path that does not exist.
    @Test(arguments: ["/dev/kvm", "/nonexistent/kvm"])
    func quickRunMatchesTheSourceTable(device: String) throws {
        let rows = try KvmBenchmarks().run(context(["device": device, "pairs": "2", "exits-per-region": "4"])).rows
        #expect(!rows.isEmpty)
        for r in rows {
            let expected = KvmRowSources.expected(r)
            #expect(expected != nil, "undeclared row kind \(KvmRowSources.kind(r))")
            #expect(r.source == expected, "\(KvmRowSources.kind(r)) \(r.params)")
        }
    }

    @Test func unreadableDeviceGivesSkippedRows() throws {
        // A directory cannot be opened read-write: EISDIR, as EACCES would be for a locked device.
        let r = try KvmBenchmarks().run(context(["device": NSTemporaryDirectory()]))
        #expect(r.rows.filter { $0.benchmark == "exit" }.allSatisfy { $0.status == .skipped })
    }

    @Test func hypercallFollowsTheVendor() {
        #expect(GuestProgram.hypercall(vendor: "GenuineIntel") == .vmcall)
        #expect(GuestProgram.hypercall(vendor: "AuthenticAMD") == .vmmcall)
        #expect(KVMExitCosts.programs(vendor: "GenuineIntel").map(\.exitName)
                == ["cpuid", "rdmsr", "wrmsr", "vmcall", "port-write"])
    }

    @Test func platformSaysWhetherFiguresAreHardware() {
        #expect(KVMPlatform(modules: ["kvm_intel"], underHypervisor: false).hardwareFigures)
        #expect(KVMPlatform(modules: ["kvm_amd"], underHypervisor: false).hardwareFigures)
        #expect(!KVMPlatform(modules: ["kvm_amd"], underHypervisor: true).hardwareFigures)
        #expect(!KVMPlatform(modules: ["kvm_pvm"], underHypervisor: true).hardwareFigures)
        #expect(!KVMPlatform(modules: ["kvm_intel", "kvm_pvm"], underHypervisor: false).hardwareFigures)
        #expect(KVMPlatform(modules: ["kvm_pvm", "kvm_intel"], underHypervisor: false).name == "kvm_intel+kvm_pvm")
        #expect(KVMPlatform(modules: [], underHypervisor: false).name == "none")
        #expect(KVMPlatform(modules: ["kvm_pvm"], underHypervisor: true).description.contains("software"))
    }

    @Test func pairsAverageBothRegionOrders() {
        #expect(KVMExitCosts.pairAverages([10, 20, 30, 50, 7]) == [15, 40])
    }

    /// The guest's own count is a figure, not a check: it is the loop count
    /// the host asked for, whatever KVM did.
    @Test func guestCountIsNotPresentedAsACheck() {
        var c = KVMExitCost(program: .cpuid)
        c.guestPerExit = TimingSamples(perOp: [1, 2, 3])
        c.guestExits = 95; c.expectedExits = 96
        var rows = KvmRows(suite: "kvm", platform: KVMPlatform(modules: ["kvm_pvm"], underHypervisor: true))
        rows.exitCost(c, k: 16)
        let row = rows.rows.first { $0.metric == "guest_exits" }
        #expect(row?.status == .ok && row?.note.contains("not evidence") == true)
    }

    /// Injected fault: the host saw one user-space exit fewer than asked.
    @Test func userExitCountIsCheckedAgainstTheRequest() {
        var c = KVMExitCost(program: .outb)
        c.guestPerExit = TimingSamples(perOp: [1, 2, 3])
        c.guestExits = 96; c.expectedExits = 96; c.userExits = 95
        let platform = KVMPlatform(modules: ["kvm_pvm"], underHypervisor: true)
        var bad = KvmRows(suite: "kvm", platform: platform)
        bad.exitCost(c, k: 16)
        #expect(bad.rows.first { $0.metric == "user_exits" }?.status == .failed)
        #expect(bad.rows.first { $0.metric == "exits_verified" }?.status == .failed)
        c.userExits = 96
        var good = KvmRows(suite: "kvm", platform: platform)
        good.exitCost(c, k: 16)
        #expect(good.rows.first { $0.metric == "user_exits" }?.status == .ok)
        #expect(good.rows.first { $0.metric == "exits_verified" }?.status == .ok)
    }

    /// Exits handled in the kernel are verified from KVM's own counter
    /// where the platform counts them; a CPUID that never exited fails on
    /// hardware KVM; on kvm_pvm (which counted 28 of 3,840 here) the row
    /// says "unverified" instead of "within".
    @Test func kernelExitsAreVerifiedOnlyWhereKVMCountsThem() {
        func row(_ counter: UInt64?, _ platform: KVMPlatform) -> ResultRow? {
            var c = KVMExitCost(program: .cpuid)
            c.guestPerExit = TimingSamples(perOp: [1, 2, 3])
            c.guestExits = 3840; c.expectedExits = 3840; c.kvmExitsCounter = counter
            var rows = KvmRows(suite: "kvm", platform: platform)
            rows.exitCost(c, k: 32)
            return rows.rows.first { $0.metric == "exits_verified" }
        }
        let hw = KVMPlatform(modules: ["kvm_intel"], underHypervisor: false)
        let pvm = KVMPlatform(modules: ["kvm_pvm"], underHypervisor: true)
        #expect(row(3851, hw)?.status == .ok)
        #expect(row(28, hw)?.status == .failed)
        #expect(row(3840 * 2, hw)?.status == .failed)
        #expect(row(28, pvm)?.status == .skipped)
        #expect(row(28, pvm)?.note.hasPrefix("unverified on kvm_pvm") == true)
        #expect(row(nil, hw)?.status == .skipped)
    }

    @Test func statisticsDescriptorsParse() {
        // Two descriptors with 8-byte names: "exits" at data+0, "io_exits" at data+8.
        func desc(_ name: String, offset: UInt32) -> [UInt8] {
            var d = [UInt8](repeating: 0, count: 24)
            for i in 0..<4 { d[8 + i] = UInt8((offset >> (8 * UInt32(i))) & 0xFF) }
            for (i, b) in name.utf8.prefix(8).enumerated() { d[16 + i] = b }
            return d
        }
        let bytes = desc("exits", offset: 0) + desc("io_exits", offset: 8)
        let map = KVMStatistics.parseDescriptors(bytes, count: 2, nameSize: 8, dataOffset: 1000)
        #expect(map == ["exits": 1000, "io_exits": 1008])
    }
}

struct KVMExitCyclesTests {
    func cost(_ p: GuestProgram, _ ticks: [Double], failure: String? = nil) -> KVMExitCost {
        var c = KVMExitCost(program: p)
        c.guestPerExit = TimingSamples(perOp: ticks, inner: 32)
        c.failure = failure
        return c
    }

    @Test func mediansAreConvertedToCoreCycles() throws {
        let platform = KVMPlatform(modules: ["kvm_intel"], underHypervisor: false)
        let m = try #require(KVMExitCycles.from([cost(.cpuid, [900, 1000, 1100]), cost(.outb, [4000, 4200, 4400])],
                                                platform: platform, ticksPerCoreCycle: 0.5))
        #expect(m.cpuidExit == 2000)
        #expect(m.userExit == 8400)
        #expect(m.platform.hardwareFigures)
        #expect(m.origin.contains("kvm_intel"))
    }

    @Test func aFailedKindGivesNoFigures() {
        let platform = KVMPlatform(modules: ["kvm_amd"], underHypervisor: false)
        #expect(KVMExitCycles.from([cost(.cpuid, [1000]), cost(.outb, [], failure: "watchdog")],
                                   platform: platform, ticksPerCoreCycle: 1) == nil)
        #expect(KVMExitCycles.from([cost(.cpuid, [1000])], platform: platform, ticksPerCoreCycle: 1) == nil)
    }
}

/// The doctor answers for every benchmark the kvm suite declares.
struct KvmDoctorTests {
    @Test(arguments: [nil, KVMError("open /dev/kvm", code: ENOENT)] as [KVMError?])
    func everyDeclaredKvmBenchmarkHasAnAnswer(device: KVMError?) {
        let host = AMXGuestPlanTests.describe(KVMContract.recorded("spr"), "spr")
        let k = KVMContract(cpu: KVMContract.recorded("spr"), kvmHasAMX: false)
        let readiness = device == nil ? AMXGuestPlanTests.ready(k, "spr") : nil
        let answers = KvmDoctor.explain(host: host, platform: KVMPlatform(modules: ["kvm_pvm"], underHypervisor: true),
                                        device: device, readiness: readiness)
        for b in KvmBenchmarks().benchmarks {
            let a = answers[b.name]
            #expect(a != nil, "\(b.name)")
            if device != nil && b.name != "amx-native-first-use" { #expect(a?.fate == "skipped", "\(b.name)") }
            if a?.fate == "skipped" { #expect(a?.change.isEmpty == false, "\(b.name)") }
        }
    }
}
