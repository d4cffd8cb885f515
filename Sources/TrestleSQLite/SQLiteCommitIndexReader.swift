import GRDBSQLite
import Synchronization
import TrestleCore
import TrestleStore

/// Answers the commitId status query on a few read-only connections of its own, each guarded
/// by a mutex and used inline on the caller's thread with one persistent prepared statement.
///
/// Why not GRDB here: measured with `make bench`, GRDB's queue confinement (a hop to a reader
/// queue and back, or `DispatchQueue.sync` from a cooperative thread) cost ~60 µs a read, ten
/// times the query's own ~5 µs B-tree probe. Every other read and all
/// writes stay on GRDB's queues.
final class SQLiteCommitIndexReader: Sendable {
    /// A join rather than `id IN (subquery)`, which costs an ephemeral table per query.
    /// A task that built two commits sharing the prefix comes twice, side by side: `query` skips the repeat.
    static let sql = """
        SELECT t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time, t.id
        FROM task_commits c JOIN tasks t ON t.id = c.task_pk
        WHERE c.commit_id >= ?1 AND c.commit_id < ?2
        ORDER BY t.create_time DESC, t.id DESC
        LIMIT ?3
        """

    private let connections: [Slot]
    private let turn = Atomic<Int>(0)

    init(path: String, count: Int) throws {
        connections = try (0..<max(1, count)).map { _ in
            Slot(try ReaderConnection(path: path, sql: Self.sql))
        }
    }

    func summaries(commitPrefix prefix: CommitPrefix, limit: Int) throws -> [TaskSummary] {
        let first = turn.add(1, ordering: .relaxed).newValue
        for offset in 0..<connections.count {
            let slot = connections[(first + offset) % connections.count]
            if let rows = try slot.mutex.withLockIfAvailable({ try $0.query(prefix, limit: limit) }) {
                return rows
            }
        }
        return try connections[first % connections.count].mutex.withLock { try $0.query(prefix, limit: limit) }
    }

    func close() {
        for slot in connections {
            slot.mutex.withLock { $0.close() }
        }
    }

    private final class Slot: Sendable {
        let mutex: Mutex<ReaderConnection>

        init(_ connection: sending ReaderConnection) {
            mutex = Mutex(connection)
        }
    }
}

/// One read-only SQLite connection and its prepared statement. Only used under its mutex.
final class ReaderConnection {
    private var db: OpaquePointer?
    private var statement: OpaquePointer?
    private let path: String

    init(path: String, sql: String) throws {
        self.path = path
        let flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX
        guard sqlite3_open_v2(path, &db, flags, nil) == SQLITE_OK else {
            defer { sqlite3_close_v2(db) }
            throw StoreError(operation: "open reader on \(path)", detail: Self.message(db))
        }
        // WAL readers wait only while SQLite recovers its index; never hold a request thread long.
        sqlite3_busy_timeout(db, 250)
        guard sqlite3_exec(db, SQLiteTaskStore.noMemoryMap, nil, nil, nil) == SQLITE_OK,
              sqlite3_prepare_v3(db, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK else {
            let detail = Self.message(db)
            close()
            throw StoreError(operation: "prepare reader on \(path)", detail: detail)
        }
    }

    deinit {
        close()
    }

    func query(_ prefix: CommitPrefix, limit: Int) throws -> [TaskSummary] {
        guard let statement else { throw StoreError(operation: "find tasks by commit", detail: "store is closed") }
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        sqlite3_bind_text(statement, 1, prefix.hex, -1, Self.transient)
        sqlite3_bind_text(statement, 2, prefix.rangeUpperBound, -1, Self.transient)
        sqlite3_bind_int64(statement, 3, Int64(limit))
        var summaries: [TaskSummary] = []
        var previousKey: Int64?
        while true {
            switch sqlite3_step(statement) {
            case SQLITE_ROW:
                let key = sqlite3_column_int64(statement, 7)
                if key == previousKey { continue }
                previousKey = key
                guard let status = TaskStatus(rawValue: Self.text(statement, 3)) else {
                    throw StoreError(operation: "find tasks by commit \(prefix)", detail: "unknown status '\(Self.text(statement, 3))'")
                }
                summaries.append(TaskSummary(
                    taskID: sqlite3_column_int64(statement, 0), workflow: Self.text(statement, 1),
                    project: Self.text(statement, 2), status: status, createTime: sqlite3_column_int64(statement, 4),
                    startTime: sqlite3_column_int64(statement, 5), endTime: sqlite3_column_int64(statement, 6)))
            case SQLITE_DONE:
                return summaries
            default:
                throw StoreError(operation: "find tasks by commit \(prefix) in \(path)", detail: Self.message(db))
            }
        }
    }

    func close() {
        sqlite3_finalize(statement)
        statement = nil
        sqlite3_close_v2(db)
        db = nil
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    private static func text(_ statement: OpaquePointer, _ column: Int32) -> String {
        guard let bytes = sqlite3_column_text(statement, column) else { return "" }
        return String(cString: bytes)
    }

    private static func message(_ db: OpaquePointer?) -> String {
        db.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "cannot open the database"
    }
}
