import Foundation

/// The store's schema, as numbered migrations applied in order on connect.
///
/// The same statements run on SQLite and PostgreSQL: only portable types
/// (TEXT, BIGINT, DOUBLE PRECISION; booleans as 0/1) and no
/// backend-specific syntax.  A migration, once released, is never edited:
/// a change is a new one.
public enum StoreSchema {
    public struct Migration: Sendable {
        public var version: Int
        public var summary: String
        public var statements: [String]
    }

    public static let migrations: [Migration] = [
        Migration(version: 1, summary: "runs and their rows", statements: [
            """
            CREATE TABLE runs (
                run_key TEXT PRIMARY KEY,
                run_id TEXT NOT NULL,
                date TEXT NOT NULL,
                host_fingerprint TEXT NOT NULL,
                cpu_identity TEXT NOT NULL,
                kernel TEXT NOT NULL,
                kernel_identity TEXT NOT NULL,
                kvm_platform TEXT,
                tool_version TEXT,
                git_commit TEXT,
                git_dirty BIGINT,
                build_configuration TEXT,
                quick BIGINT,
                repetitions BIGINT,
                complete BIGINT NOT NULL,
                options TEXT NOT NULL,
                environment TEXT NOT NULL
            )
            """,
            """
            CREATE TABLE rows (
                run_key TEXT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
                suite TEXT NOT NULL,
                benchmark TEXT NOT NULL,
                params TEXT NOT NULL,
                metric TEXT NOT NULL,
                repetition BIGINT NOT NULL,
                source TEXT NOT NULL,
                gate TEXT NOT NULL,
                depends TEXT NOT NULL,
                status TEXT NOT NULL,
                value DOUBLE PRECISION,
                unit TEXT NOT NULL,
                n BIGINT,
                p25 DOUBLE PRECISION,
                p75 DOUBLE PRECISION,
                mad DOUBLE PRECISION,
                stddev DOUBLE PRECISION,
                ci95_low DOUBLE PRECISION,
                ci95_high DOUBLE PRECISION,
                note TEXT NOT NULL,
                PRIMARY KEY (run_key, suite, benchmark, params, metric, repetition)
            )
            """,
            "CREATE INDEX rows_by_metric ON rows (suite, benchmark, metric)",
            "CREATE INDEX runs_by_host ON runs (host_fingerprint, date)",
        ]),
    ]

    /// The newest schema this tool knows.
    public static var current: Int { migrations.map(\.version).max() ?? 0 }

    /// Brings the store to `current` in one transaction.  Concurrent
    /// connects are serialised (PostgreSQL: an advisory lock; SQLite: the
    /// write lock of BEGIN IMMEDIATE), so each migration runs once.  A store
    /// newer than this tool is refused rather than misread.
    public static func migrate(_ db: SQLConnection) throws {
        // Up to date already: nothing to lock or create, so a role that may
        // only read (README: "History and reports") connects too.
        if let newest = try? db.query("SELECT MAX(version) FROM schema_migrations", []).first?.first?.int,
           newest == Int64(current) { return }
        try db.transaction {
            if db.backend == .postgresql {
                _ = try db.query("SELECT pg_advisory_xact_lock(?)", [.int(0x7866_6462)])  // "xfdb"
            }
            try db.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, summary TEXT NOT NULL)", [])
            let applied = Set(try db.query("SELECT version FROM schema_migrations", []).compactMap { $0[0].int })
            if let newest = applied.max(), newest > current {
                throw storeError("the store has schema version \(newest); this tool knows up to \(current) (upgrade the tool)")
            }
            for m in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(Int64(m.version)) {
                for s in m.statements { try db.execute(s, []) }
                try db.execute("INSERT INTO schema_migrations (version, summary) VALUES (?, ?)", [.int(Int64(m.version)), .text(m.summary)])
            }
        }
    }
}
