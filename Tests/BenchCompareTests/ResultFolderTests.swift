import BenchCompare
@testable import BenchCore
import Foundation
import Testing

/// Damaged, missing and incompatible folders end in `BenchError.baseline` (exit 4).
@Suite struct ResultFolderTests {
    func expectStatus(_ status: BenchCore.ExitStatus, containing text: String? = nil, _ body: () throws -> Void) {
        do {
            try body()
            Issue.record("expected a BenchError with status \(status)")
        } catch let e as BenchError {
            #expect(e.status == status, "\(e)")
            if let text { #expect(e.description.contains(text), "\(e)") }
            #expect(!e.description.contains("\n"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    func pair(_ damage: (URL) throws -> Void) throws -> (URL, URL, URL) {
        let root = Fixture.tempDir()
        let b = try Fixture.folder(root, "base", Fixture.timing("t", Fixture.steady) + Fixture.exact("x", 64))
        let c = try Fixture.folder(root, "cur", Fixture.timing("t", Fixture.steady) + Fixture.exact("x", 64))
        try damage(b)
        return (root, b, c)
    }

    func run(_ b: URL, _ c: URL, _ o: CompareOptions = CompareOptions()) throws {
        _ = try Comparison.run(baseline: b, current: c, options: o)
    }

    @Test func readsWhatTheReporterWrote() throws {
        let (root, b, _) = try pair { _ in }
        defer { try? FileManager.default.removeItem(at: root) }
        let f = try ResultFolder.read(b, label: "baseline")
        #expect(f.suites == ["s"])
        #expect(f.rows.count == 10)
        #expect(f.info.runId == "base")
        #expect(f.rows.first?.key == "s|t||op")
    }

    @Test func truncatedCSVIsABaselineError() throws {
        let (root, b, c) = try pair { dir in
            let file = dir.appendingPathComponent("s.csv")
            let data = try Data(contentsOf: file)
            try data.prefix(data.count - 7).write(to: file)
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "truncated") { try run(b, c) }
    }

    @Test func truncatedAtALineBreakStillFailsOnFieldCount() throws {
        let (root, b, c) = try pair { dir in
            let file = dir.appendingPathComponent("s.csv")
            var text = try String(contentsOf: file, encoding: .utf8)
            text = String(text.prefix(text.count / 2)) + "\r\n"
            try text.write(to: file, atomically: true, encoding: .utf8)
            try Fixture.rerecord(dir)
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "fields") { try run(b, c) }
    }

    /// Cut anywhere (at a record boundary as `head -n` does, inside the
    /// quoted note column with a line break appended): the recorded size
    /// and digest catch it.
    @Test func truncationAnywhereIsCaughtByTheRecord() throws {
        let text = try String(contentsOf: try pair { _ in }.1.appendingPathComponent("s.csv"), encoding: .utf8)
        let lines: [String] = text.components(separatedBy: "\r\n")
        let wholeRecords: String = lines.prefix(4).joined(separator: "\r\n") + "\r\n"
        let insideNote: String = String(text.prefix(text.count - 20)) + "\n"
        let lastRecord: String = lines[lines.count - 2]
        let duplicated: String = text + lastRecord + "\r\n"
        let cuts: [String] = [wholeRecords, insideNote, duplicated]
        for cut in cuts {
            let (root, b, c) = try pair { dir in
                try Data(cut.utf8).write(to: dir.appendingPathComponent("s.csv"))
            }
            defer { try? FileManager.default.removeItem(at: root) }
            expectStatus(.baseline, containing: "truncated or modified") { try run(b, c) }
            // The same file as the current side is refused the same way.
            expectStatus(.baseline, containing: "truncated or modified") { try run(c, b) }
        }
    }

    @Test func rowCountMustMatchTheRecord() throws {
        let (root, b, c) = try pair { dir in
            var env = try EnvironmentRecord.read(from: dir)
            env.suites["s"]!.rows += 1
            try env.write(to: dir)
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "rows, environment.json records") { try run(b, c) }
    }

    @Test func emptyValueInAnOkRowIsCorrupt() throws {
        let (root, b, c) = try pair { dir in
            let file = dir.appendingPathComponent("s.csv")
            var lines = try String(contentsOf: file, encoding: .utf8).components(separatedBy: "\r\n")
            var fields = lines[lines.count - 2].components(separatedBy: ",")
            let valueColumn = ReportSchema.columns.firstIndex(of: "value")!
            fields[valueColumn] = ""
            lines[lines.count - 2] = fields.joined(separator: ",")
            try lines.joined(separator: "\r\n").write(to: file, atomically: true, encoding: .utf8)
            try Fixture.rerecord(dir)
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "status ok but no value") { try run(b, c) }
    }

    @Test func aReportEnvironmentDoesNotRecordIsRefused() throws {
        let (root, b, c) = try pair { dir in
            try Data(contentsOf: dir.appendingPathComponent("s.csv")).write(to: dir.appendingPathComponent("t.csv"))
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "not recorded in environment.json") { try run(b, c) }
    }

    @Test func aRecordedReportThatIsMissingIsRefused() throws {
        let (root, b, c) = try pair { dir in
            try FileManager.default.removeItem(at: dir.appendingPathComponent("s.csv"))
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "records suite s as finished") { try run(b, c) }
    }

    @Test func garbageIsABaselineError() throws {
        for garbage in ["", "\r\n", "hello\r\n", "\u{0}\u{1}\u{2}", "schema_version,suite\r\n1,s\r\n"] {
            let (root, b, c) = try pair { dir in
                try Data(garbage.utf8).write(to: dir.appendingPathComponent("s.csv"))
            }
            defer { try? FileManager.default.removeItem(at: root) }
            expectStatus(.baseline) { try run(b, c) }
        }
    }

    @Test func unknownSchemaVersionIsABaselineError() throws {
        let (root, b, c) = try pair { dir in
            let file = dir.appendingPathComponent("s.csv")
            let text = try String(contentsOf: file, encoding: .utf8)
            try text.replacingOccurrences(of: "\r\n\(ReportSchema.version),", with: "\r\n9,")
                .write(to: file, atomically: true, encoding: .utf8)
            try Fixture.rerecord(dir)
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "unknown schema version 9") { try run(b, c) }
    }

    @Test func unknownEnvironmentSchemaIsABaselineError() throws {
        for version in ["9", "\(ReportSchema.version).5", "1"] {
            let (root, b, c) = try pair { dir in
                let file = dir.appendingPathComponent("environment.json")
                let text = try String(contentsOf: file, encoding: .utf8)
                try text.replacingOccurrences(of: "\"schema_version\" : \(ReportSchema.version)",
                                              with: "\"schema_version\" : \(version)")
                    .write(to: file, atomically: true, encoding: .utf8)
            }
            defer { try? FileManager.default.removeItem(at: root) }
            expectStatus(.baseline, containing: "unknown schema version \(version)") { try run(b, c) }
        }
    }

    @Test func missingEnvironmentIsABaselineError() throws {
        let (root, b, c) = try pair { dir in
            try FileManager.default.removeItem(at: dir.appendingPathComponent("environment.json"))
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "environment.json") { try run(b, c) }
    }

    @Test func corruptEnvironmentIsABaselineError() throws {
        let (root, b, c) = try pair { dir in
            try Data("{\"run_id\": ".utf8).write(to: dir.appendingPathComponent("environment.json"))
        }
        defer { try? FileManager.default.removeItem(at: root) }
        expectStatus(.baseline, containing: "JSON") { try run(b, c) }
    }

    @Test func emptyAndMissingFolders() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let c = try Fixture.folder(root, "cur", Fixture.exact("x", 64))
        let empty = root.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        expectStatus(.baseline, containing: "empty") { try run(empty, c) }
        expectStatus(.baseline, containing: "does not exist") { try run(root.appendingPathComponent("nope"), c) }
        // A current folder that does not exist is bad usage, not a baseline problem.
        expectStatus(.usage, containing: "does not exist") { try run(c, root.appendingPathComponent("nope")) }
        // A folder with only environment.json has no reports.
        let envOnly = root.appendingPathComponent("env-only")
        try FileManager.default.createDirectory(at: envOnly, withIntermediateDirectories: true)
        try Fixture.environment(runId: "env-only").write(to: envOnly)
        expectStatus(.baseline, containing: "records no suite") { try run(envOnly, c) }
    }

    /// A samples file next to the reports is neither a report nor refused
    /// as one another run left: the folder reads as if it were absent.
    @Test func samplesFilesAreIgnored() throws {
        let (root, b, c) = try pair { dir in
            try Data("garbage".utf8).write(to: dir.appendingPathComponent("s.samples.csv"))
        }
        defer { try? FileManager.default.removeItem(at: root) }
        let withSamples = try ResultFolder.read(b, label: "baseline")
        let without = try ResultFolder.read(c, label: "current")
        #expect(withSamples.suites == ["s"])
        #expect(withSamples.rows.map(\.key) == without.rows.map(\.key))
        #expect(withSamples.rows.map(\.value) == without.rows.map(\.value))
        let r = try Comparison.run(baseline: b, current: c, options: CompareOptions())
        #expect(r.exitStatus == .ok)
        #expect(r.rows.count == 2)
    }

    /// An edit that keeps the file's length (one digit of a value changed)
    /// passes the byte count: only the recorded digest can refuse it.
    @Test func aSameLengthEditIsRefusedByTheDigest() throws {
        for label in ["baseline", "current"] {
            let root = Fixture.tempDir()
            defer { try? FileManager.default.removeItem(at: root) }
            let b = try Fixture.folder(root, "base", Fixture.exact("x", 64))
            let c = try Fixture.folder(root, "cur", Fixture.exact("x", 64))
            let file = (label == "baseline" ? b : c).appendingPathComponent("s.csv")
            let before = try Data(contentsOf: file)
            let text = String(decoding: before, as: UTF8.self)
            let edited = text.replacingOccurrences(of: ",ok,64,", with: ",ok,65,")
            #expect(edited != text)
            let after = Data(edited.utf8)
            #expect(after.count == before.count)
            try after.write(to: file)
            expectStatus(.baseline, containing: "\(label) \(file.path) does not match environment.json") {
                try run(b, c)
            }
        }
        // The digest itself: equal-length inputs that differ in one byte differ.
        #expect(ReportSchema.digest(Array("64".utf8)) != ReportSchema.digest(Array("65".utf8)))
        #expect(ReportSchema.digest(Array("ab".utf8)) != ReportSchema.digest(Array("ba".utf8)))
    }

    /// The digest is FNV-1a 64 as published (not merely self-consistent):
    /// the committed reference folders, written by earlier builds, still
    /// verify, and the algorithm's test vectors come out.
    @Test func theDigestIsFNV1a64() throws {
        #expect(ReportSchema.digest([UInt8]()) == "cbf29ce484222325")
        #expect(ReportSchema.digest(Array("a".utf8)) == "af63dc4c8601ec8c")
        #expect(ReportSchema.digest(Array("foobar".utf8)) == "85944171f73967e8")
        let results = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Results").standardizedFileURL
        for name in ["reference", "reference-quick"] {
            let folder = try ResultFolder.read(results.appendingPathComponent(name), label: "baseline")
            #expect(folder.rows.count == folder.info.suiteFiles.values.map(\.rows).reduce(0, +), "\(name)")
        }
    }

    /// `cpu+kernel` rows are functions of both identities: either one
    /// changing stops the gate, for every dependency the schema declares.
    @Test func eachDependencyComparesExactlyTheIdentitiesItNames() throws {
        let base = RunInfo(runId: "b", hostFingerprint: "h1", cpuIdentity: "cpuA", kernelIdentity: "6.18",
                           suitesSelected: [], suiteFiles: [:], complete: true)
        func changed(_ edit: (inout RunInfo) -> Void) -> RunInfo { var i = base; edit(&i); return i }
        let otherCPU = changed { $0.cpuIdentity = "cpuB" }
        let otherKernel = changed { $0.kernelIdentity = "6.12" }
        let otherMachine = changed { $0.hostFingerprint = "h2" }
        for dependency in HostDependency.allCases {
            let expected: (cpu: Bool, kernel: Bool, machine: Bool)
            switch dependency {
            case .none: expected = (false, false, false)
            case .cpu: expected = (true, false, false)
            case .kernel: expected = (false, true, false)
            case .cpuKernel: expected = (true, true, false)
            case .machine: expected = (false, false, true)
            }
            #expect(base.differs(from: base, on: dependency) == nil, "\(dependency)")
            #expect((base.differs(from: otherCPU, on: dependency) != nil) == expected.cpu, "\(dependency)")
            #expect((base.differs(from: otherKernel, on: dependency) != nil) == expected.kernel, "\(dependency)")
            #expect((base.differs(from: otherMachine, on: dependency) != nil) == expected.machine, "\(dependency)")
        }
        #expect(base.differs(from: otherKernel, on: .cpuKernel)?.contains("kernel version differs: baseline '6.18', current '6.12'") == true)
    }

    /// Through `compare`: a changed `cpu+kernel` row on the same CPU is
    /// reported, not gated, when the kernel changed, and regresses when it
    /// did not.
    @Test func cpuKernelRowsAreNotGatedAcrossAKernelChange() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let old = Fixture.HostKind(fingerprint: Fixture.host, cpuIdentity: Fixture.intelHost.cpuIdentity, kernel: "6.12")
        let new = Fixture.HostKind(fingerprint: Fixture.host, cpuIdentity: Fixture.intelHost.cpuIdentity, kernel: "6.18")
        let b = try Fixture.folder(root, "base", Fixture.exact("frame", 3760, depends: .cpuKernel), on: old)
        let c = try Fixture.folder(root, "cur", Fixture.exact("frame", 11952, depends: .cpuKernel), on: new)
        let same = try Fixture.folder(root, "same", Fixture.exact("frame", 11952, depends: .cpuKernel), on: old)
        let across = try Comparison.run(baseline: b, current: c, options: CompareOptions())
        #expect(across.exitStatus == .ok)
        #expect(across.rows.count == 1)
        #expect(across.rows.allSatisfy { $0.verdict == .hostDiffers && !$0.gated })
        #expect(across.warnings.contains { $0.contains("kernel version differs") })
        let within = try Comparison.run(baseline: b, current: same, options: CompareOptions())
        #expect(within.exitStatus == .regression)
        #expect(within.rows.map(\.verdict) == [.regressed])
    }

    @Test func hostMismatchIsReportedOrRefusedOnRequest() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let b = try Fixture.folder(root, "base", Fixture.exact("x", 64))
        let c = try Fixture.folder(root, "cur", Fixture.exact("x", 64), fingerprint: "AuthenticAMD|25-1-1|Other|0x1|KVM|2cpu")
        let r = try Comparison.run(baseline: b, current: c, options: CompareOptions())
        #expect(r.exitStatus == .ok)
        #expect(r.warnings.contains { $0.contains("host fingerprints differ") })
        var o = CompareOptions()
        o.requireSameHost = true
        expectStatus(.baseline, containing: "--require-same-host") { try run(b, c, o) }
    }

    @Test func toolchainMismatchIsAWarning() throws {
        let root = Fixture.tempDir()
        defer { try? FileManager.default.removeItem(at: root) }
        let b = try Fixture.folder(root, "base", Fixture.exact("x", 64), swift: "6.2")
        let c = try Fixture.folder(root, "cur", Fixture.exact("x", 64))
        let r = try Comparison.run(baseline: b, current: c, options: CompareOptions())
        #expect(r.exitStatus == .ok)
        #expect(r.warnings.contains { $0.contains("toolchains differ") })
    }

    @Test func badOptionsAreUsageErrors() throws {
        let (root, b, c) = try pair { _ in }
        defer { try? FileManager.default.removeItem(at: root) }
        var o = CompareOptions()
        o.alpha = 1.5
        expectStatus(.usage) { try run(b, c, o) }
        o = CompareOptions()
        o.thresholdPercent = -1
        expectStatus(.usage) { try run(b, c, o) }
    }
}
