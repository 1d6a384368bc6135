import BenchCore

/// The two exit costs other suites' models need, measured through /dev/kvm
/// and converted to core cycles: a CPUID exit handled in the kernel and a
/// port write that exits to user space.
public struct KVMExitCycles: Sendable, Equatable {
    /// The implementation that ran them; its `hardwareFigures` says whether
    /// these are hardware exit costs.
    public var platform: KVMPlatform
    /// Guest-timed CPUID exit round trip, core cycles (median).
    public var cpuidExit: Double
    /// Guest-timed port-write exit to user space and back, core cycles (median).
    public var userExit: Double
    /// How the figures were obtained, for the consumer's notes.
    public var origin: String

    /// Converts guest-timed medians in ticks to core cycles; nil when either
    /// kind failed or has no samples.
    public static func from(_ costs: [KVMExitCost], platform: KVMPlatform,
                            ticksPerCoreCycle: Double) -> KVMExitCycles? {
        func median(_ p: GuestProgram) -> (ticks: Double, n: Int)? {
            guard let c = costs.first(where: { $0.program == p }), c.failure == nil,
                  let s = c.guestPerExit?.summary else { return nil }
            return (s.median, s.count)
        }
        guard ticksPerCoreCycle > 0, let cpuid = median(.cpuid), let out = median(.outb) else { return nil }
        let how = "kvm suite measurement on \(platform.name): guest-timed medians of \(cpuid.n) CPUID and "
            + "\(out.n) port-write samples (K/2K differenced), ticks / \(ticksPerCoreCycle) ticks per core cycle (estimate)"
        return KVMExitCycles(platform: platform, cpuidExit: cpuid.ticks / ticksPerCoreCycle,
                             userExit: out.ticks / ticksPerCoreCycle, origin: how)
    }

    /// Measures both kinds on this host (about 0.1 s on hardware KVM).
    /// nil when /dev/kvm cannot be used or either kind fails.
    public static func measure(host: CPUDescription, ticksPerCoreCycle: Double,
                               path: String = "/dev/kvm") -> KVMExitCycles? {
        let platform = KVMPlatform.detect(host: host)
        // This may be the process's first vCPU: settle the guest AMX
        // permission first, which a vCPU would lock (AMXReadiness).
        _ = AMXReadiness.forProcess(path: path)
        guard let costs = try? KVMExitCosts.measure(programs: [.cpuid, .outb], k: 32, pairs: 50, path: path,
                                                     limitNanoseconds: 2_000_000_000) else { return nil }
        return from(costs, platform: platform, ticksPerCoreCycle: ticksPerCoreCycle)
    }
}
