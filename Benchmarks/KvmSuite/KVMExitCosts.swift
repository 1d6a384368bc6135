import BenchCore
import Foundation

/// One exit kind's measured cost.
public struct KVMExitCost: Sendable {
    public var program: GuestProgram
    /// Ticks per exit round trip as the guest timed it: per pair of samples
    /// (one of each region order), (long - short) / K averaged over the pair.
    public var guestPerExit: TimingSamples?
    /// Ticks of one whole KVM_RUN per user-space exit, timed on the host.
    public var hostRun: TimingSamples?
    /// Why the kind could not be measured (exit reason, watchdog, ioctl error).
    public var failure: String?
    /// Exits the guest counted, exits it was asked to make.
    public var guestExits: UInt64 = 0, expectedExits: UInt64 = 0
    /// User-space exits the host loop counted.
    public var userExits = 0
    /// KVM's own `exits` counter over the run (KVM_GET_STATS_FD), if readable.
    public var kvmExitsCounter: UInt64?
}

/// Exit round-trip costs measured through /dev/kvm: the API other suites
/// (rdmsr-exit's cost table) use for measured defaults.
///
///     let costs = try KVMExitCosts.measure(k: 32, pairs: 20)
///     costs.first { $0.program == .cpuid }?.guestPerExit?.summary?.median  // ticks
///
/// Every figure is in TSC ticks of this host and is a measurement of the
/// platform `KVMPlatform.detect` names: hardware exit costs only where
/// `hardwareFigures` is true.
public enum KVMExitCosts {
    /// IA32_MISC_ENABLE (0x1A0): KVM intercepts it on Intel and AMD and
    /// emulates it in common code (kvm_get_msr_common / kvm_set_msr_common);
    /// writing back the value read changes nothing.
    public static let emulatedMSR: UInt32 = 0x1A0

    /// The exit kinds for a host CPU vendor: CPUID, RDMSR, WRMSR, the
    /// vendor's hypercall, a port write to user space.
    public static func programs(vendor: String) -> [GuestProgram] {
        [.cpuid, .rdmsr, .wrmsr, GuestProgram.hypercall(vendor: vendor), .outb]
    }

    /// A first run of one sample with K = 1 under `probeNanoseconds`: a kind
    /// the platform cannot run (a hang, a fault) fails here, quickly.
    public static let probeNanoseconds: UInt64 = 200_000_000

    /// Measures each of `programs` in a fresh VM: a probe run, then `pairs`
    /// pairs of samples of K and 2K exits under a watchdog of
    /// `limitNanoseconds`.  Throws only when /dev/kvm cannot be opened;
    /// anything else is in the kind's `failure`.
    /// Preconditions: k >= 1, 1 <= pairs, 2 * pairs <= the results page's capacity.
    public static func measure(programs: [GuestProgram], k: Int, pairs: Int, path: String = "/dev/kvm",
                               limitNanoseconds: UInt64 = 10_000_000_000,
                               progress: (GuestProgram) throws -> Void = { _ in }) throws -> [KVMExitCost] {
        precondition(k >= 1 && pairs >= 1 && 2 * pairs <= GuestLayout.maxSamples)
        let system = try KVMSystem(path: path)
        var out: [KVMExitCost] = []
        for program in programs {
            try progress(program)
            out.append(measureOne(program, system: system, k: k, pairs: pairs, limitNanoseconds: limitNanoseconds))
        }
        return out
    }

    static func measureOne(_ program: GuestProgram, system: KVMSystem, k: Int, pairs: Int,
                           limitNanoseconds: UInt64) -> KVMExitCost {
        var cost = KVMExitCost(program: program)
        let guest: KVMGuest
        do { guest = try KVMGuest(system: system) } catch {
            cost.failure = "\(error)"
            return cost
        }
        let probe = guest.run(program, k: 1, samples: 1, msr: emulatedMSR, limitNanoseconds: probeNanoseconds)
        if let f = probe.failure {
            cost.failure = "probe (3 exits): " + f
            return cost
        }
        let run = guest.run(program, k: k, samples: 2 * pairs, msr: emulatedMSR, limitNanoseconds: limitNanoseconds)
        cost.failure = run.failure
        cost.guestExits = run.guestExits
        cost.expectedExits = UInt64(3 * k * 2 * pairs)
        cost.userExits = run.userExits
        cost.kvmExitsCounter = run.statsDelta["exits"]
        guard run.failure == nil else { return cost }
        cost.guestPerExit = TimingSamples(perOp: pairAverages(run.perExit), inner: k)
        if program.exitsToUserSpace { cost.hostRun = TimingSamples(perOp: run.hostRunTicks) }
        return cost
    }

    /// Averages samples 2i and 2i+1: one was timed short region first, the
    /// other long region first, so an effect of region order cancels.
    static func pairAverages(_ values: [Double]) -> [Double] {
        stride(from: 0, to: values.count - 1, by: 2).map { (values[$0] + values[$0 + 1]) / 2 }
    }
}
