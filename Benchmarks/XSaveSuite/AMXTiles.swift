import BenchCore
import CXState
import Foundation

/// Whether the AMX path may run, decided before any tile instruction.
public enum AMXDecision: Equatable, Sendable {
    /// Every precondition holds (permission included, where that was asked).
    case run
    case skip(String)

    public var reason: String? { if case .skip(let r) = self { return r }; return nil }
}

/// The gate in front of every AMX instruction.  `decide` and
/// `permissionDecision` are pure, so tests can feed them a recorded CPU or
/// an errno; only `requestPermission` talks to the kernel.
public enum AMXGate {
    /// The CPU-and-OS part: XSAVE can run, AMX-TILE exists and tile state is
    /// enabled in XCR0.  For a recorded CPU the answer says what would run
    /// on it; only the host's answer ever leads to executing anything.
    public static func decide(_ cpu: CPUDescription) -> AMXDecision {
        if let r = cpu.unavailableReason(.xsave) { return .skip(r) }
        guard cpu.features.amxTile else {
            return .skip("CPU has no AMX-TILE (CPUID.(7,0):EDX[24] clear)")
        }
        guard cpu.osEnabled(.amxTiles) else {
            return .skip("OS has not enabled AMX tile state (XCR0 bits 17-18 clear; XCR0 \(hex(cpu.xcr0 ?? 0)))")
        }
        return .run
    }

    /// Maps the result of arch_prctl(ARCH_REQ_XCOMP_PERM, 18) (0 or -errno).
    public static func permissionDecision(result: Int) -> AMXDecision {
        switch result {
        case 0: return .run
        case -Int(ENOSPC):
            return .skip("ARCH_REQ_XCOMP_PERM refused (ENOSPC): a sigaltstack is smaller than the AMX signal frame")
        case -Int(EINVAL):
            return .skip("ARCH_REQ_XCOMP_PERM refused (EINVAL): kernel does not offer XTILEDATA")
        case -Int(ENOSYS):
            return .skip("arch_prctl unavailable (ENOSYS)")
        default:
            return .skip("ARCH_REQ_XCOMP_PERM failed (errno \(-result))")
        }
    }

    /// Asks Linux for XTILEDATA permission for this process.
    /// Precondition: `decide(host) == .run`.
    public static func requestPermission() -> AMXDecision {
        permissionDecision(result: cx_arch_prctl(Int32(CX_ARCH_REQ_XCOMP_PERM), UInt(CX_XFEATURE_XTILEDATA)))
    }
}

/// Tile configuration and 8 KiB of non-zero tile data, for dirtying the
/// AMX components before a timed save.
///
/// Precondition for `load()` and `release()`: `AMXGate` returned `.run`
/// for the host and for the permission request.
public final class AMXTileSource {
    let config: UnsafeMutablePointer<cx_amx_tilecfg>
    let data: UnsafeMutableRawPointer

    public init() {
        let raw = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 64)
        config = raw.bindMemory(to: cx_amx_tilecfg.self, capacity: 1)
        cx_amx_config_full(config)
        var p: UnsafeMutableRawPointer?
        posix_memalign(&p, 64, 8 * CX_AMX_TILE_BYTES)
        data = p!
        // Non-zero data: tile data loaded as zero may still read as init.
        memset(data, 0x5A, 8 * CX_AMX_TILE_BYTES)
    }

    deinit { UnsafeMutableRawPointer(config).deallocate(); free(data) }

    /// Configures all eight tiles and loads them (XTILECFG and XTILEDATA non-init).
    @inline(__always)
    func load() {
        cx_amx_ldtilecfg(config)
        cx_amx_tileload_all(data)
    }

    /// Returns the tile state to init so later context switches stop saving it.
    public func release() { cx_amx_tilerelease() }
}
