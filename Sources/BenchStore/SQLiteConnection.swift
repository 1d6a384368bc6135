import CSQLite
import Foundation

/// A connection to an SQLite database file through the C library.
public final class SQLiteConnection: SQLConnection {
    public let backend = StoreBackend.sqlite
    private var db: OpaquePointer?
    let path: String

    /// SQLITE_TRANSIENT: SQLite copies bound text before the call returns.
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Opens (creating when `create`) the database at `path`.  A writer
    /// waits up to `busyMilliseconds` for another one to finish.
    public init(path: String, create: Bool, busyMilliseconds: Int32 = 30_000) throws {
        self.path = path
        let flags = (create ? SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK else {
            let why = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            sqlite3_close(db); db = nil
            throw storeError("cannot open SQLite database \(path): \(why)")
        }
        sqlite3_busy_timeout(db, busyMilliseconds)
        try execute("PRAGMA foreign_keys = ON", [])
    }

    deinit { close() }

    public func close() {
        if let db { sqlite3_close_v2(db) }
        db = nil
    }

    private func error(_ what: String) -> Error {
        storeError("\(what) in \(path): \(db.map { String(cString: sqlite3_errmsg($0)) } ?? "closed")")
    }

    private func prepare(_ sql: String, _ params: [SQLValue]) throws -> OpaquePointer {
        guard let db else { throw storeError("\(path) is closed") }
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK, let stmt else { throw error("cannot prepare a statement") }
        guard Int(sqlite3_bind_parameter_count(stmt)) == params.count else {
            sqlite3_finalize(stmt)
            throw storeError("statement expects \(sqlite3_bind_parameter_count(stmt)) values, \(params.count) given")
        }
        for (i, p) in params.enumerated() {
            let idx = Int32(i + 1)
            let rc: Int32
            switch p {
            case .null: rc = sqlite3_bind_null(stmt, idx)
            case .int(let v): rc = sqlite3_bind_int64(stmt, idx, v)
            case .double(let v): rc = v.isNaN ? sqlite3_bind_null(stmt, idx) : sqlite3_bind_double(stmt, idx, v)
            case .text(let s): rc = sqlite3_bind_text(stmt, idx, s, -1, Self.transient)
            }
            guard rc == SQLITE_OK else { sqlite3_finalize(stmt); throw error("cannot bind value \(i + 1)") }
        }
        return stmt
    }

    public func query(_ sql: String, _ params: [SQLValue]) throws -> [[SQLValue]] {
        let stmt = try prepare(sql, params)
        defer { sqlite3_finalize(stmt) }
        var rows: [[SQLValue]] = []
        while true {
            let rc = sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error("statement failed") }
            rows.append((0..<sqlite3_column_count(stmt)).map { c in
                switch sqlite3_column_type(stmt, c) {
                case SQLITE_INTEGER: return .int(sqlite3_column_int64(stmt, c))
                case SQLITE_FLOAT: return .double(sqlite3_column_double(stmt, c))
                case SQLITE_NULL: return .null
                default: return .text(String(cString: sqlite3_column_text(stmt, c)))
                }
            })
        }
        return rows
    }

    @discardableResult
    public func execute(_ sql: String, _ params: [SQLValue]) throws -> Int {
        _ = try query(sql, params)
        return Int(sqlite3_changes(db))
    }
}
