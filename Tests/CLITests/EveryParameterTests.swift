import Foundation
import Testing
import BenchCore
import FpstateAllocSuite
import HarnessSuite
import KvmSuite
import RdmsrExitSuite
import XSaveSuite

/// The suites as declared, in `benchmark all` order; `everySuiteIsHere`
/// checks the list against the executable's registry (`list --json`).
enum Declared {
    static let suites: [BenchmarkSuite] = [
        HarnessBenchmarks(), XSaveBenchmarks(), KvmBenchmarks(), RdmsrExitBenchmarks(), FpstateAllocBenchmarks(),
    ]

    /// A value of the wrong shape for `kind`, derived from the kind alone.
    static func malformed(_ kind: ParameterKind) -> String {
        switch kind {
        case .integer: return "12x"
        case .number: return "nan"
        case let .integerList(r, _): return "\(r.lowerBound),,\(r.lowerBound)"  // `split` used to drop the empty item
        case let .numberList(r): return "\(number(r.lowerBound)),,\(number(r.lowerBound))"
        case let .choice(c): return "\(c[0]),\(c[0])"
        case let .choiceList(c): return "\(c[0]),,\(c[0])"
        case let .assignments(keys, r, _, _, _): return "\(keys[0])=\(number(r.lowerBound)),,\(keys[0])=\(number(r.lowerBound))"
        case .kernelVersion: return "foo"
        case .cpuModels: return "spr,,zen3"
        case .path: return ""
        }
    }

    /// A well-formed value outside what `kind` allows, derived from the kind alone.
    static func outOfRange(_ kind: ParameterKind) -> String {
        switch kind {
        case let .integer(r, _): return String(r.upperBound + 1)
        case let .number(r): return number(r.upperBound + 1)
        case let .integerList(r, _): return "\(r.lowerBound),\(r.upperBound + 1)"
        case let .numberList(r): return "\(number(r.lowerBound)),\(number(r.upperBound + 1))"
        case let .choice(c): return "no-such-\(c[0])"
        case let .choiceList(c): return "\(c[0]),no-such-\(c[0])"
        case let .assignments(keys, r, _, _, _): return "\(keys[0])=\(number(r.upperBound + 1))"
        case let .kernelVersion(minimum):
            return minimum.minor > 0 ? "\(minimum.major).\(minimum.minor - 1)" : "\(minimum.major - 1).99"
        case .cpuModels: return "pentium"
        case .path: return "/nonexistent-xfd-bench/device"
        }
    }

    static func number(_ v: Double) -> String { v == v.rounded() ? String(Int(v)) : String(v) }

    /// One bad `--set`: a parameter of a suite and a value it must refuse.
    struct BadValue: Sendable, CustomTestStringConvertible {
        var suite: String, parameter: String, value: String, what: String
        var testDescription: String { "\(suite) \(parameter)=\(value) (\(what))" }
    }

    /// Every parameter of every suite, each with a malformed and an out-of-range value.
    static var badValues: [BadValue] {
        suites.flatMap { s in
            s.parameters.flatMap { p in
                [BadValue(suite: s.name, parameter: p.name, value: malformed(p.kind), what: "malformed"),
                 BadValue(suite: s.name, parameter: p.name, value: outOfRange(p.kind), what: "out of range")]
            }
        }
    }
}

@Suite struct EveryParameterTests {
    @Test func everySuiteIsHere() throws {
        let r = try CLI.run(["list", "--json"])
        #expect(r.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let listed = try #require(json["suites"] as? [[String: Any]])
        #expect(listed.compactMap { $0["name"] as? String } == Declared.suites.map(\.name))
        // `list` shows what each parameter takes, from the same declaration.
        for (suite, entry) in zip(Declared.suites, listed) {
            let params = try #require(entry["parameters"] as? [[String: Any]])
            #expect(params.compactMap { $0["takes"] as? String } == suite.parameters.map(\.kind.description))
        }
    }

    /// The values the CLI test feeds are refused by the declaration itself,
    /// and every default passes it (a path need not exist on this host).
    @Test func kindsRefuseTheDerivedValuesAndAcceptTheDefaults() throws {
        for s in Declared.suites {
            for p in s.parameters {
                #expect(throws: BenchError.self, "\(s.name) \(p.name)") { try p.kind.check(p.name, Declared.malformed(p.kind)) }
                #expect(throws: BenchError.self, "\(s.name) \(p.name)") { try p.kind.check(p.name, Declared.outOfRange(p.kind)) }
                if p.kind != .path { try p.kind.check(p.name, p.defaultValue) }
            }
        }
    }

    /// Alone or after a good suite, a bad value exits 1 with one line and
    /// leaves the output folder empty: no run folder, no `latest`, no
    /// temporary file.  `--dry-run` refuses it too.
    @Test(arguments: Declared.badValues)
    func badValueWritesNothing(_ bad: Declared.BadValue) throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let suites = bad.suite == "harness" ? ["harness"] : ["harness", bad.suite]
        let set = ["--set", "\(bad.parameter)=\(bad.value)", "--output", dir.path]
        for args in [["run"] + suites + ["--quick", "--quiet"] + set, ["all", "--dry-run"] + set] {
            let r = try CLI.run(args)
            #expect(r.status == ExitStatus.usage.rawValue, "\(args): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("benchmark: error: \(bad.parameter)="), "\(args): \(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "\(args)")
        }
    }

    /// The control: the same path accepts every default given explicitly,
    /// so the refusals above are about the values.  Left out: a device path
    /// (absent on hosts without KVM) and a NUMA node (a user-set node needs
    /// libnuma), which only the host can accept.
    @Test func explicitDefaultsPassDryRun() throws {
        var seen: Set<String> = ["node"]
        var args = ["all", "--dry-run"]
        for s in Declared.suites {
            for p in s.parameters where p.kind != .path && seen.insert(p.name).inserted {
                args += ["--set", "\(p.name)=\(p.defaultValue)"]
            }
        }
        let r = try CLI.run(args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("nothing was run or written"))
    }

    /// The kinds match names without regard to case, as the suites' parsers
    /// of `running` and of allocator names did before kinds existed.
    @Test func namesKeepTheirCaseInsensitivity() throws {
        let r = try CLI.run(["run", "xsave", "fpstate-alloc", "--dry-run", "--set", "kernel=Running",
                             "--set", "allocators=MALLOC,mmap"])
        #expect(r.status == 0, "\(r.stderr)")
    }

    /// Limits that depend on another parameter or on `--quick` are the
    /// suites' `configure`: each refused by the run and the dry run alike,
    /// and the same values accepted where the dependency allows them.
    @Test(arguments: [
        (["harness"], ["chain-base=1050"], false, ["chain-base=1100"]),
        (["fpstate-alloc"], ["cpuid-amx=10", "adoption=0,50"], false, ["cpuid-amx=50", "adoption=0,50"]),
        (["rdmsr-exit"], ["samples=1000"], true, ["samples=300"]),
        (["rdmsr-exit"], ["guest-quantum=\(ExitCostTable.cap)", "exit-round-trip=\(ExitCostTable.cap)"], false,
         ["guest-quantum=\(ExitCostTable.cap)", "exit-round-trip=0"]),
    ])
    func dependentLimits(_ suites: [String], _ bad: [String], _ quick: Bool, _ good: [String]) throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let common = ["--output", dir.path] + (quick ? ["--quick"] : [])
        func sets(_ s: [String]) -> [String] { s.flatMap { ["--set", $0] } }
        for args in [["run", "harness"] + suites + ["--quiet"], ["all", "--dry-run"]] {
            let r = try CLI.run(args + common + sets(bad))
            #expect(r.status == ExitStatus.usage.rawValue, "\(args) \(bad): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)
        }
        let ok = try CLI.run(["all", "--dry-run"] + common + sets(good))
        #expect(ok.status == 0, "\(good): \(ok.stderr)")
    }

    /// The bound configure checks holds for the plans the run builds: no
    /// exit of the most XFD-busy settings exceeds it or the stand-in count.
    @Test func worstExitBoundCoversEveryPlan() throws {
        let params = ["xfd-write-interval": "1", "amx-switch-period": "2", "amx-new-task-period": "1",
                      "guest-quantum": "7", "exit-round-trip": "1000", "rdmsr-cost": "100000,proxy-rdpid",
                      "exit-mix": ExitReason.allCases.map { "\($0.rawValue)=1" }.joined(separator: ","),
                      "cost-table": "nm=3000,msr-write=2000,io=5000", "kernel": "6.18"]
        let host = CPUDescription.host()
        let ctx = SuiteContext.validation(host: host, quick: false, seed: 1, parameters: params,
                                          declared: RdmsrExitConfig.parameters)
        let cfg = try RdmsrExitConfig(ctx)
        let reasons = cfg.mix.sequence(count: 4_000, seed: 1)
        var most = 0, mostAccesses = 0
        for policy in XFDPolicy.allCases {
            for guest in GuestKind.allCases {
                for cost in [MSRAccessCost.cycles(100_000), .proxy(.rdpid)] {
                    let c = ExitPlanConfig(policy: policy, guest: guest, msrCost: cost, costs: cfg.costs, rules: cfg.rules,
                                           guestQuantum: cfg.guestQuantum, writeInterval: cfg.writeInterval,
                                           amxSwitchPeriod: cfg.amxSwitchPeriod, newAMXTaskPeriod: cfg.newAMXTaskPeriod,
                                           fpuSwap: false)
                    for w in try ExitPlan(reasons: reasons, config: c).words {
                        most = max(most, Int(w & UInt32(ExitPlan.maxAddsPerExit)))
                        mostAccesses = max(mostAccesses, Int(w >> 24 & 7))
                    }
                }
            }
        }
        #expect(most <= cfg.worstExitCycles)
        #expect(most > cfg.worstExitCycles / 2, "the bound should not be loose: \(most) of \(cfg.worstExitCycles)")
        #expect(mostAccesses <= ExitPlan.maxAccessesPerExit)
    }

    /// Every list parser refuses an empty item rather than dropping it.
    @Test func listParsersRefuseEmptyItems() throws {
        #expect(throws: BenchError.self) { try RdmsrExitConfig.parseRDMSR("25,,50", userSet: true) }
        #expect(throws: BenchError.self) { try RdmsrExitConfig.parseRDMSR("25,", userSet: true) }
        #expect(throws: BenchError.self) { try ExitMix("hlt=1,,io=1") }
        #expect(throws: BenchError.self) { try FleetMix("legacy=1,,amx=1") }
        #expect(throws: BenchError.self) { try ExitCostTable.parseUserCycles("nm=1,,io=2") }
        #expect(throws: BenchError.self) { try AllocatorKind.parseList("malloc,,mmap") }
        #expect(throws: BenchError.self) { try CPUModelSelection("spr,") }
        let ctx = SuiteContext.validation(host: CPUDescription.host(), quick: false, seed: 1,
                                          parameters: ["exit-rates": "10,,20"], declared: RdmsrExitConfig.parameters)
        #expect(throws: BenchError.self) { try ctx.doubleListParameter("exit-rates") }
        // The well-formed lists still parse.
        #expect(try RdmsrExitConfig.parseRDMSR("25,50", userSet: true).count == 2)
        #expect(try AllocatorKind.parseList("malloc,mmap") == [.malloc, .mmap])
    }
}

/// Options that name nothing, or name one thing twice, are refused before
/// anything is written.
@Suite struct NamingNothingTests {
    func expectRefused(_ args: [String], containing text: String) throws {
        let dir = try CLI.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try CLI.run(args + ["--output", dir.path])
        #expect(r.status == ExitStatus.usage.rawValue, "\(args): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(args): \(r.stderr)")
        #expect(r.stderr.contains(text), "\(args): \(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty, "\(args)")
    }

    @Test func filterThatKeepsNoRowFailsTheRunAndKeepsNothing() throws {
        try expectRefused(["run", "harness", "--quick", "--quiet", "--filter", "nomatch"], containing: "--filter 'nomatch' matches no")
    }

    @Test func filterNamingOnlyUnselectedSuitesIsRefusedBeforeTheRun() throws {
        try expectRefused(["run", "harness", "--quick", "--quiet", "--filter", "xsave/amx"], containing: "names no benchmark of harness")
        try expectRefused(["run", "harness", "--dry-run", "--filter", "xsave/amx"], containing: "names no benchmark of harness")
    }

    @Test func cpuModelGivenTwoWaysIsRefused() throws {
        try expectRefused(["run", "xsave", "--quick", "--cpu-model", "spr", "--set", "cpu-model=zen3"], containing: "both given")
        try expectRefused(["all", "--dry-run", "--cpu-model", "spr", "--set", "cpu-model=zen3"], containing: "both given")
    }

    @Test func parameterGivenTwiceIsRefused() throws {
        try expectRefused(["run", "harness", "--quick", "--set", "chain-base=1000", "--set", "chain-base=2000"],
                          containing: "given twice")
    }

    @Test func closeNamesGetASuggestion() throws {
        try expectRefused(["all", "--dry-run", "--set", "sampels=5"], containing: "(did you mean 'samples'?)")
        try expectRefused(["run", "hamess", "--dry-run"], containing: "(did you mean 'harness'?)")
        try expectRefused(["all", "--dry-run", "--set", "allocators=malloc,mmapp"], containing: "(did you mean 'mmap'?)")
        try expectRefused(["all", "--dry-run", "--set", "exit-mix=extnt=5"], containing: "(did you mean 'extint'?)")
        #expect(DidYouMean.hint("sampels", among: ["exits", "samples"]) == " (did you mean 'samples'?)")
        #expect(DidYouMean.hint("kvmm", among: ["kvm", "xsave"]) == " (did you mean 'kvm'?)")
        #expect(DidYouMean.hint("nomatch", among: ["samples", "exits"]) == "")
        #expect(DidYouMean.hint("a", among: ["b"]) == "", "one letter is no basis for a guess")
    }

    @Test func emptyValueReachesTheKind() throws {
        try expectRefused(["run", "harness", "--quick", "--set", "chain-base="], containing: "chain-base=: expected an integer")
    }
}
