import BenchCore
import Foundation
@testable import KvmSuite

/// A test double of the kernel's arch_prctl permissions and /dev/kvm's
/// AMX-related answers, for a recorded CPU under a given kernel version.
/// Every rule names where it was read; the versions are the releases the
/// code landed in (the KVM AMX series and the guest permission prctls were
/// merged for 5.17, January 2022; the prctls for native permission in 5.16).
///
/// Sources read (torvalds/linux, stored copies through the search tool):
/// - arch/x86/kernel/fpu/xstate.c: `xstate_request_perm` ("First vCPU
///   allocation locks the permissions": EBUSY for a guest request once
///   FPU_GUEST_PERM_LOCKED is set), `__xfd_enable_feature` (-EPERM when the
///   group's guest permission lacks the feature; else fpstate_realloc with
///   the permission's sizes), `fpu_xstate_prctl` (GET_*_PERM masked to user
///   features).
/// - arch/x86/kernel/fpu/core.c: `fpu_alloc_guest_fpstate` (default size,
///   uabi_size = sizeof(struct kvm_xsave); locks the guest permission of
///   the group leader: fpu_init_guest_permissions, later
///   fpu_lock_guest_permissions).
/// - arch/x86/kvm/cpuid.c `__do_cpuid_func`: case 0xd masks EAX/EDX with
///   kvm_get_filtered_xcr0() (supported XCR0 & guest permission), sets
///   EBX = ECX = xstate_required_size of it, emits subleaves only for
///   permitted bits; leaves 0x1d/0x1e and leaf 7's AMX bits depend on
///   kvm_cpu_cap_has(AMX_TILE) only, not on the permission.
/// - arch/x86/kvm/x86.c: KVM_CAP_XSAVE2 = max(sizeof(struct kvm_xsave),
///   xstate_required_size(kvm_get_filtered_xcr0())); KVM_GET_XSAVE refuses
///   (-EINVAL) a vCPU whose uabi_size exceeds struct kvm_xsave.
/// What this host (kvm_pvm, Linux 6.18, Emerald Rapids) answered matches:
/// EBUSY after a vCPU, EPERM for XTILEDATA without permission, 4096 before
/// and after (kvm_pvm lists no AMX), 11008 bytes written after a
/// KVM_SET_CPUID2 offering XTILEDATA with permission.
final class KVMContract: AMXKernel {
    struct Version: Comparable {
        var major: Int, minor: Int
        static func < (a: Version, b: Version) -> Bool { (a.major, a.minor) < (b.major, b.minor) }
    }

    let cpu: RecordedCPUID
    let kernel: Version
    /// False models a KVM whose supported XCR0 and caps lack AMX and XFD
    /// (kvm_pvm as seen here; any KVM before 5.17).
    let kvmHasAMX: Bool
    private(set) var guestPerm: UInt64
    private(set) var locked = false
    /// Every call, in order.
    private(set) var calls: [String] = []
    /// Injected failure of a call by name (e.g. a device that vanished).
    var failing: [String: Int32] = [:]

    static let dynamic: UInt64 = 1 << 18

    init(cpu: RecordedCPUID, kernel: Version = Version(major: 6, minor: 18), kvmHasAMX: Bool = true) {
        self.cpu = cpu; self.kernel = kernel
        self.kvmHasAMX = kvmHasAMX && kernel >= Version(major: 5, minor: 17)
        // Default permission: every enabled user feature but the dynamic ones.
        guestPerm = (cpu.xcr0 ?? 3) & ~KVMContract.dynamic
    }

    var xcr0: UInt64 { cpu.xcr0 ?? 3 }
    var hasXFD: Bool { cpu.cpuid(0xD, 1).eax & (1 << 4) != 0 }
    var v517: Bool { kernel >= Version(major: 5, minor: 17) }
    var v516: Bool { kernel >= Version(major: 5, minor: 16) }

    private func call<T>(_ name: String, _ body: () -> Result<T, KVMError>) -> Result<T, KVMError> {
        calls.append(name)
        if let e = failing[name] { return .failure(KVMError(name, code: e)) }
        return body()
    }

    func supportedXFeatures() -> Result<UInt64, KVMError> {
        call("ARCH_GET_XCOMP_SUPP") { v516 ? .success(xcr0) : .failure(KVMError("ARCH_GET_XCOMP_SUPP", code: EINVAL)) }
    }

    func guestPermission() -> Result<UInt64, KVMError> {
        call("ARCH_GET_XCOMP_GUEST_PERM") {
            v517 ? .success(guestPerm) : .failure(KVMError("ARCH_GET_XCOMP_GUEST_PERM", code: EINVAL))
        }
    }

    func requestGuestPermission() -> Result<Void, KVMError> {
        call("ARCH_REQ_XCOMP_GUEST_PERM") {
            let name = "ARCH_REQ_XCOMP_GUEST_PERM(18)"
            guard v517 else { return .failure(KVMError(name, code: EINVAL)) }
            guard xcr0 & KVMContract.dynamic != 0, hasXFD else { return .failure(KVMError(name, code: EOPNOTSUPP)) }
            if guestPerm & KVMContract.dynamic != 0 { return .success(()) }  // lockless quick check first
            if locked { return .failure(KVMError(name, code: EBUSY)) }
            guestPerm |= KVMContract.dynamic
            return .success(())
        }
    }

    func requestNativePermission() -> Result<Void, KVMError> {
        call("ARCH_REQ_XCOMP_PERM") {
            guard v516 else { return .failure(KVMError("ARCH_REQ_XCOMP_PERM(18)", code: EINVAL)) }
            return xcr0 & KVMContract.dynamic != 0 && hasXFD ? .success(())
                : .failure(KVMError("ARCH_REQ_XCOMP_PERM(18)", code: EOPNOTSUPP))
        }
    }

    /// XCR0 bits KVM lists now: its supported XCR0 filtered by the guest
    /// permission (5.17+); no tile bits when KVM lacks AMX.
    var filteredXCR0: UInt64 {
        let kvmXCR0 = kvmHasAMX ? xcr0 : xcr0 & ~AMXGuestPlan.tileMask
        return v517 ? kvmXCR0 & guestPerm : kvmXCR0
    }

    func supportedCPUID() -> Result<[CPUIDEntry], KVMError> {
        call("KVM_GET_SUPPORTED_CPUID") { .success(supportedList()) }
    }

    func supportedList() -> [CPUIDEntry] {
        let permitted = filteredXCR0
        var out: [CPUIDEntry] = []
        for e in CPUIDEntry.entries(from: cpu) {
            var e = e
            switch (e.function, e.index) {
            case (7, 0):
                if !kvmHasAMX { e.registers.edx &= ~AMXGuestPlan.leaf7AMXBits }
            case (7, 1):
                if !kvmHasAMX { e.registers.eax &= ~AMXGuestPlan.leaf71EAXAMXBits; e.registers.edx &= ~AMXGuestPlan.leaf71EDXAMXBits }
            case (0xD, 0):
                e.registers.eax &= UInt32(truncatingIfNeeded: permitted)
                e.registers.edx &= UInt32(truncatingIfNeeded: permitted >> 32)
            case (0xD, 1):
                if !v517 || !kvmHasAMX { e.registers.eax &= ~UInt32(1 << 4) }  // XFD (f_xfd, 5.17)
                e.registers.ecx = 0; e.registers.edx = 0  // no supervisor state offered in this model
            case (0xD, let i) where i >= 2:
                if permitted & (1 << UInt64(i)) == 0 { continue }
            case (0x1D, _), (0x1E, _):
                if !kvmHasAMX { continue }
            default: break
            }
            out.append(e)
        }
        return AMXGuestPlan.withSizes(out)
    }

    func xsave2Size() -> Result<Int, KVMError> {
        call("KVM_CHECK_EXTENSION(XSAVE2)") {
            guard v517 else { return .success(0) }  // capability absent
            return .success(max(4096, AMXGuestPlan.standardSize(CPUIDEntry.entries(from: cpu), mask: filteredXCR0)))
        }
    }

    /// KVM_SET_CPUID2's dynamic-feature rule (kvm_check_cpuid, 5.17+):
    /// dynamic bits the permission lacks give -EPERM.
    func setCPUIDAnswer(_ entries: [CPUIDEntry], perm: UInt64) -> Int32 {
        guard v517 else { return 0 }
        let d0 = AMXGuestPlan.guestXCR0(entries) & KVMContract.dynamic
        return d0 & ~perm != 0 ? EPERM : 0
    }

    func setCPUIDInChild(_ entries: [CPUIDEntry]) -> Result<Void, KVMError> {
        call("KVM_SET_CPUID2 (child)") {
            // The child inherits the permission; its vCPU locks only the child's.
            let e = setCPUIDAnswer(entries, perm: guestPerm)
            return e == 0 ? .success(()) : .failure(KVMError("KVM_SET_CPUID2 (child process)", code: e))
        }
    }

    func guestStateBytes(cpuid: [CPUIDEntry]?) -> Result<Int, KVMError> {
        call("KVM_CREATE_VCPU+KVM_GET_XSAVE2") {
            if v517 { locked = true }  // fpu_alloc_guest_fpstate locks the guest permission
            guard let cpuid else { return .success(4096) }
            let e = setCPUIDAnswer(cpuid, perm: guestPerm)
            if e != 0 { return .failure(KVMError("KVM_SET_CPUID2", code: e)) }
            let expands = v517 && AMXGuestPlan.guestXCR0(cpuid) & KVMContract.dynamic != 0
            return .success(AMXGuestPlan.expectedGuestStateBytes(expanded: expands, permission: guestPerm, host: cpu))
        }
    }

    /// What KVM does with guest XFD writes (vmx_set_msr, 5.17+): exits
    /// while intercepted; the first non-zero write turns interception off
    /// for good (xfd_no_write_intercept).  Returns the exits a run of
    /// `writes` writes of `value` makes.
    var xfdPassthrough = false
    func guestXFDWrites(_ writes: Int, value: UInt64) -> Int {
        guard !xfdPassthrough else { return 0 }
        if value != 0 { xfdPassthrough = true }
        return writes
    }

    /// Exits per guest XFD fault (#NM) once XFD writes pass through
    /// (5.17+): vmx_update_exception_bitmap intercepts #NM while
    /// xfd_no_write_intercept is set (handle_exception_nmi reads XFD_ERR and
    /// reinjects), and the guest's WRMSR(XFD_ERR, 0) exits (XFD_ERR is
    /// passed through for reads only).  Before passthrough no #NM exit.
    func exitsPerGuestXFDFault() -> Int { v517 && xfdPassthrough ? 2 : 1 }

    /// A recorded CPU from the catalog.
    static func recorded(_ id: String) -> RecordedCPUID { CPUCatalog.lookup(id)!.cpuid }

    /// Sapphire Rapids with the AMX extensions later CPUs add (Granite
    /// Rapids: AMX-FP16 in 7.1 EAX[21], AMX-COMPLEX in 7.1 EDX[8]; leaf
    /// 0x1E.1 with AMX-FP8 and friends); no public dump of its leaf 0xD was
    /// found, and its AMX sizes are architectural, so SPR's are kept.
    static var laterAMX: RecordedCPUID {
        var c = recorded("spr")
        typealias K = RecordedCPUID.Key
        var l7 = c.cpuid(7, 0); l7.eax = max(l7.eax, 1); c.leaves[K(7, 0)] = l7
        c.leaves[K(7, 1)] = CPUIDRegisters(eax: 1 << 21, edx: 1 << 8)
        c.leaves[K(0x1E, 0)] = CPUIDRegisters(eax: 1, ebx: 0x4010)
        c.leaves[K(0x1E, 1)] = CPUIDRegisters(eax: 0x1F0)
        return c
    }
}
