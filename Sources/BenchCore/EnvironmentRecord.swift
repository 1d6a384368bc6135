import Foundation

/// The run's environment, written as `environment.json` beside the reports
/// and joined to every row by `run_id`.
public struct EnvironmentRecord: Codable, Sendable {
    public var schemaVersion: Int
    public var runId: String
    public var toolVersion: String
    public var gitCommit: String?
    /// The tree the tool was built from differed from `gitCommit` (fixed at
    /// build time, see `BuiltCheckout`); nil when unknown.
    public var gitDirty: Bool? = SourceCheckout.builtDirty
    /// ISO 8601, UTC.
    public var date: String
    public var commandLine: [String]
    public var kernel: String
    public var hostname: String
    public var cpuVendor: String
    public var cpuFamily: Int, cpuModel: Int, cpuStepping: Int
    public var cpuBrand: String
    public var microcode: String?
    public var hypervisor: String?
    public var features: [String: Bool]
    /// XCR0 in hex, or nil when XSAVE is not enabled.
    public var xcr0: String?
    public var xsaveStandardSize: Int?
    public var xsaveCompactedSize: Int?
    public var tscHz: Double
    public var tscMethod: String
    public var tscCalibratedHz: Double
    public var ticksPerCoreCycle: Double?
    public var ticksPerCoreCycleMethod: String
    public var emptyRegionTicksMedian: Double
    public var migrationProbe: String
    public var pinnedCPU: Int
    public var onlineCPUs: Int
    public var governor: String
    public var smt: String
    public var swiftVersion: String
    public var quick: Bool
    public var repetitions: Int
    public var seed: UInt64
    /// CPU identity (vendor, family/model/stepping, brand, microcode,
    /// hypervisor, CPU count): results are comparable only under the same one.
    public var hostFingerprint: String
    /// "release" or "debug": debug builds do not inline the instruction
    /// wrappers, so their timings include calls.
    public var buildConfiguration: String? = EnvironmentRecord.buildConfiguration
    /// `CPUDescription.identity` of the host: rows that depend on `cpu` are
    /// gated only between runs with the same one.
    public var cpuIdentity: String
    /// The running kernel's version, major.minor (the release string when
    /// it has none): rows that depend on `kernel` (or `cpu+kernel`) are
    /// gated only between runs with the same one.
    public var kernelIdentity: String
    /// Suites the run was asked for, in order.
    public var suitesSelected: [String]
    /// Suite parameters given with `--set` / `--cpu-model`.
    public var parameters: [String: String]
    /// `--filter`, when the run was narrowed: rows it does not keep were not run.
    public var filter: String? = nil
    /// One record per finished suite's CSV; a suite selected but absent
    /// here did not finish.
    public var suites: [String: SuiteFileRecord] = [:]
    /// True once every selected suite finished and its files were written.
    public var complete: Bool = false
    /// The KVM implementation behind /dev/kvm (kvm_intel, kvm_amd, kvm_pvm,
    /// several joined by "+", or "none") and whether in-guest figures are
    /// hardware exit costs; `kvm_platform_note` says why.
    public var kvmPlatform: String? = nil
    public var kvmHardwareFigures: Bool? = nil
    public var kvmPlatformNote: String? = nil
    /// 1, 5 and 15 minute load averages when the record was made (empty
    /// when the kernel does not say): a busy machine explains noisy timings.
    public var loadAverage: [Double]? = EnvironmentRecord.loadAverage()
    /// The machine's speed state around each finished suite
    /// (`SpeedCalibration`); nil in records of tool versions without it.
    public var speedCalibration: [String: SpeedCalibrationRecord]? = [:]

    public static let fileName = "environment.json"

    /// snake_case keys, spelled out: the automatic conversion cannot round-trip
    /// names such as `pinnedCPU`.
    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", runId = "run_id", toolVersion = "tool_version"
        case gitCommit = "git_commit", gitDirty = "git_dirty", date, commandLine = "command_line", kernel, hostname
        case cpuVendor = "cpu_vendor", cpuFamily = "cpu_family", cpuModel = "cpu_model"
        case cpuStepping = "cpu_stepping", cpuBrand = "cpu_brand", microcode, hypervisor, features, xcr0
        case xsaveStandardSize = "xsave_standard_size", xsaveCompactedSize = "xsave_compacted_size"
        case tscHz = "tsc_hz", tscMethod = "tsc_method", tscCalibratedHz = "tsc_calibrated_hz"
        case ticksPerCoreCycle = "ticks_per_core_cycle", ticksPerCoreCycleMethod = "ticks_per_core_cycle_method"
        case emptyRegionTicksMedian = "empty_region_ticks_median", migrationProbe = "migration_probe"
        case pinnedCPU = "pinned_cpu", onlineCPUs = "online_cpus", governor, smt
        case swiftVersion = "swift_version", quick, repetitions, seed
        case hostFingerprint = "host_fingerprint", buildConfiguration = "build_configuration"
        case cpuIdentity = "cpu_identity", kernelIdentity = "kernel_identity"
        case suitesSelected = "suites_selected", parameters, filter, suites, complete
        case kvmPlatform = "kvm_platform", kvmHardwareFigures = "kvm_hardware_figures"
        case kvmPlatformNote = "kvm_platform_note"
        case loadAverage = "load_average"
        case speedCalibration = "speed_calibration"
    }

    public func write(to dir: URL) throws {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try enc.encode(self), to: dir.appendingPathComponent(Self.fileName))
    }

    public static func read(from dir: URL) throws -> EnvironmentRecord {
        return try JSONDecoder().decode(EnvironmentRecord.self,
                              from: Data(contentsOf: dir.appendingPathComponent(fileName)))
    }

    /// Facts about the host that need no measurement.
    public static func hostFacts() -> (kernel: String, hostname: String, governor: String, smt: String, onlineCPUs: Int) {
        var u = utsname()
        uname(&u)
        func str<T>(_ t: T) -> String {
            withUnsafeBytes(of: t) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        }
        func read(_ path: String) -> String? {
            (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        return ("\(str(u.sysname)) \(str(u.release)) \(str(u.machine))", str(u.nodename),
                read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") ?? "unknown (no cpufreq)",
                read("/sys/devices/system/cpu/smt/control") ?? "unknown",
                Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// getloadavg(3): up to three load averages.
    public static func loadAverage() -> [Double] {
        var loads = [Double](repeating: 0, count: 3)
        let n = getloadavg(&loads, 3)
        return n > 0 ? Array(loads.prefix(Int(n))) : []
    }

    /// What rows that depend on the kernel are functions of: its version.
    public static func kernelIdentity(release: String = kernelRelease()) -> String {
        LinuxKernelVersion(release: release)?.description ?? release
    }

    /// The running kernel's release string.
    public static func kernelRelease() -> String {
        var u = utsname()
        uname(&u)
        return withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
    }

    public static func fingerprint(cpu: CPUDescription, onlineCPUs: Int) -> String {
        [cpu.vendor, "\(cpu.family)-\(cpu.model)-\(cpu.stepping)", cpu.brand,
         cpu.microcode ?? "?", cpu.hypervisorVendor ?? "bare-metal", "\(onlineCPUs)cpu"]
            .joined(separator: "|")
    }

    /// The commit of the source checkout this executable was built from
    /// (12 hex digits), or nil when it was not built inside a git checkout.
    /// Fixed at build time (`SourceCheckout.builtCommit`), never read at run time.
    public static func gitCommit() -> String? {
        SourceCheckout.builtCommit
    }

    public static var buildConfiguration: String {
        #if DEBUG
        return "debug"
        #else
        return "release"
        #endif
    }

    public static var swiftVersion: String {
        #if compiler(>=6.3)
        return "6.3+"
        #elseif compiler(>=6.2)
        return "6.2"
        #elseif compiler(>=6.1)
        return "6.1"
        #else
        return "6.0"
        #endif
    }
}
