import BenchCore
import Foundation

/// When a vCPU's register-state buffer grows to the full (AMX) size.
public enum Policy: String, CaseIterable, Sendable {
    /// Full buffer at vCPU creation.
    case eagerAtCreate = "eager-at-create"
    /// Default buffer at creation, expanded at KVM_SET_CPUID2 when the
    /// guest's CPUID has AMX and permission is granted (what Linux merged).
    case expandAtCpuid = "expand-at-cpuid"
    /// Default buffer at creation, expanded in the #NM (XFD) trap path at
    /// the guest's first AMX use.
    case lazyOnTrap = "lazy-on-trap"
}

/// Which vCPUs of a fleet see AMX in their CPUID and which use it.
/// Deterministic for a given (vcpus, percentages, seed).
public struct FleetPlan: Sendable, Equatable {
    public let vcpus: Int
    /// Guest CPUID exposes AMX (and the process has guest permission).
    public let cpuidAMX: [Bool]
    /// The guest uses AMX after it starts running (a subset of `cpuidAMX`).
    public let adopts: [Bool]

    /// - Parameters:
    ///   - vcpus: fleet size (>= 1).
    ///   - cpuidPercent: share of vCPUs whose CPUID has AMX, 0...100.
    ///   - adoptionPercent: share that uses AMX, 0...cpuidPercent.
    ///   - seed: picks which vCPUs; the counts do not depend on it.
    public init(vcpus: Int, cpuidPercent: Double = 100, adoptionPercent: Double, seed: UInt64) {
        precondition(vcpus >= 1 && adoptionPercent >= 0 && adoptionPercent <= cpuidPercent && cpuidPercent <= 100)
        self.vcpus = vcpus
        var rng = SplitMix64(seed: seed ^ (UInt64(vcpus) &* 0x9E37_79B9))
        let order = Array(0..<vcpus).shuffled(using: &rng)
        let exposed = Set(order.prefix(FleetPlan.share(vcpus, percent: cpuidPercent)))
        // Adopters are a prefix of the same order, hence a subset of `exposed`.
        let adopters = Set(order.prefix(FleetPlan.share(vcpus, percent: adoptionPercent)))
        cpuidAMX = (0..<vcpus).map { exposed.contains($0) }
        adopts = (0..<vcpus).map { adopters.contains($0) }
    }

    /// round(n * percent / 100): the number of vCPUs a percentage selects.
    public static func share(_ n: Int, percent: Double) -> Int { Int((Double(n) * percent / 100).rounded()) }
}

/// A fleet run that could not allocate; every buffer it held was freed.
public struct FleetError: Error, CustomStringConvertible, Equatable {
    public var phase: String, vcpu: Int, bytes: Int, allocator: String
    public var description: String {
        "\(allocator): allocation of \(bytes) bytes failed at \(phase) of vCPU \(vcpu); every buffer was freed"
    }
}

/// What one fleet run measured.  Latencies in TSC ticks, one sample per event.
public struct FleetOutcome {
    /// Buffer allocation + zeroing/first touch at vCPU creation, per vCPU.
    public var create: TimingSamples
    /// Expansion at KVM_SET_CPUID2 (expand-at-cpuid only), per expanded vCPU.
    public var setCpuid: TimingSamples
    /// Expansion in the first-use trap path (lazy-on-trap only), per adopter.
    public var firstUse: TimingSamples
    /// Buffer release at vCPU destruction, per vCPU.
    public var destroy: TimingSamples
    /// Memory held after every vCPU reached its final size, before destruction.
    public var memory: FleetMemory
    /// Buffers that ended at the full size.
    public var expandedVCPUs: Int
    /// Expansions that restored registers from the old buffer, per phase.
    public var restoresAtSetCpuid: Int, restoresAtTrap: Int
}

/// Runs the lifecycle create -> KVM_SET_CPUID2 -> run -> first AMX use ->
/// destroy for a whole fleet, phase by phase (as a VMM creates all vCPUs,
/// then sets CPUID on each, ...), with real allocations.
public final class FleetSimulator {
    public let sizes: FpstateSizes
    public let allocator: CountingAllocator
    public let copier: StateCopier
    let kernel: TimingKernel
    let floor: Double

    /// - Parameter floor: the run's median empty region in ticks, subtracted
    ///   from each event (events are thousands of ticks).
    public init(sizes: FpstateSizes, allocator: CountingAllocator, copier: StateCopier,
                kernel: TimingKernel, floor: Double) {
        self.sizes = sizes; self.allocator = allocator; self.copier = copier
        self.kernel = kernel; self.floor = floor
    }

    /// One lifecycle of `plan` under `policy`.  On an allocation failure
    /// every buffer still held is freed and `FleetError` is thrown.
    public func run(_ plan: FleetPlan, policy: Policy) throws -> FleetOutcome {
        let n = plan.vcpus
        var blocks = [StateBlock?](repeating: nil, count: n)
        var failure: FleetError?
        let full = sizes.expandedBufferBytes, small = sizes.defaultBufferBytes
        let canExpand = sizes.hasDynamicState

        func releaseAll() {
            for case let b? in blocks { allocator.release(b) }  // a refused release stays counted as live
            blocks = [StateBlock?](repeating: nil, count: n)
        }
        let xcompBV: UInt64 = sizes.compacted ? (1 << 63) | sizes.fullMask : 0
        var restores = 0
        func expand(_ indices: [Int], phase: String, inUse: Bool) -> TimingSamples {
            restores = 0
            return kernel.events(count: indices.count, floor: floor) { j in
                let i = indices[j]
                guard failure == nil, let old = blocks[i] else { return }
                if let r = expandState(old, to: full, allocator: allocator, copier: copier, inUse: inUse, xcompBV: xcompBV) {
                    blocks[i] = r.block
                    if r.restored { restores += 1 }
                } else {
                    failure = FleetError(phase: phase, vcpu: i, bytes: full, allocator: allocator.name)
                }
            }
        }

        // create: the buffer the policy starts with.
        let createBytes = policy == .eagerAtCreate ? full : small
        let create = kernel.events(count: n, floor: floor) { i in
            guard failure == nil else { return }
            if let b = allocator.allocate(createBytes) { blocks[i] = b } else {
                failure = FleetError(phase: "create", vcpu: i, bytes: createBytes, allocator: allocator.name)
            }
        }
        if let f = failure { releaseAll(); throw f }

        // KVM_SET_CPUID2: expand-at-cpuid grows every vCPU whose CPUID has AMX.
        let atCpuid = (policy == .expandAtCpuid && canExpand) ? (0..<n).filter { plan.cpuidAMX[$0] } : []
        // The guest fpstate is not in use before the guest runs.
        let setCpuid = expand(atCpuid, phase: "KVM_SET_CPUID2", inUse: false)
        let restoresAtSetCpuid = restores
        if let f = failure { releaseAll(); throw f }

        // run: the guest runs and its state is saved into the buffer (untimed;
        // every policy pays it alike).
        for case let b? in blocks { copier.save(into: b) }

        // first AMX use: only lazy-on-trap still has something to allocate.
        let atTrap = (policy == .lazyOnTrap && canExpand) ? (0..<n).filter { plan.adopts[$0] } : []
        let firstUse = expand(atTrap, phase: "first-use trap", inUse: true)
        let restoresAtTrap = restores
        if let f = failure { releaseAll(); throw f }

        let live = blocks.compactMap { $0 }
        var memory = FleetMemory(
            requested: live.reduce(0) { $0 + $1.requested }, residentMeasured: nil,
            residentModel: allocator.pageGranular ? ResidentPages.model(live.map(\.requested)) : nil)
        if allocator.pageGranular {
            switch ResidentPages.measure(live) {
            case .success(let r): memory.residentMeasured = r
            case .failure(let e): memory.residentError = e.description
            }
        }
        let expanded = live.filter { $0.requested == full }.count

        // destroy
        let destroy = kernel.events(count: n, floor: floor) { i in
            if let b = blocks[i] { allocator.release(b); blocks[i] = nil }
        }
        return FleetOutcome(create: create, setCpuid: setCpuid, firstUse: firstUse, destroy: destroy,
                            memory: memory, expandedVCPUs: canExpand ? expanded : 0,
                            restoresAtSetCpuid: restoresAtSetCpuid, restoresAtTrap: restoresAtTrap)
    }

    /// Requested bytes the size model predicts for `plan` under `policy`
    /// (no allocation): the figure `run` must reproduce exactly.
    public func predictedRequested(_ plan: FleetPlan, policy: Policy) -> Int {
        let expanded = FleetSimulator.expandedCount(plan, policy: policy, sizes: sizes)
        return expanded * sizes.expandedBufferBytes + (plan.vcpus - expanded) * sizes.defaultBufferBytes
    }

    /// vCPUs whose buffer ends at the full size.
    public static func expandedCount(_ plan: FleetPlan, policy: Policy, sizes: FpstateSizes) -> Int {
        switch policy {
        case .eagerAtCreate: return plan.vcpus
        case .expandAtCpuid: return plan.cpuidAMX.filter { $0 }.count
        case .lazyOnTrap: return plan.adopts.filter { $0 }.count
        }
    }
}
