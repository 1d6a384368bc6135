import BenchCore
import CKVM
import CXState
import Foundation

/// What the AMX experiments ask the kernel and KVM before anything is
/// timed: the arch_prctl permissions and the /dev/kvm answers that depend
/// on them.  `LiveAMXKernel` makes the real calls; the tests give a double
/// whose answers follow rules read from the kernel source, so the order of
/// the calls and the use of each answer are checked on hosts without AMX.
///
/// Each call returns the answer or the errno as a `KVMError` naming the call.
public protocol AMXKernel: AnyObject {
    /// ARCH_GET_XCOMP_SUPP: the user XSAVE features the kernel supports.
    func supportedXFeatures() -> Result<UInt64, KVMError>
    /// ARCH_GET_XCOMP_GUEST_PERM: the features this process's guests may have.
    func guestPermission() -> Result<UInt64, KVMError>
    /// ARCH_REQ_XCOMP_GUEST_PERM(18).  Per process, irreversible, and refused
    /// with EBUSY once the process created a vCPU.
    func requestGuestPermission() -> Result<Void, KVMError>
    /// ARCH_REQ_XCOMP_PERM(18): tile data for this process's own threads.
    func requestNativePermission() -> Result<Void, KVMError>
    /// KVM_GET_SUPPORTED_CPUID as it answers now.
    func supportedCPUID() -> Result<[CPUIDEntry], KVMError>
    /// KVM_CHECK_EXTENSION(KVM_CAP_XSAVE2) on a fresh VM: bytes, 0 when absent.
    func xsave2Size() -> Result<Int, KVMError>
    /// KVM_SET_CPUID2 on a fresh vCPU in a child process, which inherits
    /// this process's permissions but locks only its own.
    func setCPUIDInChild(_ entries: [CPUIDEntry]) -> Result<Void, KVMError>
    /// On a fresh VM's vCPU: KVM_SET_CPUID2 with `cpuid` (nil: none), then
    /// KVM_GET_XSAVE2 into a sentinel-filled buffer; the bytes KVM wrote.
    func guestStateBytes(cpuid: [CPUIDEntry]?) -> Result<Int, KVMError>
}

/// The real calls, on the device at `path`.
public final class LiveAMXKernel: AMXKernel {
    public let path: String
    public init(path: String = "/dev/kvm") { self.path = path }

    static func prctl(_ name: String, _ code: Int32, _ arg: UInt) -> Result<Void, KVMError> {
        let r = cx_arch_prctl(code, arg)
        return r == 0 ? .success(()) : .failure(KVMError(name, code: Int32(clamping: -r)))
    }

    static func prctlMask(_ name: String, _ code: Int32) -> Result<UInt64, KVMError> {
        var mask: UInt64 = 0
        let r = withUnsafeMutablePointer(to: &mask) { cx_arch_prctl(code, UInt(bitPattern: $0)) }
        return r == 0 ? .success(mask) : .failure(KVMError(name, code: Int32(clamping: -r)))
    }

    public func supportedXFeatures() -> Result<UInt64, KVMError> {
        Self.prctlMask("ARCH_GET_XCOMP_SUPP", Int32(CX_ARCH_GET_XCOMP_SUPP))
    }

    public func guestPermission() -> Result<UInt64, KVMError> {
        Self.prctlMask("ARCH_GET_XCOMP_GUEST_PERM", Int32(CX_ARCH_GET_XCOMP_GUEST_PERM))
    }

    public func requestGuestPermission() -> Result<Void, KVMError> {
        Self.prctl("ARCH_REQ_XCOMP_GUEST_PERM(18)", Int32(CX_ARCH_REQ_XCOMP_GUEST_PERM), UInt(CX_XFEATURE_XTILEDATA))
    }

    public func requestNativePermission() -> Result<Void, KVMError> {
        Self.prctl("ARCH_REQ_XCOMP_PERM(18)", Int32(CX_ARCH_REQ_XCOMP_PERM), UInt(CX_XFEATURE_XTILEDATA))
    }

    public func supportedCPUID() -> Result<[CPUIDEntry], KVMError> {
        Result { () throws(KVMError) in try KVMSystem(path: path).supportedCPUID().map(CPUIDEntry.init) }
    }

    public func xsave2Size() -> Result<Int, KVMError> {
        Result { () throws(KVMError) in
            try KVMSystem(path: path).createVM(memoryBytes: 4096).checkExtension(Int32(KVM_CAP_XSAVE2))
        }
    }

    public func setCPUIDInChild(_ entries: [CPUIDEntry]) -> Result<Void, KVMError> {
        let kernel = entries.map(\.kernel)
        let r = kernel.withUnsafeBufferPointer { ckvm_set_cpuid2_in_child(path, $0.baseAddress, UInt32($0.count)) }
        if r == 0 { return .success(()) }
        if r <= -1000 {
            let step = (-r - 1000) / 100, code = (-r - 1000) % 100
            let names = ["open \(path)", "KVM_CREATE_VM", "KVM_CREATE_VCPU"]
            return .failure(KVMError("child: " + names[min(Int(step), 2)], code: code))
        }
        return .failure(KVMError("KVM_SET_CPUID2 (child process)", code: -r))
    }

    public func guestStateBytes(cpuid: [CPUIDEntry]?) -> Result<Int, KVMError> {
        Result { () throws(KVMError) in
            let vm = try KVMSystem(path: path).createVM(memoryBytes: 4096)
            let vcpu = try vm.createVCPU()
            if let cpuid { try vcpu.setCPUID(cpuid.map(\.kernel)) }
            return try vcpu.xsaveBytesWritten()
        }
    }
}

/// What the kernel and KVM answered around this process's guest AMX
/// permission request, in the order that matters: before the request
/// (KVM hides tile data then), the request, and after it.
///
/// The request must come before the process's first vCPU: the first guest
/// fpstate allocation locks the guest permission, and a later request gets
/// EBUSY (`xstate_request_perm`, arch/x86/kernel/fpu/xstate.c, since 5.17:
/// "First vCPU allocation locks the permissions"; seen here on 6.18 too).
public struct AMXReadiness: Sendable {
    /// Why the host CPU cannot take part (empty: it can).
    public var cpuReasons: [String] = []
    public var supportedXFeatures: Result<UInt64, KVMError>
    public var guestPermissionBefore: Result<UInt64, KVMError>
    public var supportedBefore: Result<[CPUIDEntry], KVMError>
    public var xsave2Before: Result<Int, KVMError>
    /// KVM_SET_CPUID2 offering XTILEDATA without the permission, in a child
    /// process; nil when not tried (the CPU has no tile data to offer).
    public var unpermittedSetCPUID: Result<Void, KVMError>?
    /// The guest permission request; nil when not made (no AMX here, or
    /// already granted before this process first looked).
    public var request: Result<Void, KVMError>?
    public var guestPermissionAfter: Result<UInt64, KVMError>
    public var supportedAfter: Result<[CPUIDEntry], KVMError>
    public var xsave2After: Result<Int, KVMError>

    /// Guest permission for tile data holds after the request.
    public var permitted: Bool {
        if case .success(let m) = guestPermissionAfter { return m & AMXGuestPlan.xfdTileData != 0 }
        return false
    }

    /// The supported CPUID every experiment uses: the one read after the request.
    public var supported: [CPUIDEntry]? { try? supportedAfter.get() }

    /// Asks in order: the "before" answers, KVM_SET_CPUID2 with tile data in a
    /// child, the request (only when the CPU has AMX with XFD), the "after"
    /// answers.  `tileLeaves` are the host's own 0xD.17/18 (and leaf 7)
    /// answers, for the unpermitted KVM_SET_CPUID2, since KVM hides them.
    public static func establish(_ kernel: AMXKernel, host: CPUDescription, hostCPUID: CPUIDSource) -> AMXReadiness {
        let cpu = AMXGuestPlan.hostReasons(host)
        let supp = kernel.supportedXFeatures()
        let permBefore = kernel.guestPermission()
        let supBefore = kernel.supportedCPUID()
        let sizeBefore = kernel.xsave2Size()
        var unpermitted: Result<Void, KVMError>?
        var request: Result<Void, KVMError>?
        let alreadyPermitted = (try? permBefore.get()).map { $0 & AMXGuestPlan.xfdTileData != 0 } ?? false
        if cpu.isEmpty, !alreadyPermitted, let before = try? supBefore.get() {
            unpermitted = kernel.setCPUIDInChild(AMXGuestPlan.withHostTiles(before, host: hostCPUID))
        }
        if cpu.isEmpty && !alreadyPermitted { request = kernel.requestGuestPermission() }
        return AMXReadiness(cpuReasons: cpu, supportedXFeatures: supp, guestPermissionBefore: permBefore,
                            supportedBefore: supBefore, xsave2Before: sizeBefore, unpermittedSetCPUID: unpermitted,
                            request: request, guestPermissionAfter: kernel.guestPermission(),
                            supportedAfter: kernel.supportedCPUID(), xsave2After: kernel.xsave2Size())
    }

    // MARK: once per process

    nonisolated(unsafe) private static var cache: [String: AMXReadiness] = [:]
    private static let lock = NSLock()

    /// The readiness of this process for the device at `path`, established
    /// at the first call (which must precede the process's first vCPU) and
    /// reused after: the permission cannot be undone, so later calls (later
    /// repetitions) report what the first one saw.
    public static func forProcess(path: String) -> AMXReadiness {
        lock.lock(); defer { lock.unlock() }
        if let r = cache[path] { return r }
        let r = establish(LiveAMXKernel(path: path), host: .host(), hostCPUID: LiveCPUID())
        cache[path] = r
        return r
    }

    /// Whether `forProcess(path:)` already ran.
    public static func established(path: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return cache[path] != nil
    }
}

extension KVMVCPU {
    /// Bytes KVM_GET_XSAVE2 may write.  Not KVM_CAP_XSAVE2: KVM writes the
    /// vCPU's uabi size, which KVM_SET_CPUID2 can make larger than the VM's
    /// KVM_CAP_XSAVE2 answer when the CPUID offers a permitted feature KVM
    /// does not list (seen on kvm_pvm: 4096 reported, 11008 written).
    /// XSAVE images are far below this (11008 B with AMX).
    public static let xsaveBufferBytes = 64 * 1024

    /// KVM_GET_XSAVE2 into a sentinel-filled buffer of `xsaveBufferBytes`;
    /// the bytes KVM wrote (the last byte that no longer holds the sentinel,
    /// +1: KVM zero-fills what it does not copy, so its output never ends in
    /// the sentinel).
    public func xsaveBytesWritten() throws(KVMError) -> Int {
        var buffer = [UInt8](repeating: 0xA5, count: KVMVCPU.xsaveBufferBytes)
        let r = buffer.withUnsafeMutableBytes { ckvm_get_xsave2(fd, $0.baseAddress, $0.count) }
        try kvmCall("KVM_GET_XSAVE2", r)
        return (buffer.lastIndex { $0 != 0xA5 } ?? -1) + 1
    }
}
