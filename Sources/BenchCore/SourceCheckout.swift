import Foundation

/// The git checkout an executable was built in, read without running git.
///
/// SwiftPM puts the executable at `<package>/.build/<triple>/<config>/benchmark`
/// (`.build/release` is a link to it), so the checkout is found by walking
/// up from the executable's real path (/proc/self/exe) to the first folder
/// holding `.git`: a folder, or a file `gitdir: PATH` for a worktree, whose
/// `commondir` names the shared repository.  HEAD is followed through a
/// loose ref or `packed-refs`.  Every read is one small local file (at most
/// `maxFileBytes`), so this cannot hang the way a `git` subprocess can
/// (slow git on PATH, address-space or file-descriptor limits).
///
/// Whether the working tree differs from HEAD is not recorded: telling that
/// needs the index and a walk over the tree, i.e. git itself.
public struct SourceCheckout: Sendable {
    /// The `.git` folder of this checkout (a worktree's own folder for worktrees).
    public var gitDir: URL
    /// Where shared refs live: `gitDir` itself, or a worktree's `commondir`.
    public var commonDir: URL

    static let maxFileBytes = 4 << 20
    static let maxDepth = 64

    /// The checkout holding the running executable, if any.
    public static func ofExecutable() -> SourceCheckout? {
        guard let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") else { return nil }
        return containing(URL(fileURLWithPath: exe).deletingLastPathComponent())
    }

    /// The checkout that contains `folder`, walking up at most `maxDepth` levels.
    public static func containing(_ folder: URL) -> SourceCheckout? {
        var dir = folder.standardizedFileURL
        for _ in 0..<maxDepth {
            let dotGit = dir.appendingPathComponent(".git")
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDir) {
                return isDir.boolValue ? SourceCheckout(gitDir: dotGit, commonDir: dotGit) : worktree(dotGit)
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { return nil }
            dir = parent
        }
        return nil
    }

    /// A `.git` file: `gitdir: PATH`, PATH relative to the file's folder if not absolute.
    static func worktree(_ file: URL) -> SourceCheckout? {
        guard let text = read(file), text.hasPrefix("gitdir:") else { return nil }
        let path = text.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespaces)
        let gitDir = path.hasPrefix("/") ? URL(fileURLWithPath: path)
            : file.deletingLastPathComponent().appendingPathComponent(path)
        var common = gitDir
        if let c = read(gitDir.appendingPathComponent("commondir")) {
            common = c.hasPrefix("/") ? URL(fileURLWithPath: c) : gitDir.appendingPathComponent(c)
        }
        return SourceCheckout(gitDir: gitDir, commonDir: common.standardizedFileURL)
    }

    /// HEAD as 40 (or 64) hex digits; nil when it cannot be resolved.
    public func headCommit() -> String? {
        guard var text = Self.read(gitDir.appendingPathComponent("HEAD")) else { return nil }
        // A symbolic ref may name another symbolic ref; git stops at 5 levels.
        for _ in 0..<5 {
            if Self.isObjectName(text) { return text }
            guard text.hasPrefix("ref:") else { return nil }
            let ref = text.dropFirst(4).trimmingCharacters(in: .whitespaces)
            guard !ref.contains(".."), ref.hasPrefix("refs/") || ref == "HEAD" else { return nil }
            if let loose = Self.read(gitDir.appendingPathComponent(ref)) ?? Self.read(commonDir.appendingPathComponent(ref)) {
                text = loose
            } else {
                return packedRef(ref)
            }
        }
        return nil
    }

    /// `packed-refs` lines are `<object> <refname>`; `^<object>` peels the tag above.
    func packedRef(_ ref: String) -> String? {
        guard let text = Self.read(commonDir.appendingPathComponent("packed-refs")) else { return nil }
        for line in text.split(separator: "\n") where !line.hasPrefix("#") && !line.hasPrefix("^") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1] == ref, Self.isObjectName(String(parts[0])) { return String(parts[0]) }
        }
        return nil
    }

    static func isObjectName(_ s: String) -> Bool {
        (s.utf8.count == 40 || s.utf8.count == 64) && s.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) }
    }

    /// A small regular file's text, trimmed; nil if missing, not regular or too big.
    static func read(_ url: URL) -> String? {
        var st = stat()
        guard stat(url.path, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_size <= maxFileBytes,
              let data = FileManager.default.contents(atPath: url.path) else { return nil }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
