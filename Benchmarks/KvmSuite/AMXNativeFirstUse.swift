import BenchCore
import CXState
import Foundation

/// A thread's first AMX use against its second, natively (no KVM): after
/// ARCH_REQ_XCOMP_PERM the kernel still keeps IA32_XFD[18] armed for each
/// thread until it touches tile data, so the first tile instruction takes
/// the XFD #NM and the kernel enlarges the thread's fpstate
/// (xfd_enable_feature -> fpstate_realloc) before it retires.
enum AMXNativeFirstUse {
    /// The instructions of one sample, injectable so the tests can see what
    /// each timed region holds.
    struct TileOps {
        /// LDTILECFG of the full palette-1 configuration.
        var configure: () -> Void
        /// TILEZERO of all eight tiles.
        var zero: () -> Void
        /// TILERELEASE.
        var release: () -> Void
        /// Times a closure in ticks (fenced RDTSC around it).
        var time: (() -> Void) -> Double
    }

    static let live: TileOps = {
        let cfg = UnsafeMutablePointer<cx_amx_tilecfg>.allocate(capacity: 1)  // kept for the process
        cx_amx_config_full(cfg)
        return TileOps(configure: { cx_amx_ldtilecfg(cfg) }, zero: { cx_amx_tilezero_all() },
                       release: { cx_amx_tilerelease() }, time: { body in TimingKernel.region(body).ticks })
    }()

    /// One sample on the calling thread, which must not have used AMX yet:
    /// both regions start at the thread's first AMX instruction of the
    /// region (LDTILECFG, which may be the one that takes the #NM), so the
    /// expansion falls inside the first.  Precondition: native permission held.
    static func sample(_ ops: TileOps) -> (first: Double, second: Double) {
        let first = ops.time { ops.configure(); ops.zero() }
        let second = ops.time { ops.configure(); ops.zero() }
        ops.release()
        return (first, second)
    }

    static func rows(_ suite: String, _ params: Params, threads: Int, kernel: AMXKernel,
                     underHypervisor: Bool) -> [ResultRow] {
        if case .failure(let e) = kernel.requestNativePermission() {
            return AMXExperiments.skipped(suite, params, depends: .cpuKernel, reason: "\(e)", only: ["amx-native-first-use"])
        }
        let samples = FirstUseSamples()
        for _ in 0..<threads {
            let t = Thread { samples.add(AMXNativeFirstUse.sample(AMXNativeFirstUse.live)) }
            t.start()
            samples.wait(for: 1)
        }
        let (first, second) = samples.values
        let diffs = zip(first, second).map { $0 - $1 }
        let whereNote = underHypervisor
            ? "; this host is itself a guest: the #NM is taken and handled by this kernel, and the fpstate allocation may fault in its hypervisor"
            : ""
        return [
            .timing(suite, "amx-native-first-use", params, metric: "first_tile_use", TimingSamples(perOp: first),
                    note: "LDTILECFG + TILEZERO x8 as a fresh thread's first AMX instructions: XFD #NM, fpstate enlarged"),
            .timing(suite, "amx-native-first-use", params, metric: "second_tile_use", TimingSamples(perOp: second),
                    note: "the same instructions again in that thread"),
            .timing(suite, "amx-native-first-use", params, metric: "first_minus_second", TimingSamples(perOp: diffs),
                    note: "per thread, first - second: the #NM trap and the expansion; spread from the pairs" + whereNote),
        ]
    }
}

/// Samples handed back from short-lived threads.
final class FirstUseSamples: @unchecked Sendable {
    private let lock = NSCondition()
    private var first: [Double] = [], second: [Double] = [], pending = 0

    func add(_ v: (first: Double, second: Double)) {
        lock.lock(); first.append(v.first); second.append(v.second); pending += 1; lock.signal(); lock.unlock()
    }

    /// Waits (at most 10 s) until `n` more samples arrived.
    func wait(for n: Int) {
        lock.lock(); defer { lock.unlock() }
        let deadline = Date().addingTimeInterval(10)
        while pending < n && lock.wait(until: deadline) {}
        pending = max(0, pending - n)
    }

    var values: ([Double], [Double]) { lock.lock(); defer { lock.unlock() }; return (first, second) }
}
