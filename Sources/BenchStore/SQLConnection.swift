import BenchCore
import Foundation

/// A value bound to or read from a statement.  Doubles that are NaN are
/// bound as NULL on both backends (SQLite stores NaN as NULL anyway).
public enum SQLValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case int(Int64)
    case double(Double)
    case text(String)

    public var description: String {
        switch self {
        case .null: return "NULL"
        case .int(let i): return String(i)
        case .double(let d): return SQLValue.format(d)
        case .text(let s): return s
        }
    }

    /// Shortest text that reads back as the same double (Swift's own), with
    /// the infinities spelled the way PostgreSQL reads them.
    static func format(_ d: Double) -> String {
        if d == .infinity { return "Infinity" }
        if d == -.infinity { return "-Infinity" }
        return "\(d)"
    }

    public var text: String? { if case .text(let s) = self { return s }; return self == .null ? nil : description }
    public var int: Int64? {
        switch self {
        case .int(let i): return i
        case .double(let d): return Int64(exactly: d)
        case .text(let s): return Int64(s)
        case .null: return nil
        }
    }
    public var double: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .text(let s): return SQLValue.parseDouble(s)
        case .null: return nil
        }
    }
    public var bool: Bool? { int.map { $0 != 0 } }

    static func parseDouble(_ s: String) -> Double? {
        switch s {
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        case "NaN": return .nan
        default: return Double(s)
        }
    }

    public init(_ s: String?) { self = s.map { .text($0) } ?? .null }
    public init(_ d: Double?) { self = d.map { $0.isNaN ? .null : .double($0) } ?? .null }
    public init(_ i: Int?) { self = i.map { .int(Int64($0)) } ?? .null }
    public init(_ b: Bool?) { self = b.map { .int($0 ? 1 : 0) } ?? .null }
}

/// Which server keeps the store.
public enum StoreBackend: String, Sendable {
    case sqlite, postgresql
}

/// One open connection.  Statements use `?` placeholders, bound in order:
/// no value is ever spliced into SQL text.
public protocol SQLConnection: AnyObject {
    var backend: StoreBackend { get }
    /// Runs one statement and returns its rows (empty for statements without).
    func query(_ sql: String, _ params: [SQLValue]) throws -> [[SQLValue]]
    /// Runs one statement and returns how many rows it changed.
    @discardableResult func execute(_ sql: String, _ params: [SQLValue]) throws -> Int
    func close()
}

extension SQLConnection {
    /// Runs `body` in one transaction: committed when it returns, rolled back
    /// when it throws (a dropped connection rolls back on the server).
    /// SQLite's BEGIN IMMEDIATE takes the write lock at once, so two writers
    /// queue instead of failing at their first write.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute(backend == .sqlite ? "BEGIN IMMEDIATE" : "BEGIN", [])
        do {
            let result = try body()
            try execute("COMMIT", [])
            return result
        } catch {
            _ = try? execute("ROLLBACK", [])
            throw error
        }
    }
}

/// A store error: one line, never holding a password.
func storeError(_ message: String) -> BenchError { .output("store: \(message)") }
