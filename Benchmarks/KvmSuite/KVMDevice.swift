import CKVM
import Foundation

/// A failed /dev/kvm call: which call, and the errno it returned.
public struct KVMError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The ioctl or system call, e.g. "KVM_CREATE_VM".
    public var operation: String
    /// The errno value (positive).
    public var code: Int32

    public init(_ operation: String, code: Int32) { self.operation = operation; self.code = code }

    /// From a wrapper's result: nil when `result` >= 0, else the error.
    static func check(_ operation: String, _ result: Int) -> KVMError? {
        result < 0 ? KVMError(operation, code: Int32(clamping: -result)) : nil
    }

    public var description: String {
        "\(operation): \(String(cString: strerror(code))) (errno \(code))"
    }
}

/// Runs a wrapper that returns a value or -errno; throws the errno as a `KVMError`.
@discardableResult
func kvmCall(_ operation: String, _ result: Int32) throws(KVMError) -> Int32 {
    if let e = KVMError.check(operation, Int(result)) { throw e }
    return result
}

/// The KVM system file (normally /dev/kvm).  Closed on deinit.
public final class KVMSystem {
    public let path: String
    let fd: Int32

    /// Opens `path` read-write.  Throws ENOENT for a missing file, EACCES
    /// for one the process may not open, ENOSYS off x86-64 Linux.
    public init(path: String = "/dev/kvm") throws(KVMError) {
        self.path = path
        fd = try kvmCall("open \(path)", ckvm_open(path))
    }

    deinit { _ = ckvm_close(fd) }

    /// KVM_GET_API_VERSION (12 on every kernel that has KVM_RUN as used here).
    public func apiVersion() throws(KVMError) -> Int {
        Int(try kvmCall("KVM_GET_API_VERSION", ckvm_get_api_version(fd)))
    }

    /// KVM_CHECK_EXTENSION on the system fd: 0 absent, else the capability's value.
    public func checkExtension(_ capability: Int32) throws(KVMError) -> Int {
        Int(try kvmCall("KVM_CHECK_EXTENSION", ckvm_check_extension(fd, Int(capability))))
    }

    /// KVM_GET_VCPU_MMAP_SIZE in bytes.
    public func vcpuMapSize() throws(KVMError) -> Int {
        Int(try kvmCall("KVM_GET_VCPU_MMAP_SIZE", ckvm_get_vcpu_mmap_size(fd)))
    }

    /// KVM_GET_SUPPORTED_CPUID: every leaf KVM can offer a guest, with the
    /// bits it can virtualise.
    public func supportedCPUID() throws(KVMError) -> [kvm_cpuid_entry2] {
        var capacity: UInt32 = 256
        // KVM answers E2BIG when the buffer is short; a few doublings cover any CPU.
        for _ in 0..<4 {
            var entries = [kvm_cpuid_entry2](repeating: kvm_cpuid_entry2(), count: Int(capacity))
            var count = capacity
            let r = entries.withUnsafeMutableBufferPointer { ckvm_get_supported_cpuid(fd, $0.baseAddress, &count) }
            if r == -E2BIG { capacity *= 2; continue }
            try kvmCall("KVM_GET_SUPPORTED_CPUID", r)
            return Array(entries.prefix(Int(min(count, capacity))))
        }
        throw KVMError("KVM_GET_SUPPORTED_CPUID", code: E2BIG)
    }

    /// KVM_CREATE_VM with `memoryBytes` of zeroed guest memory at
    /// guest-physical 0 (slot 0).  Precondition: `memoryBytes` page-aligned, > 0.
    public func createVM(memoryBytes: Int) throws(KVMError) -> KVMVirtualMachine {
        let vmfd = try kvmCall("KVM_CREATE_VM", ckvm_create_vm(fd))
        var err: Int32 = 0
        guard let memory = ckvm_map_anonymous(memoryBytes, &err) else {
            _ = ckvm_close(vmfd)
            throw KVMError("mmap guest memory", code: -err)
        }
        // From here the VM object owns the fd and the mapping.
        let vm = KVMVirtualMachine(system: self, fd: vmfd, memory: memory, size: memoryBytes)
        try kvmCall("KVM_SET_USER_MEMORY_REGION",
                    ckvm_set_user_memory_region(vmfd, 0, 0, UInt64(memoryBytes), memory))
        return vm
    }
}

/// A VM and its guest memory.  The fd is closed and the memory unmapped on
/// deinit, after every vCPU (which holds a reference) is gone.
public final class KVMVirtualMachine {
    public let system: KVMSystem
    let fd: Int32
    /// Guest-physical 0 as seen by this process.
    public let memory: UnsafeMutableRawPointer
    public let memorySize: Int

    init(system: KVMSystem, fd: Int32, memory: UnsafeMutableRawPointer, size: Int) {
        self.system = system; self.fd = fd; self.memory = memory; self.memorySize = size
    }

    deinit {
        _ = ckvm_close(fd)
        _ = ckvm_unmap(memory, memorySize)
    }

    /// KVM_CHECK_EXTENSION on the VM fd (answers can depend on the VM, e.g.
    /// KVM_CAP_XSAVE2 on the process's guest permissions).
    public func checkExtension(_ capability: Int32) throws(KVMError) -> Int {
        Int(try kvmCall("KVM_CHECK_EXTENSION", ckvm_check_extension(fd, Int(capability))))
    }

    /// KVM_CREATE_VCPU(id) and the mapping of its kvm_run.
    public func createVCPU(id: Int = 0) throws(KVMError) -> KVMVCPU {
        let vfd = try kvmCall("KVM_CREATE_VCPU", ckvm_create_vcpu(fd, UInt(id)))
        let size: Int
        do { size = try system.vcpuMapSize() } catch { _ = ckvm_close(vfd); throw error }
        var err: Int32 = 0
        guard let run = ckvm_map_run(vfd, size, &err) else {
            _ = ckvm_close(vfd)
            throw KVMError("mmap kvm_run", code: -err)
        }
        return KVMVCPU(vm: self, fd: vfd, run: run, runSize: size)
    }

    /// Bytes of guest memory at guest-physical `address`.
    /// Precondition: `address + count <= memorySize`.
    public func bytes(at address: Int, count: Int) -> UnsafeMutableRawBufferPointer {
        precondition(address >= 0 && count >= 0 && address + count <= memorySize)
        return UnsafeMutableRawBufferPointer(start: memory + address, count: count)
    }
}

/// One vCPU: its fd and its mapped kvm_run, released on deinit.
public final class KVMVCPU {
    public let vm: KVMVirtualMachine
    let fd: Int32
    let run: UnsafeMutablePointer<kvm_run>
    let runSize: Int

    init(vm: KVMVirtualMachine, fd: Int32, run: UnsafeMutablePointer<kvm_run>, runSize: Int) {
        self.vm = vm; self.fd = fd; self.run = run; self.runSize = runSize
    }

    deinit {
        _ = ckvm_unmap(run, runSize)
        _ = ckvm_close(fd)
    }

    public func registers() throws(KVMError) -> kvm_regs {
        var r = kvm_regs()
        try kvmCall("KVM_GET_REGS", ckvm_get_regs(fd, &r))
        return r
    }

    public func setRegisters(_ r: kvm_regs) throws(KVMError) {
        var r = r
        try kvmCall("KVM_SET_REGS", ckvm_set_regs(fd, &r))
    }

    public func specialRegisters() throws(KVMError) -> kvm_sregs {
        var s = kvm_sregs()
        try kvmCall("KVM_GET_SREGS", ckvm_get_sregs(fd, &s))
        return s
    }

    public func setSpecialRegisters(_ s: kvm_sregs) throws(KVMError) {
        var s = s
        try kvmCall("KVM_SET_SREGS", ckvm_set_sregs(fd, &s))
    }

    /// KVM_SET_CPUID2: the CPUID the guest sees.
    public func setCPUID(_ entries: [kvm_cpuid_entry2]) throws(KVMError) {
        let r = entries.withUnsafeBufferPointer { ckvm_set_cpuid2(fd, $0.baseAddress, UInt32($0.count)) }
        try kvmCall("KVM_SET_CPUID2", r)
    }

    /// One KVM_RUN: 0, or -errno (-EINTR when a signal or immediate_exit
    /// ended it).  Not throwing: the caller decides what an error means.
    @inline(__always)
    public func enter() -> Int32 { ckvm_run(fd) }

    /// The exit reason of the last KVM_RUN.
    public var exitReason: KVMExitReason { KVMExitReason(ckvm_run_exit_reason(run)) }

    /// The KVM_EXIT_IO fields of the last exit.
    public var io: KVMPortAccess {
        var d: UInt8 = 0, s: UInt8 = 0, p: UInt16 = 0, c: UInt32 = 0, v: UInt8 = 0
        ckvm_run_io(run, &d, &s, &p, &c, &v)
        return KVMPortAccess(out: d == UInt8(KVM_EXIT_IO_OUT), size: Int(s), port: Int(p), count: Int(c), firstByte: v)
    }

    /// INTERNAL_ERROR suberror or FAIL_ENTRY hardware reason of the last exit.
    public var errorDetail: UInt64 { ckvm_run_error_detail(run) }

    /// KVM_GET_STATS_FD: the vCPU's binary statistics.
    public func statistics() throws(KVMError) -> KVMStatistics {
        let sfd = try kvmCall("KVM_GET_STATS_FD", ckvm_get_stats_fd(fd))
        return try KVMStatistics(fd: sfd)
    }
}

/// A KVM_EXIT_IO access.
public struct KVMPortAccess: Equatable, Sendable {
    public var out: Bool
    public var size: Int, port: Int, count: Int
    public var firstByte: UInt8
}

/// KVM_EXIT_* by name, for rows and notes.
public struct KVMExitReason: Equatable, Sendable, CustomStringConvertible {
    public var raw: UInt32
    public init(_ raw: UInt32) { self.raw = raw }

    public static let io = KVMExitReason(UInt32(KVM_EXIT_IO))
    public static let hlt = KVMExitReason(UInt32(KVM_EXIT_HLT))
    public static let intr = KVMExitReason(UInt32(KVM_EXIT_INTR))

    public var description: String {
        let names: [Int32: String] = [
            KVM_EXIT_UNKNOWN: "UNKNOWN", KVM_EXIT_EXCEPTION: "EXCEPTION", KVM_EXIT_IO: "IO",
            KVM_EXIT_HYPERCALL: "HYPERCALL", KVM_EXIT_DEBUG: "DEBUG", KVM_EXIT_HLT: "HLT",
            KVM_EXIT_MMIO: "MMIO", KVM_EXIT_SHUTDOWN: "SHUTDOWN", KVM_EXIT_FAIL_ENTRY: "FAIL_ENTRY",
            KVM_EXIT_INTR: "INTR", KVM_EXIT_INTERNAL_ERROR: "INTERNAL_ERROR",
            KVM_EXIT_SYSTEM_EVENT: "SYSTEM_EVENT", KVM_EXIT_X86_RDMSR: "X86_RDMSR",
            KVM_EXIT_X86_WRMSR: "X86_WRMSR", KVM_EXIT_NOTIFY: "NOTIFY",
        ]
        return "KVM_EXIT_" + (names[Int32(bitPattern: raw)] ?? "\(raw)")
    }
}
