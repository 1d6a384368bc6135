import BenchCore
import CKVM
import CXState
import Foundation

/// The AMX/XFD experiments.  What each needs, and so when it runs:
/// - amx-native-first-use: the CPU (AMX-TILE, XFD, XCR0 tiles) and
///   ARCH_REQ_XCOMP_PERM; nothing of KVM;
/// - amx-xsave2-size, amx-create-vcpu, amx-migration (default state): a
///   usable /dev/kvm;
/// - amx-permission, amx-set-cpuid, amx-migration (tile state): also a CPU
///   with AMX and the guest permission (KVM_SET_CPUID2 enables what the
///   permission allows, whether or not KVM_GET_SUPPORTED_CPUID lists it);
/// - amx-passthrough, amx-xfd-write, amx-guest-nm: also KVM offering AMX-TILE, both tile
///   components and XFD in its supported CPUID *after* the permission.
/// Every decision reads `AMXReadiness`, taken once per process before its
/// first vCPU.
enum AMXExperiments {
    /// Every row the experiments make: benchmark, metric, unit, source.
    static let metrics: [(benchmark: String, metric: String, unit: String, source: FigureSource)] = [
        ("amx-passthrough", "cpuid_before_xfd_write", "ticks", .measured),
        ("amx-passthrough", "cpuid_after_xfd_write", "ticks", .measured),
        ("amx-passthrough", "per_exit_cost", "ticks", .measured),
        ("amx-passthrough", "exits_per_write_intercepted", "exits", .measured),
        ("amx-passthrough", "exits_per_write_passed_through", "exits", .measured),
        ("amx-guest-nm", "nm_cycle", "ticks", .measured),
        ("amx-guest-nm", "plain_cycle", "ticks", .measured),
        ("amx-guest-nm", "nm_cost", "ticks", .measured),
        ("amx-guest-nm", "exits_per_fault", "exits", .measured),
        ("amx-xfd-write", "intercepted", "ticks", .measured),
        ("amx-xfd-write", "passed_through", "ticks", .measured),
        ("amx-set-cpuid", "without_xtiledata", "ticks", .measured),
        ("amx-set-cpuid", "with_xtiledata", "ticks", .measured),
        ("amx-set-cpuid", "state_bytes_without_xtiledata", "bytes", .measured),
        ("amx-set-cpuid", "state_bytes_with_xtiledata", "bytes", .measured),
        ("amx-permission", "guest_request", "errno", .measured),
        ("amx-permission", "set_cpuid_unpermitted", "errno", .measured),
        ("amx-create-vcpu", "with_permission", "ticks", .measured),
        ("amx-create-vcpu", "state_bytes_at_creation", "bytes", .measured),
        ("amx-xsave2-size", "before_permission", "bytes", .measured),
        ("amx-xsave2-size", "after_permission", "bytes", .measured),
        ("amx-native-first-use", "first_tile_use", "ticks", .measured),
        ("amx-native-first-use", "second_tile_use", "ticks", .measured),
        ("amx-native-first-use", "first_minus_second", "ticks", .measured),
    ] + AMXMigration.metrics

    static func skipped(_ suite: String, _ params: Params, depends: HostDependency, reason: String,
                        only benchmarks: Set<String>? = nil) -> [ResultRow] {
        metrics.filter { benchmarks?.contains($0.benchmark) ?? true }.map {
            .skipped(suite, $0.benchmark, params, metric: $0.metric,
                     unit: $0.unit, source: $0.source, depends: depends, reason: reason)
        }
    }

    /// Why a benchmark cannot run here: what decided it and the sentence.
    struct Skip: Equatable { var depends: HostDependency; var reason: String }

    /// What each AMX benchmark needs, decided from the host and the
    /// readiness; nil for a benchmark that can run.  Pure.
    static func decide(_ benchmark: String, host: CPUDescription, readiness r: AMXReadiness?,
                       device: KVMError?) -> Skip? {
        let cpu = AMXGuestPlan.hostReasons(host)
        if benchmark == "amx-native-first-use" {
            return cpu.isEmpty ? nil : Skip(depends: .cpu, reason: cpu.joined(separator: "; "))
        }
        if let device { return Skip(depends: .machine, reason: "no usable KVM device: \(device)") }
        guard let r else { return Skip(depends: .machine, reason: "no usable KVM device") }
        switch benchmark {
        case "amx-xsave2-size", "amx-create-vcpu":
            return nil
        default: break
        }
        if !cpu.isEmpty { return Skip(depends: .cpu, reason: cpu.joined(separator: "; ")) }
        if benchmark == "amx-permission" { return nil }
        guard r.permitted else {
            let why = r.request.map { if case .failure(let e) = $0 { return "\(e)" }; return "granted" } ?? "not requested"
            return Skip(depends: .cpuKernel, reason: "no guest permission for tile data (\(why))")
        }
        if benchmark == "amx-set-cpuid" || benchmark == "amx-migration" { return nil }
        guard let supported = r.supported else {
            return Skip(depends: .machine, reason: "KVM_GET_SUPPORTED_CPUID failed after the permission")
        }
        if let k = AMXGuestPlan.kvmReason(supported) {
            return Skip(depends: .cpuKernel, reason: k + " after ARCH_REQ_XCOMP_GUEST_PERM")
        }
        return nil
    }

    static let benchmarks = ["amx-passthrough", "amx-xfd-write", "amx-guest-nm", "amx-set-cpuid", "amx-permission", "amx-create-vcpu",
                             "amx-xsave2-size", "amx-migration", "amx-native-first-use"]

    /// Every AMX row for this host: measured where `decide` allows, skipped
    /// with the reason elsewhere.
    static func rows(_ suite: String, _ params: Params, host: CPUDescription, readiness: AMXReadiness?,
                     device: KVMError?, path: String, k: Int, pairs: Int, limitNanoseconds: UInt64, quick: Bool,
                     selected: (String) -> Bool) -> [ResultRow] {
        var rows: [ResultRow] = []
        let creates = quick ? 10 : 50
        for b in benchmarks where selected(b) {
            if let s = decide(b, host: host, readiness: readiness, device: device) {
                rows += skipped(suite, b == "amx-native-first-use" ? [:] : params, depends: s.depends, reason: s.reason, only: [b])
                continue
            }
            switch b {
            case "amx-native-first-use":
                // No KVM in it: the rows carry no platform.
                rows += AMXNativeFirstUse.rows(suite, [:], threads: quick ? 5 : 20, kernel: LiveAMXKernel(path: path),
                                               underHypervisor: host.features.hypervisor)
            case "amx-xsave2-size":
                rows += xsave2Rows(suite, params, readiness!)
            case "amx-permission":
                rows += permissionRows(suite, params, readiness!)
            case "amx-create-vcpu":
                rows += createVCPURows(suite, params, path: path, count: creates)
            case "amx-set-cpuid":
                rows += setCPUIDRows(suite, params, readiness!, path: path, count: creates)
            case "amx-migration":
                rows += AMXMigration.rows(suite, params, readiness: readiness!, path: path, count: creates,
                                          tiles: decide("amx-set-cpuid", host: host, readiness: readiness, device: nil) == nil)
            case "amx-guest-nm":
                rows += AMXGuestExits.nmRows(suite, params, supported: readiness!.supported!, path: path, k: k, pairs: pairs,
                                             limitNanoseconds: limitNanoseconds)
            case "amx-passthrough", "amx-xfd-write":
                // One guest measures both; run it once.
                guard b == "amx-passthrough" || !selected("amx-passthrough") else { continue }
                rows += AMXGuestExits.rows(suite, params, supported: readiness!.supported!, path: path, k: k,
                                           pairs: pairs, limitNanoseconds: limitNanoseconds)
                    .filter { selected($0.benchmark) }
            default: break
            }
        }
        return rows
    }

    static func errorRow(_ suite: String, _ b: String, _ params: Params, _ m: String, _ unit: String,
                         _ why: String) -> ResultRow {
        ResultRow(suite: suite, benchmark: b, params: params, metric: m, source: .measured, gate: .exact,
                  depends: .machine, status: .error, value: nil, unit: unit, note: why)
    }

    /// KVM_CAP_XSAVE2 before and after the permission, each checked against
    /// the size of the supported CPUID read at the same moment.  Both rows
    /// exist on every path (an error row when a call failed).
    static func xsave2Rows(_ suite: String, _ params: Params, _ r: AMXReadiness) -> [ResultRow] {
        func row(_ metric: String, _ size: Result<Int, KVMError>, _ supported: Result<[CPUIDEntry], KVMError>,
                 _ when: String) -> ResultRow {
            switch (size, supported) {
            case (.success(let s), .success(let list)):
                let offered = AMXGuestPlan.guestXCR0(list)
                return .check(suite, "amx-xsave2-size", params, metric: metric, Double(s),
                              expected: Double(AMXGuestPlan.expectedXSave2(list)), tolerance: 0, unit: "bytes",
                              source: .measured, gate: .exact, depends: .cpuKernel,
                              note: "KVM_CAP_XSAVE2 on a fresh VM \(when); KVM_GET_SUPPORTED_CPUID read then offers XCR0 "
                                  + "0x\(String(offered, radix: 16)) (tile data \(offered & AMXGuestPlan.xfdTileData != 0 ? "offered" : "not offered")); "
                                  + "expected max(4096, standard size of those bits)")
            case (.failure(let e), _), (_, .failure(let e)):
                return errorRow(suite, "amx-xsave2-size", params, metric, "bytes", "\(e)")
            }
        }
        let when = r.request == nil && r.permitted ? "(permission granted earlier in this process)" : ""
        return [row("before_permission", r.xsave2Before, r.supportedBefore, "before ARCH_REQ_XCOMP_GUEST_PERM \(when)"),
                row("after_permission", r.xsave2After, r.supportedAfter, "after ARCH_REQ_XCOMP_GUEST_PERM")]
    }

    /// The permission request's answer, and KVM_SET_CPUID2 with tile data
    /// without it (in a child process), checked against the kernel's rule.
    static func permissionRows(_ suite: String, _ params: Params, _ r: AMXReadiness) -> [ResultRow] {
        func errno(_ x: Result<Void, KVMError>?) -> Double? {
            switch x { case .success?: return 0; case .failure(let e)?: return Double(e.code); case nil: return nil }
        }
        var rows: [ResultRow] = []
        if let v = errno(r.request) {
            rows.append(.figure(suite, "amx-permission", params, metric: "guest_request", v, unit: "errno",
                                source: .measured, gate: .exact, depends: .cpuKernel,
                                note: "ARCH_REQ_XCOMP_GUEST_PERM(18) before this process's first vCPU: 0 granted; "
                                    + "EBUSY (16) would mean a vCPU existed already (the first guest fpstate locks the permission)"))
        } else {
            rows.append(.skipped(suite, "amx-permission", params, metric: "guest_request", unit: "errno",
                                 depends: .cpuKernel, reason: "guest permission already granted before this process's first look"))
        }
        if let v = errno(r.unpermittedSetCPUID) {
            rows.append(.check(suite, "amx-permission", params, metric: "set_cpuid_unpermitted", v,
                               expected: Double(EPERM), tolerance: 0, unit: "errno", source: .measured, gate: .exact,
                               depends: .cpuKernel,
                               note: "KVM_SET_CPUID2 offering XTILEDATA on a vCPU of a child process without guest permission "
                                   + "(kvm_check_cpuid -> fpu_enable_guest_xfd_features -> __xfd_enable_feature: -EPERM since 5.17)"))
        } else {
            rows.append(.skipped(suite, "amx-permission", params, metric: "set_cpuid_unpermitted", unit: "errno",
                                 depends: .cpuKernel, reason: "not tried: permission granted before this process's first look, or the supported CPUID was unreadable"))
        }
        return rows
    }

    /// KVM_CREATE_VCPU with the permission held, and the state size a new
    /// vCPU has: creation never expands (fpu_alloc_guest_fpstate allocates
    /// the default size whatever the permission), so there is no "without
    /// permission" timing to compare: the permission changes nothing here.
    static func createVCPURows(_ suite: String, _ params: Params, path: String, count: Int) -> [ResultRow] {
        var ticks: [Double] = []
        var bytes: Int?
        var failure: String?
        do {
            let system = try KVMSystem(path: path)
            for i in 0..<count {
                let vm = try system.createVM(memoryBytes: 4096)
                let (t, fd) = TimingKernel.region { ckvm_create_vcpu(vm.fd, 0) }
                if fd >= 0 { ticks.append(t); _ = ckvm_close(fd) } else { failure = "\(KVMError("KVM_CREATE_VCPU", code: -fd))" }
                if i == 0 { bytes = try vm.createVCPU(id: 1).xsaveBytesWritten() }
            }
        } catch { failure = "\(error)" }
        var rows: [ResultRow] = [
            ticks.isEmpty ? errorRow(suite, "amx-create-vcpu", params, "with_permission", "ticks", failure ?? "no sample")
                : .timing(suite, "amx-create-vcpu", params, metric: "with_permission", TimingSamples(perOp: ticks),
                          note: "KVM_CREATE_VCPU in a fresh VM, fenced RDTSC on the host; the guest permission (if any) "
                              + "does not change it: the buffer stays at the default size until KVM_SET_CPUID2"),
        ]
        if let bytes {
            rows.append(.check(suite, "amx-create-vcpu", params, metric: "state_bytes_at_creation", Double(bytes),
                               expected: 4096, tolerance: 0, unit: "bytes", source: .measured, gate: .exact,
                               depends: .cpuKernel,
                               note: "bytes KVM_GET_XSAVE2 writes for a new vCPU (sentinel-counted): uabi_size = "
                                   + "sizeof(struct kvm_xsave) at creation, whatever the permission"))
        } else {
            rows.append(errorRow(suite, "amx-create-vcpu", params, "state_bytes_at_creation", "bytes", failure ?? "no vCPU"))
        }
        return rows
    }

    /// KVM_SET_CPUID2 with and without XTILEDATA on fresh vCPUs, alternating;
    /// then the state size each leaves (KVM_GET_XSAVE2), checked: the
    /// reallocation really happened (or really did not).
    static func setCPUIDRows(_ suite: String, _ params: Params, _ r: AMXReadiness, path: String, count: Int) -> [ResultRow] {
        let supported = r.supported ?? []
        let host = LiveCPUID()
        let offered = AMXGuestPlan.kvmReason(supported) == nil
        let with = offered ? AMXGuestPlan.guestCPUID(supported, withTileData: true)
            : AMXGuestPlan.withHostTiles(supported, host: host)
        let without = AMXGuestPlan.guestCPUID(supported, withTileData: false)
        let origin = offered ? "the supported CPUID read after the permission"
            : "the supported CPUID read after the permission plus the host's tile leaves (KVM does not list AMX here; "
                + "KVM_SET_CPUID2 still enables what the permission allows)"
        var ticks: [Bool: [Double]] = [true: [], false: []]
        var bytes: [Bool: Result<Int, KVMError>] = [:]
        var failure: String?
        do {
            let system = try KVMSystem(path: path)
            for i in 0..<(2 * count) {
                let tiles = i % 2 == 0
                let entries = (tiles ? with : without).map(\.kernel)
                let vm = try system.createVM(memoryBytes: 4096)
                let vcpu = try vm.createVCPU()
                let rc: Int32 = entries.withUnsafeBufferPointer { buffer in
                    let (t, rc) = TimingKernel.region { ckvm_set_cpuid2(vcpu.fd, buffer.baseAddress, UInt32(buffer.count)) }
                    if rc == 0 { ticks[tiles, default: []].append(t) }
                    return rc
                }
                if rc != 0 { failure = "\(KVMError("KVM_SET_CPUID2", code: -rc))"; continue }
                if bytes[tiles] == nil { bytes[tiles] = Result { () throws(KVMError) in try vcpu.xsaveBytesWritten() } }
            }
        } catch { failure = "\(error)" }
        var rows: [ResultRow] = []
        for tiles in [false, true] {
            let m = tiles ? "with_xtiledata" : "without_xtiledata"
            let t = ticks[tiles] ?? []
            rows.append(t.isEmpty ? errorRow(suite, "amx-set-cpuid", params, m, "ticks", failure ?? "no sample")
                : .timing(suite, "amx-set-cpuid", params, metric: m, TimingSamples(perOp: t),
                          note: "KVM_SET_CPUID2 on a fresh vCPU (includes the kvm_cpuid2 copy), CPUID from \(origin)"
                              + (tiles ? "; the guest fpstate is reallocated (fpstate_realloc)" : "")))
            let permission = (try? r.guestPermissionAfter.get()) ?? 0
            let expected = AMXGuestPlan.expectedGuestStateBytes(expanded: tiles, permission: permission, host: host)
            switch bytes[tiles] {
            case .success(let b)?:
                rows.append(.check(suite, "amx-set-cpuid", params, metric: "state_bytes_" + m, Double(b),
                                   expected: Double(expected), tolerance: 0, unit: "bytes", source: .measured, gate: .exact,
                                   depends: .cpuKernel,
                                   note: "bytes KVM_GET_XSAVE2 writes after that KVM_SET_CPUID2 (sentinel-counted): "
                                       + (tiles ? "the permission's user size once the buffer was reallocated"
                                                : "sizeof(struct kvm_xsave), no reallocation")))
            case .failure(let e)?:
                rows.append(errorRow(suite, "amx-set-cpuid", params, "state_bytes_" + m, "bytes", "\(e)"))
            case nil:
                rows.append(errorRow(suite, "amx-set-cpuid", params, "state_bytes_" + m, "bytes", failure ?? "no vCPU"))
            }
        }
        return rows
    }
}
