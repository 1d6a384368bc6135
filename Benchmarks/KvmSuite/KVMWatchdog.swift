import CKVM
import Foundation

/// A deadline for a sequence of KVM_RUN calls on the calling thread: a
/// POSIX timer signals the thread, whose handler sets the vCPU's
/// immediate_exit, so a running KVM_RUN returns -EINTR and a starting one
/// returns at once.  After the deadline it fires again every
/// `repeatNanoseconds` until disarmed, so a guest stuck in the kernel is
/// kicked more than once.  Create, use and drop it on the vCPU's thread.
final class KVMWatchdog {
    static let signal = ckvm_sigrt(6)
    static let repeatNanoseconds: UInt64 = 20_000_000
    private let timer: Int
    private let vcpu: KVMVCPU

    init(vcpu: KVMVCPU) throws(KVMError) {
        self.vcpu = vcpu
        try kvmCall("sigaction watchdog", ckvm_watchdog_install(KVMWatchdog.signal))
        var t = 0
        try kvmCall("timer_create", ckvm_timer_create(KVMWatchdog.signal, &t))
        timer = t
    }

    deinit { _ = ckvm_timer_delete(timer) }

    /// Runs `body` with the deadline armed; `body` gets a function telling
    /// whether the watchdog has fired since arming.  The timer is disarmed
    /// and immediate_exit cleared before returning.  Throws, without
    /// calling `body`, when the timer cannot be armed: an unguarded guest
    /// could hang the tool.
    func guarding<T>(limitNanoseconds: UInt64, _ body: (() -> Bool) -> T) throws(KVMError) -> T {
        let t = timer
        let firedBefore = ckvm_watchdog_fired()
        ckvm_run_set_immediate_exit(vcpu.run, 0)
        ckvm_watchdog_target(vcpu.run)
        defer {
            _ = ckvm_timer_arm(t, 0, 0)
            ckvm_watchdog_target(nil)
            ckvm_run_set_immediate_exit(vcpu.run, 0)
        }
        try kvmCall("timer_settime", ckvm_timer_arm(t, max(limitNanoseconds, 1), KVMWatchdog.repeatNanoseconds))
        return body { ckvm_watchdog_fired() != firedBefore }
    }
}
