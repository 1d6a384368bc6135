import Foundation

/// A connection to a PostgreSQL server through libpq (`LibPQ`, opened on first use).
///
/// Values travel as text parameters (`$1`, `$2`, ...; the server types them
/// from the statement), results come back as text and are typed from each
/// column's type.  The URL's password is handed to libpq and nowhere else:
/// error messages are redacted before they leave this type.
public final class PostgresConnection: SQLConnection {
    public let backend = StoreBackend.postgresql
    private var conn: OpaquePointer?
    private let pq: LibPQ
    let location: StoreLocation

    /// Connects to `location` (a postgresql:// URL), waiting at most
    /// `timeoutSeconds` for the server.
    public init(_ location: StoreLocation, timeoutSeconds: Int = 10) throws {
        self.location = location
        pq = try LibPQ.shared.get()
        // connect_timeout comes first so a value in the URL wins;
        // expand_dbname = 1 makes libpq read the URL given as dbname.
        let keys = ["connect_timeout", "application_name", "dbname"]
        let values = [String(timeoutSeconds), "xfd-bench", location.text]
        let pq = self.pq
        conn = withCStrings(keys) { k in withCStrings(values) { v in pq.connectdbParams(k, v, 1) } }
        guard let conn, pq.status(conn) == LibPQ.connectionOK else {
            let why = conn.map { LibPQ.text(pq.errorMessage($0)) } ?? "out of memory"
            close()
            throw storeError("cannot connect to \(location.redacted): \(location.redact(why))")
        }
        // NOTICEs (e.g. "relation already exists, skipping") are not the user's business.
        _ = pq.setNoticeProcessor(conn, { _, _ in }, nil)
    }

    deinit { close() }

    public func close() {
        if let conn { pq.finish(conn) }
        conn = nil
    }

    /// `?` placeholders become `$1`, `$2`, ... (no statement here holds a `?` literal).
    static func numbered(_ sql: String) -> String {
        var out = "", n = 0
        for ch in sql {
            if ch == "?" { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        return out
    }

    private func run(_ sql: String, _ params: [SQLValue]) throws -> OpaquePointer {
        guard let conn else { throw storeError("connection to \(location.redacted) is closed") }
        let texts: [String?] = params.map { $0 == .null ? nil : $0.description }
        let pq = self.pq
        let result: OpaquePointer? = withOptionalCStrings(texts) { values in
            pq.execParams(conn, Self.numbered(sql), Int32(params.count), nil, values, nil, nil, 0)
        }
        guard let result else { throw storeError("\(location.redacted): \(location.redact(LibPQ.text(pq.errorMessage(conn))))") }
        let status = pq.resultStatus(result)
        guard status == LibPQ.commandOK || status == LibPQ.tuplesOK else {
            let why = LibPQ.text(pq.resultErrorMessage(result))
            pq.clear(result)
            throw storeError("\(location.redacted): \(location.redact(why).split(separator: "\n").first.map(String.init) ?? "statement failed")")
        }
        return result
    }

    public func query(_ sql: String, _ params: [SQLValue]) throws -> [[SQLValue]] {
        let result = try run(sql, params)
        defer { pq.clear(result) }
        let columns = pq.nfields(result)
        let types = (0..<columns).map { pq.ftype(result, $0) }
        return (0..<pq.ntuples(result)).map { r in
            (0..<columns).map { c -> SQLValue in
                if pq.getisnull(result, r, c) != 0 { return .null }
                let text = LibPQ.text(pq.getvalue(result, r, c))
                switch types[Int(c)] {
                case 16: return .int(text == "t" ? 1 : 0)  // bool
                case 20, 21, 23: return Int64(text).map { .int($0) } ?? .text(text)  // int8, int2, int4
                case 700, 701, 1700: return SQLValue.parseDouble(text).map { .double($0) } ?? .text(text)
                default: return .text(text)
                }
            }
        }
    }

    @discardableResult
    public func execute(_ sql: String, _ params: [SQLValue]) throws -> Int {
        let result = try run(sql, params)
        defer { pq.clear(result) }
        return Int(LibPQ.text(pq.cmdTuples(result))) ?? 0
    }
}

/// Calls `body` with a NULL-terminated array of C strings.
private func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    withOptionalCStrings(strings.map { Optional($0) }) { body($0) }
}

private func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = strings.map { $0.map { strdup($0)! } }
    defer { copies.forEach { free($0) } }
    let pointers = copies.map { UnsafePointer($0) } + [nil]
    return pointers.withUnsafeBufferPointer { body($0.baseAddress!) }
}
