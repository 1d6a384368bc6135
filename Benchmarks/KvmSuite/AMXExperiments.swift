import BenchCore
import CKVM
import CXState
import Foundation

/// The AMX/XFD experiments through /dev/kvm (run only where the host CPU
/// has AMX and XFD and KVM offers them; elsewhere skipped rows with the
/// reason):
/// - amx-passthrough: the CPUID exit before and after the guest's first
///   non-zero WRMSR(IA32_XFD), after which KVM reads XFD after every exit;
/// - amx-xfd-write: a guest WRMSR(XFD, 0) while intercepted (an exit) and
///   once passed through (no exit);
/// - amx-set-cpuid: KVM_SET_CPUID2 with and without XTILEDATA on fresh
///   vCPUs (the difference is the guest fpstate reallocation);
/// - amx-create-vcpu: KVM_CREATE_VCPU before and after guest permission;
/// - amx-xsave2-size: KVM_CAP_XSAVE2 before and after guest permission;
/// - amx-native-first-use: in fresh threads, the first tile instruction
///   (XFD #NM, the kernel enlarges the task's buffer) against the second.
enum AMXExperiments {
    /// Every row the experiments make: benchmark, metric, unit.
    static let metrics: [(benchmark: String, metric: String, unit: String)] = [
        ("amx-passthrough", "cpuid_before_xfd_write", "ticks"),
        ("amx-passthrough", "cpuid_after_xfd_write", "ticks"),
        ("amx-passthrough", "per_exit_cost", "ticks"),
        ("amx-xfd-write", "intercepted", "ticks"),
        ("amx-xfd-write", "passed_through", "ticks"),
        ("amx-set-cpuid", "without_xtiledata", "ticks"),
        ("amx-set-cpuid", "with_xtiledata", "ticks"),
        ("amx-create-vcpu", "without_permission", "ticks"),
        ("amx-create-vcpu", "with_permission", "ticks"),
        ("amx-xsave2-size", "before_permission", "bytes"),
        ("amx-xsave2-size", "after_permission", "bytes"),
        ("amx-native-first-use", "first_tile_use", "ticks"),
        ("amx-native-first-use", "second_tile_use", "ticks"),
    ]

    static func skipped(_ suite: String, _ params: Params, depends: HostDependency, reason: String,
                        only benchmarks: Set<String>? = nil) -> [ResultRow] {
        metrics.filter { benchmarks?.contains($0.benchmark) ?? true }.map {
            .skipped(suite, $0.benchmark, params, metric: $0.metric, unit: $0.unit, depends: depends, reason: reason)
        }
    }

    /// Why the experiments cannot run here and what decided it, or nil.
    static func gate(host: CPUDescription, supported: [CPUIDEntry]) -> (HostDependency, String)? {
        let cpu = AMXGuestPlan.hostReasons(host)
        if !cpu.isEmpty { return (.cpu, cpu.joined(separator: "; ")) }
        if let r = AMXGuestPlan.kvmReason(supported) { return (.cpuKernel, r) }
        return nil
    }

    /// The experiments on a host that passed `gate`.  Requests guest and
    /// native AMX permission for this process (irreversible).
    static func run(_ suite: String, _ params: Params, system: KVMSystem, supported: [CPUIDEntry],
                    k: Int, pairs: Int, limitNanoseconds: UInt64, quick: Bool,
                    selected: (String) -> Bool = { _ in true }) -> [ResultRow] {
        var rows: [ResultRow] = []
        let creates = quick ? 10 : 50
        func fail(_ b: String, _ m: String, _ unit: String, _ why: String) -> ResultRow {
            ResultRow(suite: suite, benchmark: b, params: params, metric: m, source: .measured, gate: .exact,
                      depends: .machine, status: .error, value: nil, unit: unit, note: why)
        }
        func size(_ metric: String, _ note: String, expected: Int) {
            guard selected("amx-xsave2-size") else { return }
            do {
                let vm = try system.createVM(memoryBytes: 4096)
                rows.append(.check(suite, "amx-xsave2-size", params, metric: metric,
                                   Double(try vm.checkExtension(Int32(KVM_CAP_XSAVE2))), expected: Double(expected),
                                   tolerance: 0, unit: "bytes", source: .measured, gate: .exact, depends: .cpuKernel,
                                   note: note))
            } catch { rows.append(fail("amx-xsave2-size", metric, "bytes", "\(error)")) }
        }

        // Permission is per process and cannot be dropped: measure "without" first, if still possible.
        var permitted: UInt64 = 0
        _ = cx_arch_prctl(Int32(CX_ARCH_GET_XCOMP_GUEST_PERM), UInt(bitPattern: withUnsafeMutablePointer(to: &permitted) { $0 }))
        if permitted & AMXGuestPlan.xfdTileData != 0 {
            rows.append(.skipped(suite, "amx-create-vcpu", params, metric: "without_permission", unit: "ticks",
                                 depends: .machine, reason: "guest AMX permission already granted in this process"))
            rows.append(.skipped(suite, "amx-xsave2-size", params, metric: "before_permission", unit: "bytes",
                                 depends: .machine, reason: "guest AMX permission already granted in this process"))
        } else {
            size("before_permission", "KVM_CAP_XSAVE2 before ARCH_REQ_XCOMP_GUEST_PERM: tile data left out",
                 expected: AMXGuestPlan.expectedXSave2(supported, permitted: false))
            if selected("amx-create-vcpu") {
                rows.append(timeCreateVCPU(suite, params, system: system, count: creates, metric: "without_permission"))
            }
            // The permission sequence runs whatever is selected: every
            // experiment after it needs the guest permission.
            for step in AMXGuestPlan.permissionSequence {
                var value: UInt64 = 0
                let arg = step.argument != 0 ? step.argument : UInt(bitPattern: withUnsafeMutablePointer(to: &value) { $0 })
                let r = cx_arch_prctl(step.code, arg)
                let missing = step.argument == 0 && value & AMXGuestPlan.xfdTileData == 0
                if r != 0 || missing {
                    return rows + skipped(suite, params, depends: .cpuKernel, reason: "\(step.meaning) failed (\(r), mask 0x\(String(value, radix: 16)))",
                                          only: ["amx-passthrough", "amx-xfd-write", "amx-set-cpuid", "amx-native-first-use"])
                        + [.skipped(suite, "amx-create-vcpu", params, metric: "with_permission", unit: "ticks",
                                    depends: .cpuKernel, reason: "\(step.meaning) failed (\(r))")]
                }
            }
        }
        size("after_permission", "KVM_CAP_XSAVE2 after ARCH_REQ_XCOMP_GUEST_PERM(18): tile data included",
             expected: AMXGuestPlan.expectedXSave2(supported, permitted: true))
        if selected("amx-create-vcpu") {
            rows.append(timeCreateVCPU(suite, params, system: system, count: creates, metric: "with_permission"))
        }
        if selected("amx-set-cpuid") {
            rows += timeSetCPUID(suite, params, system: system, supported: supported, count: creates)
        }
        // One guest measures both: the XFD write cost before and after the
        // write that turns passthrough on.
        if selected("amx-passthrough") || selected("amx-xfd-write") {
            rows += passthrough(suite, params, system: system, supported: supported, k: k, pairs: pairs,
                                limitNanoseconds: limitNanoseconds, fail: fail)
        }
        if selected("amx-native-first-use") {
            rows += nativeFirstUse(suite, params, threads: quick ? 5 : 20)
        }
        return rows
    }

    /// KVM_CREATE_VCPU alone, timed on the host, each in a fresh VM.
    static func timeCreateVCPU(_ suite: String, _ params: Params, system: KVMSystem, count: Int, metric: String) -> ResultRow {
        var ticks: [Double] = []
        for _ in 0..<count {
            guard let vm = try? system.createVM(memoryBytes: 4096) else { continue }
            let (t, fd) = TimingKernel.region { ckvm_create_vcpu(vm.fd, 0) }
            if fd >= 0 { ticks.append(t); _ = ckvm_close(fd) }
        }
        return .timing(suite, "amx-create-vcpu", params, metric: metric, TimingSamples(perOp: ticks),
                       note: "KVM_CREATE_VCPU ioctl in a fresh VM, fenced RDTSC on the host")
    }

    /// KVM_SET_CPUID2 with and without XTILEDATA, alternating, fresh vCPUs.
    static func timeSetCPUID(_ suite: String, _ params: Params, system: KVMSystem, supported: [CPUIDEntry],
                             count: Int) -> [ResultRow] {
        var ticks: [Bool: [Double]] = [true: [], false: []]
        for i in 0..<(2 * count) {
            let tiles = i % 2 == 0
            let entries = AMXGuestPlan.guestCPUID(supported, withTileData: tiles).map(\.kernel)
            guard let vm = try? system.createVM(memoryBytes: 4096), let vcpu = try? vm.createVCPU() else { continue }
            let r: Int32 = entries.withUnsafeBufferPointer { buffer in
                let (t, r) = TimingKernel.region { ckvm_set_cpuid2(vcpu.fd, buffer.baseAddress, UInt32(buffer.count)) }
                if r == 0 { ticks[tiles, default: []].append(t) }
                return r
            }
            _ = r
        }
        return [false, true].map { tiles in
            .timing(suite, "amx-set-cpuid", params, metric: tiles ? "with_xtiledata" : "without_xtiledata",
                    TimingSamples(perOp: ticks[tiles] ?? []),
                    note: "KVM_SET_CPUID2 on a fresh vCPU (includes the kvm_cpuid2 copy); with XTILEDATA the guest fpstate is reallocated")
        }
    }

    /// The per-exit price of XFD passthrough and the cost of a guest XFD
    /// write before and after, on one vCPU whose CPUID offers AMX and XFD.
    static func passthrough(_ suite: String, _ params: Params, system: KVMSystem, supported: [CPUIDEntry],
                            k: Int, pairs: Int, limitNanoseconds: UInt64,
                            fail: (String, String, String, String) -> ResultRow) -> [ResultRow] {
        let guest: KVMGuest
        do { guest = try KVMGuest(system: system, cpuid: AMXGuestPlan.guestCPUID(supported, withTileData: true).map(\.kernel)) }
        catch { return [fail("amx-passthrough", "per_exit_cost", "ticks", "\(error)")] }
        func measure(_ p: GuestProgram, value: UInt64 = 0) -> Result<TimingSamples, RunFailure> {
            let r = guest.run(p, k: k, samples: 2 * pairs, msr: AMXGuestPlan.xfdMSR, value: value,
                              limitNanoseconds: limitNanoseconds)
            if let f = r.failure { return .failure(RunFailure(text: f)) }
            return .success(TimingSamples(perOp: KVMExitCosts.pairAverages(r.perExit), inner: k))
        }
        let before = measure(.cpuid)
        let intercepted = measure(.wrmsrValue, value: 0)  // writes of zero keep interception on
        let arm = guest.run(.wrmsrValue, k: 1, samples: 1, msr: AMXGuestPlan.xfdMSR, value: AMXGuestPlan.xfdTileData,
                            limitNanoseconds: limitNanoseconds)
        let after = arm.failure == nil ? measure(.cpuid) : .failure(RunFailure(text: "first non-zero XFD write: \(arm.failure ?? "")"))
        let passed = arm.failure == nil ? measure(.wrmsrValue, value: 0) : after
        var rows: [ResultRow] = []
        func add(_ b: String, _ m: String, _ r: Result<TimingSamples, RunFailure>, _ note: String) {
            switch r {
            case .success(let s): rows.append(.timing(suite, b, params, metric: m, s, note: note))
            case .failure(let f): rows.append(fail(b, m, "ticks", f.text))
            }
        }
        add("amx-passthrough", "cpuid_before_xfd_write", before, "CPUID exit, XFD writes still intercepted")
        add("amx-passthrough", "cpuid_after_xfd_write", after, "CPUID exit after the first non-zero XFD write: KVM reads XFD after each exit")
        if case .success(let b) = before, case .success(let a) = after, let mb = b.summary?.median, let ma = a.summary?.median {
            rows.append(.figure(suite, "amx-passthrough", params, metric: "per_exit_cost", ma - mb, unit: "ticks",
                                source: .measured, depends: .machine,
                                note: "median after - median before: the per-exit price of XFD passthrough"))
        } else {
            rows.append(fail("amx-passthrough", "per_exit_cost", "ticks", "a CPUID run failed"))
        }
        add("amx-xfd-write", "intercepted", intercepted, "guest WRMSR(XFD, 0) while intercepted: an MSR-write exit")
        add("amx-xfd-write", "passed_through", passed, "guest WRMSR(XFD, 0) after passthrough: no exit")
        return rows
    }

    /// First against second tile instruction in fresh threads after
    /// ARCH_REQ_XCOMP_PERM: the first takes the XFD #NM and the kernel's
    /// buffer expansion.
    static func nativeFirstUse(_ suite: String, _ params: Params, threads: Int) -> [ResultRow] {
        let r = cx_arch_prctl(Int32(CX_ARCH_REQ_XCOMP_PERM), UInt(CX_XFEATURE_XTILEDATA))
        guard r == 0 else {
            return skipped(suite, params, depends: .cpuKernel, reason: "ARCH_REQ_XCOMP_PERM failed (\(r))",
                           only: ["amx-native-first-use"])
        }
        let samples = FirstUseSamples()
        for _ in 0..<threads {
            let t = Thread { samples.add(AMXExperiments.firstAndSecondTileUse()) }
            t.start()
            samples.wait(for: 1)
        }
        let (first, second) = samples.values
        return [
            .timing(suite, "amx-native-first-use", params, metric: "first_tile_use", TimingSamples(perOp: first),
                    note: "TILEZERO x8 right after LDTILECFG in a fresh thread: XFD #NM, buffer enlarged"),
            .timing(suite, "amx-native-first-use", params, metric: "second_tile_use", TimingSamples(perOp: second),
                    note: "the same instructions again in that thread"),
        ]
    }

    /// Precondition: AMX permission granted for this process.
    static func firstAndSecondTileUse() -> (Double, Double) {
        let cfg = UnsafeMutablePointer<cx_amx_tilecfg>.allocate(capacity: 1)
        defer { cfg.deallocate() }
        cx_amx_config_full(cfg)
        cx_amx_ldtilecfg(cfg)
        // The first use takes the XFD #NM and the kernel's buffer expansion;
        // the second runs on the expanded state.  Both regions pay the same
        // fixed cost.
        let first = TimingKernel.region { cx_amx_tilezero_all() }.ticks
        let second = TimingKernel.region { cx_amx_tilezero_all() }.ticks
        cx_amx_tilerelease()
        return (first, second)
    }
}

/// A guest run that did not complete, as an error value.
struct RunFailure: Error { var text: String }

/// Samples handed back from short-lived threads.
final class FirstUseSamples: @unchecked Sendable {
    private let lock = NSCondition()
    private var first: [Double] = [], second: [Double] = [], pending = 0

    func add(_ v: (Double, Double)) {
        lock.lock(); first.append(v.0); second.append(v.1); pending += 1; lock.signal(); lock.unlock()
    }

    /// Waits (at most 10 s) until `n` more samples arrived.
    func wait(for n: Int) {
        lock.lock(); defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(10)
        while pending < n && lock.wait(until: deadline) {}
        pending = max(0, pending - n)
    }

    var values: ([Double], [Double]) { lock.lock(); defer { lock.unlock() }; return (first, second) }
}
