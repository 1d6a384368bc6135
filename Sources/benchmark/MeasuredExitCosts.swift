import BenchCore
import KvmSuite
import RdmsrExitSuite

/// Feeds rdmsr-exit's cost table with exit costs measured through /dev/kvm.
///
/// Only hardware figures (kvm_intel / kvm_amd on bare metal) replace the
/// table's constants: a software or nested platform's exits cost what that
/// platform costs, not what KVM on hardware costs, so there the model
/// constants stay the defaults (the `kvm` suite still reports the platform's
/// figures, labelled as such).
enum MeasuredExitCosts {
    @Sendable static func forRdmsrExit(_ ctx: SuiteContext) -> [ExitCostItem: MeasuredExitCost] {
        guard KVMPlatform.detect(host: ctx.host).hardwareFigures, let tpc = ctx.ticksPerCoreCycle,
              let m = KVMExitCycles.measure(host: ctx.host, ticksPerCoreCycle: tpc) else { return [:] }
        return costs(m)
    }

    /// The round trip is the CPUID exit less the table's CPUID handler; the
    /// io handler is what a port write to user space costs beyond it.
    static func costs(_ m: KVMExitCycles) -> [ExitCostItem: MeasuredExitCost] {
        let cpuidHandler = Double(ExitCostTable.modelCycles[.handler(.cpuid)] ?? 0)
        return [
            .roundTrip: MeasuredExitCost(
                cycles: max(0, m.cpuidExit - cpuidHandler),
                origin: "CPUID exit \(Int(m.cpuidExit.rounded())) cycles - model cpuid handler \(Int(cpuidHandler)); \(m.origin)"),
            .handler(.io): MeasuredExitCost(
                cycles: max(0, m.userExit - m.cpuidExit),
                origin: "port-write exit \(Int(m.userExit.rounded())) - CPUID exit \(Int(m.cpuidExit.rounded())) cycles; \(m.origin)"),
        ]
    }
}
