import BenchCore
import Foundation
import Testing
@testable import XSaveSuite

/// Linux's sizes per CPU and kernel version, the signal frame, and the
/// checks against the kernel's own figures, from recorded CPUs only.
struct XSaveLinuxSizeTests {
    func model(_ id: String, xcr0: UInt64? = nil) throws -> XSaveSizeModel {
        var cpu = try #require(CPUCatalog.lookup(id))
        if let xcr0 { cpu.xcr0 = xcr0 }
        return try #require(XSaveSizeModel(cpu: cpu.description))
    }
    func rules(_ a: Int, _ b: Int) -> LinuxXStateRules { LinuxXStateRules(kernel: LinuxKernelVersion(a, b)) }

    /// The frame: round_up(736 + 15 + xstate + 4 + 112 + 63, 16).
    @Test func signalFrames() throws {
        let r = rules(6, 18)
        let spr = try model("spr").linux(r)
        #expect(spr.sigframeExpanded == 11952)
        #expect(spr.sigframeDefault == 3760)
        #expect(try model("zen3").linux(r).sigframeExpanded == 3376)
        #expect(try model("zen4").linux(r).sigframeExpanded == 3376)
        #expect(try model("skx").linux(r).sigframeExpanded == 3632)
        // The Zen 4 VM of this machine kind: XCR0 0xe7 (no PKRU), AT_MINSIGSTKSZ 3376.
        #expect(try model("zen4", xcr0: 0xE7).linux(r).sigframeExpanded == 3376)
        #expect(LinuxSignalFrame.size(userXStateSize: 0) == 944)
    }

    /// Sizes per kernel version: (kernel, task default, task expanded,
    /// context size, guest register area at vCPU creation, guest expanded).
    @Test func sizesPerKernel() throws {
        typealias Row = (LinuxXStateRules, Int, Int, Int, Int, Int)
        let table: [String: [Row]] = [
            "spr": [(rules(5, 17), 2560, 10752, 10752, 2816, 10752),
                    (rules(5, 18), 2560, 10752, 10752, 2816, 10752),
                    (rules(6, 14), 2560, 10752, 10752, 2816, 10752),
                    (rules(6, 15), 2560, 10752, 10752, 2560, 10752),
                    (rules(6, 18), 2560, 10752, 10752, 2560, 10752)],
            "zen3": [(rules(5, 17), 840, 840, 840, 2440, 840),
                     (rules(6, 6), 856, 856, 856, 2440, 856),
                     (rules(6, 15), 856, 856, 856, 856, 856),
                     (rules(6, 18), 856, 856, 880, 880, 880)],
            "zen4": [(rules(5, 17), 2440, 2440, 2440, 2440, 2440),
                     (rules(6, 18), 2456, 2456, 2480, 2480, 2480)],
            "skx": [(rules(5, 17), 2440, 2440, 2440, 2696, 2440),
                    (rules(6, 18), 2440, 2440, 2440, 2440, 2440)],
        ]
        for (id, rows) in table {
            let m = try model(id)
            for (r, def, exp, ctx, create, gexp) in rows {
                let l = m.linux(r)
                let got: [Int] = [l.defaultBytes, l.expandedBytes, l.contextBytes, l.guestCreateBytes, l.guestExpandedBytes]
                let want: [Int] = [def, exp, ctx, create, gexp]
                #expect(got == want, "\(id) \(r.kernel)")
            }
        }
        // This machine kind's Zen 4 VM under 6.18: the boot log says
        // "Enabled xstate features 0x18e7, context size is 2472 bytes".
        let vm = try model("zen4", xcr0: 0xE7).linux(rules(6, 18))
        #expect(vm.maxFeatures == 0x18E7 && vm.contextBytes == 2472)
        // SPR: PASID, CET_U, CET_S fit before the 64-aligned XTILECFG.
        #expect(try model("spr").linux(rules(6, 18)).maxFeatures == 0x61EE7)
    }

    @Test func kernelChoice() throws {
        let c = try LinuxKernelChoice.parse("running", runningRelease: { "6.18.44-fc-v657" })
        #expect(c.running && c.label == "6.18" && c.depends(hostCPU: false) == .kernel)
        let u = try LinuxKernelChoice.parse("5.17")
        #expect(!u.running && u.depends(hostCPU: true) == .cpu && u.depends(hostCPU: false) == .none)
        #expect(throws: BenchError.self) { try LinuxKernelChoice.parse("5.10") }
        #expect(throws: BenchError.self) { try LinuxKernelChoice.parse("latest") }
    }

    /// Rows name the kernel they assume and depend on what chose it.
    @Test func rowsNameTheirKernel() throws {
        var host = try #require(CPUCatalog.lookup("zen4")).description
        host.id = "host"
        let hm = try #require(XSaveSizeModel(cpu: host))
        let running = XSaveSizeRows.rows(hm, kernel: LinuxKernelChoice(LinuxKernelVersion(6, 18), running: true))
        let given = XSaveSizeRows.rows(hm, kernel: LinuxKernelChoice(LinuxKernelVersion(5, 17), running: false))
        let recorded = XSaveSizeRows.rows(try model("zen4"), kernel: LinuxKernelChoice(LinuxKernelVersion(5, 17), running: false))
        for (rows, kernel, linuxDepends, sizeDepends) in [(running, "6.18", HostDependency.cpuKernel, HostDependency.cpu),
                                                          (given, "5.17", .cpu, .cpu), (recorded, "5.17", .none, .none)] {
            let linux = rows.filter { $0.benchmark == "linux-buffer" }
            #expect(!linux.isEmpty && linux.allSatisfy { $0.params["kernel"] == kernel && $0.depends == linuxDepends })
            #expect(rows.filter { $0.benchmark != "linux-buffer" }.allSatisfy { $0.depends == sizeDepends })
            #expect(rows.allSatisfy { $0.source == .model })
        }
    }

    @Test func bootLinesParse() {
        let f = KernelBootFigures.parse([
            "6,123,256088,-;x86/fpu: Enabled xstate features 0x18e7, context size is 2472 bytes, using 'compacted' format.",
            "[    0.258073] signal: max sigframe size: 3376",
        ])
        #expect(f == KernelBootFigures(features: 0x18E7, contextBytes: 2472, maxSigframe: 3376))
        #expect(KernelBootFigures.parse(["nothing"]) == KernelBootFigures())
    }

    /// The host checks against the kernel's figures: passing with the right
    /// figures, failing with an injected wrong one, skipped when unreadable.
    @Test func kernelChecksPassAndFail() throws {
        var host = try #require(CPUCatalog.lookup("zen4")).description
        host.id = "host"
        let m = try #require(XSaveSizeModel(cpu: host))
        let running = LinuxKernelChoice(LinuxKernelVersion(6, 18), running: true)
        let good = KernelBootFigures(features: 0x18E7 | 0x200, contextBytes: 2480, maxSigframe: 3376)
        func checks(_ auxv: UInt, _ log: Result<KernelBootFigures, KernelLogError>) -> [String: ResultRow] {
            Dictionary(XSaveSizeRows.kernelChecks(m, atMinSigStkSz: auxv, bootLog: log, running: running)
                .map { ($0.metric, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let ok = checks(3376, .success(good))
        for metric in ["frame_vs_at_minsigstksz", "context_bytes_vs_boot_log", "max_features_vs_boot_log", "frame_vs_boot_log"] {
            #expect(ok[metric]?.status == .ok, "\(metric) \(ok[metric]?.note ?? "")")
            #expect(ok[metric]?.depends == .cpuKernel)
        }
        #expect(ok["at_minsigstksz"]?.source == .measured)
        let bad = checks(3376 + 16, .success(KernelBootFigures(features: 0x18E7, contextBytes: 2472, maxSigframe: 3392)))
        for metric in ["frame_vs_at_minsigstksz", "context_bytes_vs_boot_log", "max_features_vs_boot_log", "frame_vs_boot_log"] {
            #expect(bad[metric]?.status == .failed, "\(metric)")
        }
        let unreadable = checks(0, .failure(KernelLogError(description: "EPERM")))
        #expect(unreadable.values.allSatisfy { $0.status == .skipped })
        #expect(unreadable["context_bytes_vs_boot_log"]?.note.contains("EPERM") == true)
        let missing = checks(3376, .success(KernelBootFigures()))
        #expect(missing["context_bytes_vs_boot_log"]?.status == .skipped)
    }

    /// XSAVE and XSAVEOPT keep separate byte counts; XRSTOR's rate uses the
    /// image-writing save's count.
    @Test func probeBytesPerInstruction() {
        var p = ProbeBytes()
        p.record(.avx, .dirty, .xsave, bytes: 832)
        p.record(.avx, .dirty, .xsaveopt, bytes: 320)
        p.record(.avx, .dirty, .xsavec, bytes: 800)
        #expect(p.bytes(.avx, .dirty, .xsave) == 832)
        #expect(p.bytes(.avx, .dirty, .xsaveopt) == 320)
        #expect(p.bytes(.avx, .dirty, .xrstor) == 832)
        #expect(p.bytes(.avx, .dirty, .xrstorCompacted) == 800)
        #expect(p.bytes(.avx, .clean, .xsave) == nil)
        #expect(p.bytes(.avx, .dirty, .pairStandard) == nil)
    }
}

@Suite struct KernelDependencyTests {
    /// A recorded CPU under the running kernel's rules depends on the
    /// kernel's version only; the host's sizes under them on CPU and kernel.
    @Test func recordedRowsDependOnTheVersionOnly() {
        let running = LinuxKernelChoice(LinuxKernelVersion(6, 18), running: true)
        #expect(running.depends(hostCPU: false) == .kernel)
        #expect(running.depends(hostCPU: true) == .cpuKernel)
        #expect(EnvironmentRecord.kernelIdentity(release: "6.18.44-fc-v657") == "6.18")
        #expect(EnvironmentRecord.kernelIdentity(release: "6.18.44-fc-v782") == "6.18")
    }
}
