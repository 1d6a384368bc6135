import BenchCore
import Foundation

/// What each policy does when the expanded buffer cannot be allocated: the
/// reason Linux expands at KVM_SET_CPUID2.  Each policy runs a small fleet
/// with an allocator that refuses the expanded size; where the fleet fails
/// decides who sees the error.  Nothing is timed: `model` rows (the policy
/// simulated with an injected failure).
enum FailureMode {
    static let vcpus = 4

    /// What the failing phase means for the guest and the VMM.
    static func consequence(phase: String) -> (beforeGuestRuns: Bool, text: String) {
        switch phase {
        case "create":
            return (true, "vCPU creation fails with -ENOMEM: the VMM gets an error before the guest exists")
        case "KVM_SET_CPUID2":
            return (true, "KVM_SET_CPUID2 fails with -ENOMEM: the VMM gets an error before the guest runs and can retry or offer no AMX")
        case xfdWritePhase:
            return (false, "the guest is running: the emulated WRMSR(IA32_XFD) can only fail; KVM injects #GP at a write the "
                + "guest's CPUID says is valid (a Linux guest logs an unchecked MSR access, keeps XFD armed, and its AMX task "
                + "then faults with nothing left to expand)")
        default:
            return (false, "the guest is running: the kernel can only fail the #NM path at its first AMX instruction; the vCPU thread gets a signal (SIGSEGV for a task) and the guest is killed, its state lost")
        }
    }

    /// The phase of the design the 2021 thread argued against: expanding
    /// when KVM emulates the guest's first XFD-clearing WRMSR(IA32_XFD).
    static let xfdWritePhase = "WRMSR(IA32_XFD) emulation"

    /// That design with the expanded-size allocation refused: the vCPU is
    /// created at the default size, the allocation at the emulated write
    /// fails.  A simulation of the two allocations, like the policies'.
    static func xfdWriteRows(suite: String, cfg: FpstateAllocConfig, params base: Params) -> [ResultRow] {
        let s = cfg.sizes
        var p = base
        p.pairs += [(key: "policy", value: "expand-at-xfd-write"), (key: "fails", value: "expanded-size allocation")]
        guard s.hasDynamicState else {
            return [.skipped(suite, "failure-mode", p, metric: "fails_before_guest_runs", unit: "bool", source: .model,
                             depends: cfg.sizesDepend, reason: "cpu-model \(s.cpu) has no XFD-capable component: nothing is expanded")]
        }
        let counting = CountingAllocator(MallocAllocator())
        counting.failFromBytes = s.expandedBufferBytes
        let created = counting.allocate(s.defaultBufferBytes)
        let expanded = counting.allocate(s.expandedBufferBytes)
        if let expanded { _ = counting.release(expanded) }
        if let created { _ = counting.release(created) }
        guard created != nil, expanded == nil else {
            return [ResultRow(suite: suite, benchmark: "failure-mode", params: p, metric: "fails_before_guest_runs",
                              source: .model, gate: .exact, depends: cfg.sizesDepend, status: .error, value: nil, unit: "bool",
                              note: "the refusing allocator did not refuse the expanded size at the emulated write")]
        }
        let c = consequence(phase: xfdWritePhase)
        return [
            .figure(suite, "failure-mode", p, metric: "fails_before_guest_runs", c.beforeGuestRuns ? 1 : 0, unit: "bool",
                    source: .model, depends: cfg.sizesDepend, note: "failed at \(xfdWritePhase): \(c.text)"),
        ] + LeakCount.rows(suite, "failure-mode", p, counting).filter { $0.metric == "unfreed_buffers" }
    }

    static func rows(suite: String, ctx: SuiteContext, cfg: FpstateAllocConfig, params base: Params) -> [ResultRow] {
        policyRows(suite: suite, ctx: ctx, cfg: cfg, params: base) + xfdWriteRows(suite: suite, cfg: cfg, params: base)
    }

    static func policyRows(suite: String, ctx: SuiteContext, cfg: FpstateAllocConfig, params base: Params) -> [ResultRow] {
        let s = cfg.sizes
        return Policy.allCases.flatMap { policy -> [ResultRow] in
            var p = base
            p.pairs += [(key: "policy", value: policy.rawValue), (key: "fails", value: "expanded-size allocation")]
            guard s.hasDynamicState else {
                return [.skipped(suite, "failure-mode", p, metric: "fails_before_guest_runs", unit: "bool", source: .model,
                                 depends: cfg.sizesDepend, reason: "cpu-model \(s.cpu) has no XFD-capable component: nothing is expanded")]
            }
            let counting = CountingAllocator(MallocAllocator())
            counting.failFromBytes = s.expandedBufferBytes
            let copier = StateCopier(host: ctx.host, sizes: s, alignment: counting.alignment)
            let sim = FleetSimulator(sizes: s, allocator: counting, copier: copier, kernel: ctx.kernel, floor: 0)
            let plan = FleetPlan(vcpus: vcpus, cpuidPercent: 100, adoptionPercent: 100, seed: ctx.seed)
            let phase: String
            do {
                _ = try sim.run(plan, policy: policy)
                return [ResultRow(suite: suite, benchmark: "failure-mode", params: p, metric: "fails_before_guest_runs",
                                  source: .model, gate: .exact, depends: cfg.sizesDepend, status: .error, value: nil,
                                  unit: "bool", note: "the fleet ran although every expanded-size allocation was refused")]
            } catch let e as FleetError {
                phase = e.phase
            } catch {
                phase = "\(error)"
            }
            let c = consequence(phase: phase)
            return [
                .figure(suite, "failure-mode", p, metric: "fails_before_guest_runs", c.beforeGuestRuns ? 1 : 0, unit: "bool",
                        source: .model, depends: cfg.sizesDepend, note: "failed at \(phase): \(c.text)"),
            ] + LeakCount.rows(suite, "failure-mode", p, counting).filter { $0.metric == "unfreed_buffers" }
        }
    }
}
