import BenchCore
import CKVM
import CXState
import Foundation

/// One run of a guest program: what the guest wrote and what the host saw.
public struct GuestRun: Sendable {
    /// How the run ended: nil when the program reached its done port,
    /// else the reason (exit reason, watchdog, failed ioctl).
    public var failure: String?
    /// Per sample, ticks of the K-exit and the 2K-exit region, as timed in the guest.
    public var shortRegions: [Double] = [], longRegions: [Double] = []
    /// The guest's own count of exits made (results page word 1).
    public var guestExits: UInt64 = 0
    /// Exits to user space on the exit port, counted by the host loop.
    public var userExits = 0
    /// Ticks of each KVM_RUN that began right after an exit-port exit and
    /// ended at the next: one whole user-space exit round trip, host side.
    public var hostRunTicks: [Double] = []
    /// vCPU statistics after minus before (when KVM_GET_STATS_FD works).
    public var statsDelta: [String: UInt64] = [:]
    public var samplesRequested = 0, k = 0

    /// Per-exit ticks for each sample: (long - short) / K.  The fences, TSC
    /// reads and loop set-up are in both regions and cancel.
    public var perExit: [Double] {
        zip(shortRegions, longRegions).map { ($1 - $0) / Double(max(k, 1)) }
    }
}

/// A VM with one vCPU in 64-bit long mode, set up by the host as the KVM
/// selftests do (identity page tables, GDT, CR0/CR4/EFER through
/// KVM_SET_SREGS), with the guest programs in its memory.
public final class KVMGuest {
    public let vm: KVMVirtualMachine
    public let vcpu: KVMVCPU
    let stats: KVMStatistics?
    /// The counters a run reports as deltas.
    static let countedStats = ["exits", "io_exits", "hypercalls", "halt_exits", "signal_exits", "insn_emulation"]

    /// Creates the VM and vCPU, gives the vCPU `cpuid` (nil: everything KVM
    /// supports; `setCPUID` false: no KVM_SET_CPUID2 at all) and puts it in
    /// long mode at CPL 0, or leaves it in real mode (`realMode`) with CS
    /// based at 0 for the 16-bit programs.
    /// `xcr0`: the guest enables XSAVE as an OS would (CR4.OSXSAVE, then
    /// XSETBV with this XCR0 in the guest) and its IDT sends #NM to the XFD
    /// handler (`GuestProgram.nmCycle`); nil leaves XSAVE off.
    public init(system: KVMSystem, cpuid: [kvm_cpuid_entry2]? = nil, setCPUID: Bool = true,
                realMode: Bool = false, xcr0: UInt64? = nil) throws(KVMError) {
        vm = try system.createVM(memoryBytes: GuestLayout.memory)
        vcpu = try vm.createVCPU()
        if let cpuid { try vcpu.setCPUID(cpuid) } else if setCPUID { try vcpu.setCPUID(try system.supportedCPUID()) }
        KVMGuest.writeTables(vm, xfdHandler: xcr0 != nil)
        let code = UnsafeRawBufferPointer(start: ckvm_guest_code(), count: ckvm_guest_code_size())
        guard code.count > 0, GuestLayout.code + code.count <= GuestLayout.stackTop / 2 else {
            throw KVMError("guest code", code: ENOEXEC)
        }
        vm.bytes(at: GuestLayout.code, count: code.count).copyMemory(from: code)
        if realMode {
            var s = try vcpu.specialRegisters()
            s.cs.base = 0; s.cs.selector = 0
            try vcpu.setSpecialRegisters(s)
        } else {
            var s = KVMGuest.longMode(try vcpu.specialRegisters())
            if xcr0 != nil { s.cr4 |= KVMGuest.cr4OSXSAVE }
            try vcpu.setSpecialRegisters(s)
        }
        stats = try? vcpu.statistics()
        if let xcr0 {
            let r = run(.xsetbv, k: 1, samples: 0, value: xcr0, limitNanoseconds: KVMExitCosts.probeNanoseconds)
            if let f = r.failure { throw KVMError("guest XSETBV(0x\(String(xcr0, radix: 16))): \(f)", code: EINVAL) }
        }
    }

    /// Page tables mapping guest-virtual 0-2 MiB to guest-physical 0-2 MiB
    /// with one large page, and a GDT with a 64-bit code, a data and a TSS
    /// descriptor (the hidden segment state is loaded by KVM_SET_SREGS; the
    /// table is there for a guest that reloads a selector).
    static let cr4OSXSAVE: UInt64 = 1 << 18

    /// The IDT: a 64-bit interrupt gate (selector 0x08, present, DPL 0)
    /// per vector to its stub, which reports the vector on the fault port;
    /// vector 7 to the XFD #NM handler when `xfdHandler`.
    static func idtEntries(xfdHandler: Bool) -> [(UInt64, UInt64)] {
        let stubs = UInt64(GuestLayout.code + ckvm_guest_entry_offset(Int32(CKVM_GUEST_FAULT_STUBS.rawValue)))
        let handler = UInt64(GuestLayout.code + ckvm_guest_entry_offset(Int32(CKVM_GUEST_NM_HANDLER.rawValue)))
        return (0..<GuestLayout.vectors).map { v in
            let target = xfdHandler && v == 7 ? handler : stubs + UInt64(8 * v)
            let low = (target & 0xFFFF) | 0x08 << 16 | 0xE << 40 | 1 << 47 | ((target >> 16) & 0xFFFF) << 48
            return (low, target >> 32)
        }
    }

    static func writeTables(_ vm: KVMVirtualMachine, xfdHandler: Bool = false) {
        let present: UInt64 = 1, writable: UInt64 = 2, largePage: UInt64 = 0x80
        func put(_ address: Int, _ value: UInt64) { vm.bytes(at: address, count: 8).storeBytes(of: value, as: UInt64.self) }
        put(GuestLayout.pml4, UInt64(GuestLayout.pdpt) | present | writable)
        put(GuestLayout.pdpt, UInt64(GuestLayout.pd) | present | writable)
        put(GuestLayout.pd, 0 | present | writable | largePage)
        for (i, d) in gdtDescriptors().enumerated() { put(GuestLayout.gdt + 8 * i, d) }
        for (i, gate) in idtEntries(xfdHandler: xfdHandler).enumerated() {
            put(GuestLayout.idt + 16 * i, gate.0); put(GuestLayout.idt + 16 * i + 8, gate.1)
        }
        // LDTILECFG's operand: palette 1, eight tiles of 16 rows x 64 bytes.
        let cfg = vm.bytes(at: GuestLayout.tilecfg, count: 64)
        cfg.initializeMemory(as: UInt8.self, repeating: 0)
        cfg[0] = 1
        for t in 0..<8 { cfg[16 + 2 * t] = 64; cfg[48 + t] = 16 }
    }

    /// Null, code (selector 0x08), data (0x10), 16-byte TSS (0x18).
    static func gdtDescriptors() -> [UInt64] {
        let tss = UInt64(GuestLayout.tss), tssLimit: UInt64 = 0x67
        let tssLow = (tssLimit & 0xFFFF) | (tss & 0xFF_FFFF) << 16 | 0xB << 40 | 1 << 47 | ((tss >> 24) & 0xFF) << 56
        return [0, 0x00AF_9A00_0000_FFFF, 0x00CF_9200_0000_FFFF, tssLow, tss >> 32]
    }

    /// Long mode at CPL 0: CR0 PE|MP|ET|NE|WP|PG, CR4 PAE|OSFXSR|OSXMMEXCPT,
    /// EFER LME|LMA, CR3 the PML4, flat 64-bit code and data segments.
    static func longMode(_ base: kvm_sregs) -> kvm_sregs {
        var s = base
        s.cr0 = 1 << 0 | 1 << 1 | 1 << 4 | 1 << 5 | 1 << 16 | 1 << 31
        s.cr4 = 1 << 5 | 1 << 9 | 1 << 10
        s.efer = 1 << 8 | 1 << 10
        s.cr3 = UInt64(GuestLayout.pml4)
        var code = kvm_segment()
        code.base = 0; code.limit = 0xFFFF_FFFF; code.selector = 0x08; code.type = 11
        code.present = 1; code.dpl = 0; code.db = 0; code.s = 1; code.l = 1; code.g = 1
        var data = code
        data.selector = 0x10; data.type = 3; data.db = 1; data.l = 0
        s.cs = code; s.ds = data; s.es = data; s.fs = data; s.gs = data; s.ss = data
        var tr = kvm_segment()
        tr.base = UInt64(GuestLayout.tss); tr.limit = 0x67; tr.selector = 0x18; tr.type = 11; tr.present = 1
        s.tr = tr
        s.gdt.base = UInt64(GuestLayout.gdt); s.gdt.limit = UInt16(8 * gdtDescriptors().count - 1)
        // Every exception vector has a stub that names it on the fault port.
        s.idt.base = UInt64(GuestLayout.idt); s.idt.limit = UInt16(16 * GuestLayout.vectors - 1)
        return s
    }

    /// Runs `program` for `samples` samples of K and 2K exits under a
    /// watchdog of `limitNanoseconds`, and reads the results page back.
    /// Never throws: a failure is in `GuestRun.failure`.
    /// Preconditions: `k` >= 1, 0 <= `samples` <= GuestLayout.maxSamples.
    public func run(_ program: GuestProgram, k: Int, samples: Int, msr: UInt32 = 0, value: UInt64 = 0,
                    limitNanoseconds: UInt64) -> GuestRun {
        precondition(k >= 1 && (0...GuestLayout.maxSamples).contains(samples))
        var out = GuestRun()
        out.samplesRequested = samples; out.k = k
        let entry = ckvm_guest_entry_offset(program.rawValue)
        guard entry >= 0 else { out.failure = "no guest program \(program)"; return out }
        vm.bytes(at: GuestLayout.results, count: GuestLayout.resultsHeader).initializeMemory(as: UInt8.self, repeating: 0)
        var r = kvm_regs()
        r.rip = UInt64(GuestLayout.code + entry); r.rsp = UInt64(GuestLayout.stackTop); r.rflags = 2
        r.r8 = UInt64(GuestLayout.results); r.r9 = UInt64(msr)
        r.r10 = value & 0xFFFF_FFFF; r.r11 = value >> 32
        r.r12 = UInt64(k); r.r13 = UInt64(samples)
        do { try vcpu.setRegisters(r) } catch { out.failure = "\(error)"; return out }

        let before = stats?.read(KVMGuest.countedStats) ?? [:]
        do {
            let watchdog = try KVMWatchdog(vcpu: vcpu)
            out.failure = try watchdog.guarding(limitNanoseconds: limitNanoseconds) { fired in
                exitLoop(program, expectedUserExits: program.exitsToUserSpace ? 3 * k * samples : 0,
                         fired: fired, into: &out)
            }
        } catch {
            out.failure = "watchdog not armed, guest not run: \(error)"
            return out
        }
        let after = stats?.read(KVMGuest.countedStats) ?? [:]
        for (name, v) in after { if let b = before[name], v >= b { out.statsDelta[name] = v - b } }

        let header = vm.bytes(at: GuestLayout.results, count: 16)
        let done = min(Int(clamping: header.load(fromByteOffset: 0, as: UInt64.self)), samples)
        out.guestExits = header.load(fromByteOffset: 8, as: UInt64.self)
        let slots = vm.bytes(at: GuestLayout.results + GuestLayout.resultsHeader, count: 16 * done)
        for i in 0..<done {
            out.shortRegions.append(Double(slots.load(fromByteOffset: 16 * i, as: UInt64.self)))
            out.longRegions.append(Double(slots.load(fromByteOffset: 16 * i + 8, as: UInt64.self)))
        }
        if out.failure == nil && done != samples {
            out.failure = "guest reported \(done) of \(samples) samples"
        }
        return out
    }

    /// The minimal host loop: points the vCPU at `program` (a minimal-loop
    /// program; `burst` CPUIDs per KVM_RUN for the burst programs) and times
    /// `iterations` back-to-back KVM_RUNs as a whole, each ending at one
    /// port write.  Ticks of the whole loop, or why it stopped.
    /// Preconditions: iterations >= 1, burst >= 1.
    public func minimalLoop(_ program: GuestProgram, burst: Int, iterations: Int,
                            limitNanoseconds: UInt64) -> Result<Double, RunFailure> {
        precondition(iterations >= 1 && burst >= 1)
        let entry = ckvm_guest_entry_offset(program.rawValue)
        guard entry >= 0 else { return .failure(RunFailure(text: "no guest program \(program)")) }
        var r = kvm_regs()
        r.rip = UInt64(GuestLayout.code + entry); r.rsp = UInt64(GuestLayout.stackTop); r.rflags = 2
        r.r12 = UInt64(burst); r.rdi = UInt64(burst)
        do { try vcpu.setRegisters(r) } catch { return .failure(RunFailure(text: "\(error)")) }
        do {
            let watchdog = try KVMWatchdog(vcpu: vcpu)
            return try watchdog.guarding(limitNanoseconds: limitNanoseconds) { fired in
                var ticks: UInt64 = 0
                let n = ckvm_min_loop(vcpu.fd, vcpu.run, UInt16(GuestLayout.portExit), UInt64(iterations), &ticks)
                if n == iterations { return .success(Double(ticks)) }
                if n == -Int(EINTR) && fired() { return .failure(RunFailure(text: "watchdog: the loop did not finish within the limit")) }
                if n < 0 { return .failure(RunFailure(text: "\(KVMError("KVM_RUN", code: Int32(-n)))")) }
                return .failure(RunFailure(text: "\(vcpu.exitReason) after \(n) of \(iterations) runs at \(describeStop())"))
            }
        } catch {
            return .failure(RunFailure(text: "watchdog not armed, guest not run: \(error)"))
        }
    }

    /// Re-enters the guest until it reaches the done port; returns nil then,
    /// else why it stopped.  Bounded: the program makes `expectedUserExits`
    /// exits to user space and one done write; anything more is an error.
    private func exitLoop(_ program: GuestProgram, expectedUserExits: Int, fired: () -> Bool,
                          into out: inout GuestRun) -> String? {
        var previousWasExitPort = false
        // Other signals (SIGINT, profilers) may end a KVM_RUN with EINTR too.
        var interruptions = 0
        for _ in 0..<(expectedUserExits + 2 + 1_000) {
            let (runTicks, rc) = TimingKernel.region { vcpu.enter() }
            if rc == -EINTR {
                if fired() { return "watchdog: no exit to the done port within the limit (\(describeStop()))" }
                interruptions += 1
                previousWasExitPort = false
                continue
            }
            if rc < 0 { return "\(KVMError("KVM_RUN", code: -rc))" }
            let reason = vcpu.exitReason
            guard reason == .io else {
                return "\(reason) (detail \(vcpu.errorDetail)) at \(describeStop())"
            }
            let io = vcpu.io
            if io.out && io.port == GuestLayout.portDone { return nil }
            if io.out && io.port == GuestLayout.portFault {
                return "guest exception \(KVMGuest.exceptionName(Int(io.firstByte))) at \(describeStop())"
            }
            guard io.out && io.port == GuestLayout.portExit && io.size == 1 && io.count == 1 else {
                return "unexpected port access (port \(io.port), out \(io.out)) at \(describeStop())"
            }
            out.userExits += 1
            if previousWasExitPort { out.hostRunTicks.append(runTicks) }
            previousWasExitPort = true
        }
        return "more exits than the program makes (\(interruptions) interrupted runs)"
    }

    /// "#UD (vector 6)" and the like.
    static func exceptionName(_ vector: Int) -> String {
        let names = [0: "#DE", 1: "#DB", 3: "#BP", 6: "#UD", 7: "#NM", 8: "#DF", 13: "#GP", 14: "#PF", 17: "#AC", 18: "#MC", 19: "#XM"]
        return "\(names[vector] ?? "exception") (vector \(vector))"
    }

    /// Where the vCPU stopped, for error notes.
    private func describeStop() -> String {
        guard let r = try? vcpu.registers() else { return "registers unreadable" }
        let rip = r.rip, entry = UInt64(GuestLayout.code)
        return rip >= entry ? String(format: "guest RIP code+0x%llx", rip - entry) : String(format: "guest RIP 0x%llx", rip)
    }
}

/// A guest run that did not complete, as an error value.
public struct RunFailure: Error, Sendable { public var text: String }
