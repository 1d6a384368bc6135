import BenchCore
import Foundation

/// libpq, PostgreSQL's C client (Debian's `libpq5`), opened with dlopen(3)
/// the first time a PostgreSQL store is used, not linked.
///
/// Linking it would load its ~25 dependent libraries (TLS, Kerberos, LDAP)
/// into every run of the tool, which then no longer starts under a small
/// address-space limit (`ulimit -v`, tested in the CLI tests); a user of the
/// default SQLite store never pays for it.  The signatures are libpq's
/// (libpq-fe.h, stable since PostgreSQL 9): enums are C ints, `Oid` an
/// unsigned int, connections and results opaque pointers.
final class LibPQ: @unchecked Sendable {
    typealias Conn = OpaquePointer
    typealias Result = OpaquePointer
    typealias NoticeProcessor = @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?) -> Void

    let connectdbParams: @convention(c) (UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<UnsafePointer<CChar>?>?, Int32) -> Conn?
    let status: @convention(c) (Conn?) -> Int32
    let errorMessage: @convention(c) (Conn?) -> UnsafeMutablePointer<CChar>?
    let finish: @convention(c) (Conn?) -> Void
    let setNoticeProcessor: @convention(c) (Conn?, NoticeProcessor?, UnsafeMutableRawPointer?) -> NoticeProcessor?
    let execParams: @convention(c) (Conn?, UnsafePointer<CChar>?, Int32, UnsafePointer<UInt32>?,
                                    UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?, Int32) -> Result?
    let resultStatus: @convention(c) (Result?) -> Int32
    let resultErrorMessage: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?
    let clear: @convention(c) (Result?) -> Void
    let ntuples: @convention(c) (Result?) -> Int32
    let nfields: @convention(c) (Result?) -> Int32
    let ftype: @convention(c) (Result?, Int32) -> UInt32
    let getisnull: @convention(c) (Result?, Int32, Int32) -> Int32
    let getvalue: @convention(c) (Result?, Int32, Int32) -> UnsafeMutablePointer<CChar>?
    let cmdTuples: @convention(c) (Result?) -> UnsafeMutablePointer<CChar>?

    /// ConnStatusType CONNECTION_OK; ExecStatusType PGRES_COMMAND_OK, PGRES_TUPLES_OK.
    static let connectionOK: Int32 = 0
    static let commandOK: Int32 = 1
    static let tuplesOK: Int32 = 2

    /// The library, opened once; the error says what to install.
    static let shared: Swift.Result<LibPQ, BenchError> = {
        guard let handle = dlopen("libpq.so.5", RTLD_NOW | RTLD_LOCAL) else {
            let why = dlerror().map { String(cString: $0) } ?? "not found"
            return .failure(storeError("a PostgreSQL store needs libpq (apt-get install libpq5): \(why)"))
        }
        do { return .success(try LibPQ(handle)) } catch let e as BenchError { return .failure(e) } catch { return .failure(storeError("\(error)")) }
    }()

    private init(_ h: UnsafeMutableRawPointer) throws {
        func fn<T>(_ name: String, _: T.Type) throws -> T {
            guard let p = dlsym(h, name) else { throw storeError("libpq lacks \(name)") }
            return unsafeBitCast(p, to: T.self)
        }
        connectdbParams = try fn("PQconnectdbParams", type(of: connectdbParams))
        status = try fn("PQstatus", type(of: status))
        errorMessage = try fn("PQerrorMessage", type(of: errorMessage))
        finish = try fn("PQfinish", type(of: finish))
        setNoticeProcessor = try fn("PQsetNoticeProcessor", type(of: setNoticeProcessor))
        execParams = try fn("PQexecParams", type(of: execParams))
        resultStatus = try fn("PQresultStatus", type(of: resultStatus))
        resultErrorMessage = try fn("PQresultErrorMessage", type(of: resultErrorMessage))
        clear = try fn("PQclear", type(of: clear))
        ntuples = try fn("PQntuples", type(of: ntuples))
        nfields = try fn("PQnfields", type(of: nfields))
        ftype = try fn("PQftype", type(of: ftype))
        getisnull = try fn("PQgetisnull", type(of: getisnull))
        getvalue = try fn("PQgetvalue", type(of: getvalue))
        cmdTuples = try fn("PQcmdTuples", type(of: cmdTuples))
    }

    /// C text, or "" for NULL.
    static func text(_ p: UnsafeMutablePointer<CChar>?) -> String { p.map { String(cString: $0) } ?? "" }
}
