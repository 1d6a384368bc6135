import BenchCore
import Foundation

/// Where the results store lives: an SQLite file (the default,
/// `Results/history.sqlite`) or a PostgreSQL URL.
///
/// The URL's password (in the user part or as `password=` in its query) is
/// secret: `redacted` is the only form that may be printed or written, and
/// `redact(_:)` scrubs it from any text (libpq's messages included).
public struct StoreLocation: Sendable, Equatable {
    public var backend: StoreBackend
    /// A file path (SQLite) or the URL as given (PostgreSQL).
    public var text: String

    /// The environment variable that selects a store when `--store` is not given.
    public static let environmentVariable = "XFD_BENCH_STORE"
    public static let defaultFileName = "history.sqlite"

    /// `postgresql://` or `postgres://` URLs select PostgreSQL; `sqlite:PATH`
    /// or a plain path selects SQLite.
    public init(_ text: String) throws {
        let lower = text.lowercased()
        if lower.hasPrefix("postgresql://") || lower.hasPrefix("postgres://") {
            backend = .postgresql; self.text = text
        } else if lower.hasPrefix("sqlite:") {
            backend = .sqlite; self.text = String(text.dropFirst("sqlite:".count))
        } else if text.contains("://") {
            throw BenchError.badInput("--store: unknown scheme in '\(Self.redact(text, secrets: Self.secrets(in: text)))' (postgresql://... or an SQLite file path)")
        } else {
            backend = .sqlite; self.text = text
        }
        guard !self.text.isEmpty else { throw BenchError.badInput("--store: empty path") }
    }

    /// `--store` if given, else $XFD_BENCH_STORE, else `<results>/history.sqlite`.
    public static func resolve(option: String?, results: String,
                               environment: [String: String] = ProcessInfo.processInfo.environment) throws -> StoreLocation {
        if let option { return try StoreLocation(option) }
        if let env = environment[environmentVariable], !env.isEmpty { return try StoreLocation(env) }
        return try StoreLocation(URL(fileURLWithPath: results).appendingPathComponent(defaultFileName).path)
    }

    /// The password, raw and percent-decoded, wherever the URL holds one.
    static func secrets(in text: String) -> [String] {
        guard let scheme = text.range(of: "://") else { return [] }
        let rest = text[scheme.upperBound...]
        var found: [String] = []
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        if let at = authority.lastIndex(of: "@") {
            let user = authority[..<at]
            if let colon = user.firstIndex(of: ":") { found.append(String(user[user.index(after: colon)...])) }
        }
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") where pair.lowercased().hasPrefix("password=") {
                found.append(String(pair.dropFirst("password=".count)))
            }
        }
        found = found.filter { !$0.isEmpty }
        return found + found.compactMap { $0.removingPercentEncoding }.filter { !found.contains($0) }
    }

    static func redact(_ text: String, secrets: [String]) -> String {
        // Longest first, so a secret holding another is scrubbed whole.
        secrets.sorted { $0.count > $1.count }.reduce(text) { $0.replacingOccurrences(of: $1, with: "***") }
    }

    /// The location with its password replaced by `***`.
    public var redacted: String { Self.redact(text, secrets: Self.secrets(in: text)) }

    /// `message` with this location's password replaced by `***`.
    public func redact(_ message: String) -> String { Self.redact(message, secrets: Self.secrets(in: text)) }

    /// Opens the store's connection (SQLite: creating the file when `create`).
    public func connect(create: Bool) throws -> SQLConnection {
        switch backend {
        case .sqlite:
            if !create && !FileManager.default.fileExists(atPath: text) {
                throw BenchError.badInput("store \(text) does not exist (add runs with `benchmark store add`)")
            }
            return try SQLiteConnection(path: text, create: create)
        case .postgresql:
            return try PostgresConnection(self)
        }
    }
}
