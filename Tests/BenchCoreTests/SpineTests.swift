import Foundation
import Testing
@testable import BenchCore

@Suite struct SourceCheckoutTests {
    let commit = "0123456789abcdef0123456789abcdef01234567"

    func tree() throws -> URL {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("xfdbench-git-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: d.appendingPathComponent("main/.git/refs/heads"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: d.appendingPathComponent("main/.git/worktrees/wt"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: d.appendingPathComponent("wt/.build/release"), withIntermediateDirectories: true)
        return d
    }

    func write(_ text: String, _ url: URL) throws { try text.write(to: url, atomically: true, encoding: .utf8) }

    @Test func looseRefPackedRefAndWorktree() throws {
        let d = try tree()
        defer { try? FileManager.default.removeItem(at: d) }
        let git = d.appendingPathComponent("main/.git")
        try write("ref: refs/heads/main\n", git.appendingPathComponent("HEAD"))
        try write(commit + "\n", git.appendingPathComponent("refs/heads/main"))
        #expect(SourceCheckout.containing(d.appendingPathComponent("main"))?.headCommit() == commit)
        // A worktree: .git is a file, refs live in the common folder, packed.
        try write("gitdir: \(git.path)/worktrees/wt\n", d.appendingPathComponent("wt/.git"))
        try write("ref: refs/heads/side\n", git.appendingPathComponent("worktrees/wt/HEAD"))
        try write("../..\n", git.appendingPathComponent("worktrees/wt/commondir"))
        let other = String(commit.reversed())
        try write("# pack-refs with: peeled\n\(other) refs/heads/side\n^\(commit)\n", git.appendingPathComponent("packed-refs"))
        #expect(SourceCheckout.containing(d.appendingPathComponent("wt/.build/release"))?.headCommit() == other)
        // Detached HEAD.
        try write(commit, git.appendingPathComponent("worktrees/wt/HEAD"))
        #expect(SourceCheckout.containing(d.appendingPathComponent("wt"))?.headCommit() == commit)
        // Garbage is nil, not a crash.
        try write("ref: ../../etc/passwd", git.appendingPathComponent("HEAD"))
        #expect(SourceCheckout.containing(d.appendingPathComponent("main"))?.headCommit() == nil)
    }
}

@Suite struct CPUModelSelectionTests {
    @Test func oneGrammar() throws {
        #expect(try CPUModelSelection("all").names == CPUCatalog.ids)
        #expect(try CPUModelSelection("none").names.isEmpty)
        #expect(try CPUModelSelection(" SPR , zen3,spr").names == ["spr", "zen3"])
        #expect(try CPUModelSelection("host,zen4").recorded.map(\.id) == ["zen4"])
        for bad in ["", "spr,", "pentium", "all,spr"] {
            #expect(throws: BenchError.self) { try CPUModelSelection(bad) }
        }
        let host = CPUDescription.host()
        #expect(try CPUModelSelection("zen3,spr").first(host: host).brand == CPUCatalog.lookup("zen3")!.description.brand)
        #expect(try CPUModelSelection("none").first(host: host).brand == host.brand)
    }
}

@Suite struct RunFolderTests {
    @Test func runIdRules() throws {
        try RunFolder.validate(runId: "2026-a_b.c")
        for bad in ["", "a/b", ".x", "latest", String(repeating: "x", count: 129), "a\u{7}b"] {
            #expect(throws: BenchError.self) { try RunFolder.validate(runId: bad) }
        }
    }

    @Test func claimIsExclusive() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("xfdbench-rf-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let a = try RunFolder.claim(root: root, runId: "x", replace: false)
        #expect(throws: BenchError.badInput("--run-id x: another run is writing \(a.final.path)")) {
            try RunFolder.claim(root: root, runId: "x", replace: true)
        }
        try "{}".write(to: a.work.appendingPathComponent("environment.json"), atomically: true, encoding: .utf8)
        try a.commit()
        #expect(throws: BenchError.self) { try RunFolder.claim(root: root, runId: "x", replace: false) }
        let b = try RunFolder.claim(root: root, runId: "x", replace: true)
        #expect(b.replacing && b.work != b.final)
        try "new".write(to: b.work.appendingPathComponent("harness.csv"), atomically: true, encoding: .utf8)
        try b.commit()
        #expect(try FileManager.default.contentsOfDirectory(atPath: b.final.path) == ["harness.csv"])
        #expect(try FileManager.default.contentsOfDirectory(atPath: root.path) == ["x"])
    }

    @Test func writerSurvivesClosedDescriptors() {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        close(fds[0])
        StandardStreams.ignoreFatalSignals()
        #expect(StandardStreams.writeAll(Array("x".utf8), to: fds[1]) == EPIPE)
        close(fds[1])
        #expect(StandardStreams.writeAll(Array("x".utf8), to: fds[1]) == EBADF)
    }
}
