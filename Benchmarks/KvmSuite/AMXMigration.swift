import BenchCore
import CKVM
import Foundation

/// What a VMM pays to move one vCPU's register state (live migration,
/// save/restore): KVM_GET_XSAVE2 and KVM_SET_XSAVE of the whole image, and
/// the legacy KVM_GET_XSAVE, timed on the host for a vCPU in the default
/// state (4096 B) and, where the guest permission allows, one whose
/// KVM_SET_CPUID2 offered XTILEDATA (the permission's user size, 11008 B
/// with AMX).  Model rows give the image size for each recorded CPU and
/// scale the measured cost to it.
///
/// The vCPUs have never run: their state is the init state, which
/// copy_xstate_to_uabi_buf copies from init_fpstate at the same length, so
/// the bytes moved are those of a guest with live state.
enum AMXMigration {
    static let metrics: [(benchmark: String, metric: String, unit: String, source: FigureSource)] = [
        ("amx-migration", "get_xsave2_default", "ticks", .measured),
        ("amx-migration", "set_xsave_default", "ticks", .measured),
        ("amx-migration", "get_xsave_default", "ticks", .measured),
        ("amx-migration", "state_bytes_default", "bytes", .measured),
        ("amx-migration", "get_xsave2_tiles", "ticks", .measured),
        ("amx-migration", "set_xsave_tiles", "ticks", .measured),
        ("amx-migration", "state_bytes_tiles", "bytes", .measured),
        ("amx-migration", "get_xsave_tiles_errno", "errno", .measured),
        ("amx-migration", "get_set_ticks_per_extra_byte", "ticks", .measured),
    ]

    /// Samples per ioctl and state.
    static func samples(_ count: Int) -> Int { 4 * count }

    struct Timed { var get2: [Double] = [], set: [Double] = [], get: [Double] = [], bytes = 0, getErrno: Int32 = 0 }

    /// Times the three ioctls on one vCPU in interleaved rounds.
    static func time(_ vcpu: KVMVCPU, samples: Int) throws(KVMError) -> Timed {
        var t = Timed()
        t.bytes = try vcpu.xsaveBytesWritten()
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: KVMVCPU.xsaveBufferBytes, alignment: 64)
        defer { buffer.deallocate() }
        try kvmCall("KVM_GET_XSAVE2", ckvm_get_xsave2(vcpu.fd, buffer, KVMVCPU.xsaveBufferBytes))
        let legacy = ckvm_get_xsave(vcpu.fd, buffer + 32 * 1024)  // 4096 B, away from the image
        t.getErrno = legacy < 0 ? -legacy : 0
        for _ in 0..<samples {
            let (g, rg) = TimingKernel.region { ckvm_get_xsave2(vcpu.fd, buffer, KVMVCPU.xsaveBufferBytes) }
            try kvmCall("KVM_GET_XSAVE2", rg)
            let (s, rs) = TimingKernel.region { ckvm_set_xsave(vcpu.fd, buffer) }
            try kvmCall("KVM_SET_XSAVE", rs)
            t.get2.append(g); t.set.append(s)
            if t.getErrno == 0 {
                let (l, rl) = TimingKernel.region { ckvm_get_xsave(vcpu.fd, buffer + 32 * 1024) }
                try kvmCall("KVM_GET_XSAVE", rl)
                t.get.append(l)
            }
        }
        return t
    }

    static func rows(_ suite: String, _ params: Params, readiness r: AMXReadiness, path: String, count: Int,
                     tiles: Bool) -> [ResultRow] {
        func err(_ m: String, _ unit: String, _ why: String) -> ResultRow {
            AMXExperiments.errorRow(suite, "amx-migration", params, m, unit, why)
        }
        var rows: [ResultRow] = []
        let n = samples(count)
        let note = "on one never-run vCPU, fenced RDTSC around the ioctl, interleaved with the other ioctls of the image"
        var base: Timed?, big: Timed?
        do {
            let system = try KVMSystem(path: path)
            let vm = try system.createVM(memoryBytes: 4096)
            let plain = try vm.createVCPU(id: 0)
            try plain.setCPUID(AMXGuestPlan.guestCPUID(r.supported ?? [], withTileData: false).map(\.kernel))
            base = try time(plain, samples: n)
        } catch {
            for m in ["get_xsave2_default", "set_xsave_default", "get_xsave_default"] { rows.append(err(m, "ticks", "\(error)")) }
            rows.append(err("state_bytes_default", "bytes", "\(error)"))
        }
        if let b = base {
            rows.append(.timing(suite, "amx-migration", params, metric: "get_xsave2_default", TimingSamples(perOp: b.get2),
                                note: "KVM_GET_XSAVE2 of a \(b.bytes)-byte image " + note))
            rows.append(.timing(suite, "amx-migration", params, metric: "set_xsave_default", TimingSamples(perOp: b.set),
                                note: "KVM_SET_XSAVE of that image " + note))
            rows.append(b.get.isEmpty ? err("get_xsave_default", "ticks", "KVM_GET_XSAVE refused (errno \(b.getErrno))")
                : .timing(suite, "amx-migration", params, metric: "get_xsave_default", TimingSamples(perOp: b.get),
                          note: "legacy KVM_GET_XSAVE (4096 B) " + note))
            rows.append(.check(suite, "amx-migration", params, metric: "state_bytes_default", Double(b.bytes), expected: 4096,
                               tolerance: 0, unit: "bytes", source: .measured, gate: .exact, depends: .cpuKernel,
                               note: "bytes KVM_GET_XSAVE2 wrote (sentinel-counted) without tile data: sizeof(struct kvm_xsave)"))
        }
        if tiles {
            do {
                let system = try KVMSystem(path: path)
                let vm = try system.createVM(memoryBytes: 4096)
                let vcpu = try vm.createVCPU(id: 0)
                let supported = r.supported ?? []
                let with = AMXGuestPlan.kvmReason(supported) == nil ? supported
                    : AMXGuestPlan.withHostTiles(supported, host: LiveCPUID())
                try vcpu.setCPUID(with.map(\.kernel))
                big = try time(vcpu, samples: n)
            } catch {
                for m in ["get_xsave2_tiles", "set_xsave_tiles"] { rows.append(err(m, "ticks", "\(error)")) }
                rows.append(err("state_bytes_tiles", "bytes", "\(error)"))
                rows.append(err("get_xsave_tiles_errno", "errno", "\(error)"))
            }
        } else {
            let why = AMXExperiments.decide("amx-set-cpuid", host: .host(), readiness: r, device: nil)?.reason ?? "not selected"
            for m in metrics where m.metric.hasSuffix("tiles") || m.metric.hasSuffix("tiles_errno") {
                rows.append(.skipped(suite, "amx-migration", params, metric: m.metric, unit: m.unit, depends: .cpuKernel, reason: why))
            }
        }
        if let g = big {
            let expected = AMXGuestPlan.expectedGuestStateBytes(expanded: true, permission: (try? r.guestPermissionAfter.get()) ?? 0,
                                                                host: LiveCPUID())
            rows.append(.timing(suite, "amx-migration", params, metric: "get_xsave2_tiles", TimingSamples(perOp: g.get2),
                                note: "KVM_GET_XSAVE2 of a \(g.bytes)-byte image (guest CPUID with XTILEDATA) " + note))
            rows.append(.timing(suite, "amx-migration", params, metric: "set_xsave_tiles", TimingSamples(perOp: g.set),
                                note: "KVM_SET_XSAVE of that image " + note))
            rows.append(.check(suite, "amx-migration", params, metric: "state_bytes_tiles", Double(g.bytes),
                               expected: Double(expected), tolerance: 0, unit: "bytes", source: .measured, gate: .exact,
                               depends: .cpuKernel, note: "bytes KVM_GET_XSAVE2 wrote with tile data: the permission's user size"))
            rows.append(.check(suite, "amx-migration", params, metric: "get_xsave_tiles_errno", Double(g.getErrno),
                               expected: Double(EINVAL), tolerance: 0, unit: "errno", source: .measured, gate: .exact,
                               depends: .cpuKernel,
                               note: "legacy KVM_GET_XSAVE once the image exceeds struct kvm_xsave: -EINVAL (arch/x86/kvm/x86.c, 5.17+)"))
        }
        rows += slopeAndModel(suite, params, base: base, big: big)
        return rows
    }

    /// Ticks per byte beyond 4096 of a get+set pair, from paired samples
    /// (sample i of each image, taken in the same round order), and the
    /// model rows per recorded CPU.
    static func slopeAndModel(_ suite: String, _ params: Params, base: Timed?, big: Timed?) -> [ResultRow] {
        var rows: [ResultRow] = []
        var perByte: Double?
        var baseMedian: Double?
        if let b = base { baseMedian = Summary(zip(b.get2, b.set).map { $0 + $1 }).median }
        if let b = base, let g = big, g.bytes > b.bytes {
            let extra = Double(g.bytes - b.bytes)
            let diffs = zip(zip(b.get2, b.set), zip(g.get2, g.set)).map { (($1.0 + $1.1) - ($0.0 + $0.1)) / extra }
            let s = TimingSamples(perOp: diffs)
            perByte = s.summary?.median
            rows.append(.timing(suite, "amx-migration", params, metric: "get_set_ticks_per_extra_byte", s,
                                note: "paired per-round (get+set with tiles - get+set default) / \(Int(extra)) extra bytes; "
                                    + "spread from the pairs, not from two medians"))
        } else {
            rows.append(.skipped(suite, "amx-migration", params, metric: "get_set_ticks_per_extra_byte", unit: "ticks",
                                 depends: .cpuKernel, reason: "needs both images measured"))
        }
        for cpu in CPUCatalog.all {
            let p = Params(params.pairs.map { ($0.key, $0.value) } + [("cpu", cpu.id)])
            let bytes = modelStateBytes(cpu.cpuid)
            rows.append(.figure(suite, "amx-migration", p, metric: "model_state_bytes", Double(bytes), unit: "bytes",
                                source: .model, depends: .none,
                                note: "KVM_GET_XSAVE2 image for \(cpu.name) with every XCR0 feature permitted: "
                                    + "max(4096, standard size of XCR0 0x\(String(cpu.cpuid.xcr0 ?? 0, radix: 16)))"))
            if let m = baseMedian, let k = perByte {
                rows.append(.figure(suite, "amx-migration", p, metric: "model_get_set_ticks", m + k * Double(bytes - 4096),
                                    unit: "ticks", source: .model, gate: .info, depends: .machine,
                                    note: "this host's get+set median at 4096 B + \(String(format: "%.3f", k)) ticks per extra byte "
                                        + "x \(bytes - 4096) B: this host's copy cost scaled to that image, not a measurement on that CPU"))
            } else {
                rows.append(.skipped(suite, "amx-migration", p, metric: "model_get_set_ticks", unit: "ticks", source: .model,
                                     depends: .cpuKernel, reason: "needs the per-byte slope measured here (tile image)"))
            }
        }
        return rows
    }

    /// Standard size of a recorded CPU's XCR0, at least 4096.
    static func modelStateBytes(_ cpuid: CPUIDSource) -> Int {
        let xcr0 = cpuid.xcr0 ?? 3
        let end = (2..<64).filter { xcr0 & (1 << UInt64($0)) != 0 }
            .map { cpuid.cpuid(0xD, UInt32($0)) }.map { Int($0.ebx) + Int($0.eax) }.reduce(576, max)
        return max(4096, end)
    }
}
