import BenchCore
import Foundation
import Testing
@testable import XSaveSuite

/// The versioned rules of the XSAVE buffer model: every boundary of every
/// rule on both sides, each expected release written out with its source.
struct KernelRuleTests {
    func v(_ text: String) throws -> LinuxKernelVersion { try #require(LinuxKernelVersion(release: text)) }
    func model(_ id: String, xcr0: UInt64? = nil) throws -> XSaveSizeModel {
        var cpu = try #require(CPUCatalog.lookup(id))
        if let xcr0 { cpu.xcr0 = xcr0 }
        return try #require(XSaveSizeModel(cpu: cpu.description))
    }
    func rules(_ text: String) throws -> LinuxXStateRules { LinuxXStateRules(kernel: try v(text)) }

    /// The release type keeps major.minor.patch and the suffix, orders by
    /// the numbers, and treats `6.12` as `6.12.0`.
    @Test func versionsKeepTheStableNumberAndSuffix() throws {
        let d = try v("6.8.0-51-generic")
        #expect(d.major == 6 && d.minor == 8 && d.patch == 0 && d.suffix == "-51-generic" && d.release == "6.8.0-51-generic")
        #expect(try v("6.12.30") > v("6.12.23") && v("6.12.23") > v("6.12") && v("6.12") == v("6.12.0"))
        #expect(try v("6.13") > v("6.12.300"))
        #expect(try v("6.12.30").description == "6.12")  // the release line, what kernel_identity records
        #expect(LinuxKernelVersion(release: "6") == nil && LinuxKernelVersion(release: "6.x") == nil)
        #expect(LinuxKernelVersion(release: "6.12.x") == nil)
    }

    /// Each rule's first releases, written out independently of the rule
    /// table (a changed boundary fails here), with the source of each.
    @Test func everyRuleStartsWhereItsSourceSays() throws {
        let expected: [(LinuxKernelRule, String, [String])] = [
            (LinuxFPURules.dynamicFeatures, "5.16", []),          // AMX series, 5.16
            (LinuxFPURules.pasid, "5.18", []),                    // ENQCMD re-enabled, 5.18 (5.16/5.17 unverified, modelled without)
            (LinuxFPURules.cetUser, "6.6", []),                   // user shadow stack, 6.6
            (LinuxFPURules.cetSupervisor, "6.17", []),            // 8b05b3c98816, x86/fpu updates for v6.17
            (LinuxFPURules.guestBufferKernelSize, "6.15",         // 1937e18cc3cf, 6.15 window
             ["6.1.133", "6.6.87", "6.12.23", "6.13.11", "6.14.2"]),  // stable (6.1.133 tag-confirmed; others review series 2025-04-08)
            (LinuxFPURules.guestDefaultCfg, "6.17", []),          // 509e880b7795
        ]
        #expect(expected.count == LinuxFPURules.all.count)
        for (rule, mainline, stable) in expected {
            #expect(rule.mainline.release == mainline, "\(rule.name)")
            #expect(rule.stable.map(\.release) == stable, "\(rule.name)")
            #expect(!rule.citation.isEmpty)
        }
        #expect(LinuxFPURules.pasid.citation.contains("unverified"))
        #expect(LinuxFPURules.guestBufferKernelSize.citation.contains("not confirmed against the release tags"))
    }

    /// Every declared rule holds at each of its boundaries and not just
    /// before, and holds on later lines.
    @Test func everyBoundaryOfEveryRuleOnBothSides() throws {
        for rule in LinuxFPURules.all {
            for (without, with) in rule.boundaryPairs {
                #expect(!rule.holds(in: without), "\(rule.name): \(without.release)")
                #expect(rule.holds(in: with), "\(rule.name): \(with.release)")
            }
            #expect(rule.holds(in: LinuxKernelVersion(rule.mainline.major, rule.mainline.minor + 1)))
        }
        // A stable line that never got the backport stays without it.
        let fix = LinuxFPURules.guestBufferKernelSize
        for without in ["6.11.11", "6.5.13", "5.17.15", "6.1.132", "6.12.22"] { #expect(!fix.holds(in: try v(without)), "\(without)") }
        for with in ["6.1.133", "6.12.30", "6.14.2"] { #expect(fix.holds(in: try v(with)), "\(with)") }
    }

    /// CET_S from 6.17 (8b05b3c98816): the Zen 4 VM of this machine kind
    /// (XCR0 0xe7) has a 2472-byte context on 6.17, 2448 on 6.16.
    @Test func cetSupervisorFrom617() throws {
        let vm = try model("zen4", xcr0: 0xE7)
        #expect(vm.linux(try rules("6.17")).contextBytes == 2472)
        #expect(vm.linux(try rules("6.17")).maxFeatures == 0x18E7)
        #expect(vm.linux(try rules("6.16.12")).contextBytes == 2448)
        #expect(vm.linux(try rules("6.16.12")).maxFeatures == 0x8E7)
    }

    /// The guest buffer fix (1937e18cc3cf) and its stable backports: on SPR
    /// the register area at vCPU creation is the kernel default (2560 B)
    /// from 6.12.23, the standard user size (2816 B) on 6.12.22.
    @Test func guestBufferFollowsTheStableBackport() throws {
        let spr = try model("spr")
        for (release, bytes) in [("6.12.22", 2816), ("6.12.23", 2560), ("6.12.30", 2560), ("6.1.132", 2816), ("6.1.133", 2560),
                                 ("6.6.86", 2816), ("6.6.87", 2560), ("6.13.10", 2816), ("6.13.11", 2560),
                                 ("6.14.1", 2816), ("6.14.2", 2560), ("6.11.11", 2816), ("6.15", 2560)] {
            let l = spr.linux(try rules(release))
            #expect(l.guestCreateBytes == bytes, "\(release)")
        }
        // 6.15-6.16 (fpu_kernel_cfg.default_size) and 6.17 (guest_default_cfg) give
        // the same number where no guest-only component exists: zen3 without CET_S.
        let zen3 = try model("zen3")
        #expect(zen3.linux(try rules("6.16")).guestCreateBytes == zen3.linux(try rules("6.16")).defaultBytes)
        #expect(zen3.linux(try rules("6.17")).guestCreateBytes == zen3.linux(try rules("6.17")).defaultBytes + 24)
    }

    /// PASID from 5.18: an SPR task buffer lists PASID (0x400) on 5.18, not on 5.17.
    @Test func pasidFrom518() throws {
        #expect(try rules("5.17.15").taskSupervisorMask == 0)
        #expect(try rules("5.18").taskSupervisorMask == 0x400)
        let spr = try model("spr")
        let r517 = try rules("5.17"), r518 = try rules("5.18")
        #expect(spr.linux(r517).supervisorMask == 0 && spr.linux(r518).supervisorMask == 0x400)
        #expect(try rules("6.5.13").taskSupervisorMask == 0x400)
        #expect(try rules("6.6").taskSupervisorMask == 0xC00)
    }

    /// Rows name the kernel as precisely as the rules tell releases apart:
    /// a line with a stable boundary keeps its patch, others do not.
    @Test func rowLabelsKeepThePatchOnlyWhereItMatters() throws {
        #expect(LinuxKernelChoice(try v("6.12.30"), running: false).label == "6.12.30")
        #expect(LinuxKernelChoice(try v("6.18.44-fc-v657"), running: true).label == "6.18")
        #expect(LinuxKernelChoice(try v("6.17"), running: false).label == "6.17")
        let rows = XSaveSizeRows.rows(try model("spr"), kernel: LinuxKernelChoice(try v("6.12.30"), running: false))
        let create = try #require(rows.first { $0.metric == "guest_create_bytes" })
        #expect(create.value == 2560 && create.params["kernel"] == "6.12.30")
    }
}
