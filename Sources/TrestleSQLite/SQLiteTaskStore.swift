import Foundation
import GRDB
import TrestleCore
import TrestleStore

/// The embedded store: one SQLite file in WAL mode, written by one connection, read by a pool.
public final class SQLiteTaskStore: TaskStore {
    let pool: DatabasePool
    private let commitIndex: SQLiteCommitIndexReader
    private let checkpointer: WALCheckpointer
    public let path: String
    /// No connection memory-maps the file. SQLite drops a connection's whole mapping when it
    /// starts a read after another connection committed, so under webhook traffic every status
    /// read unmapped and re-faulted up to 1 GiB: munmap, a TLB shootdown that interrupts the other
    /// core, and page faults. Plain reads from the OS page cache cost less than that.
    static let noMemoryMap = "PRAGMA mmap_size = 0"

    /// Opens (creating if needed) the database at `path` and migrates it to the current schema.
    public init(path: String, synchronous: SQLiteSynchronous = .normal) throws {
        self.path = path
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StoreError(operation: "open \(path)", detail: "cannot create directory \(directory): \(error.localizedDescription)")
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.label = "trestle"
        configuration.prepareDatabase { db in
            try db.execute(sql: Self.noMemoryMap)
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            // DatabasePool sets synchronous=NORMAL on its writer after prepareDatabase runs,
            // so the chosen level is set here, on the writer, and read back.
            let level = try pool.barrierWriteWithoutTransaction { db in
                try db.execute(sql: "PRAGMA synchronous = \(synchronous == .full ? "FULL" : "NORMAL")")
                return try Int.fetchOne(db, sql: "PRAGMA synchronous")
            }
            let expected = synchronous == .full ? 2 : 1
            guard level == expected else {
                throw StoreError(operation: "open \(path)", detail: "PRAGMA synchronous reads \(level ?? -1), expected \(expected)")
            }
            try SQLiteMigrations.migrator.migrate(pool)
            commitIndex = try SQLiteCommitIndexReader(path: path, count: 4)
            checkpointer = try WALCheckpointer(path: path)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(operation: "open \(path)", detail: Self.describe(error))
        }
    }

    /// The synchronous level in force on the writer: 1 NORMAL, 2 FULL.
    public func synchronousLevel() async throws -> Int {
        try await pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1 }
    }

    public func close() async throws {
        commitIndex.close()
        await checkpointer.close()
        try pool.close()
    }

    public func createTask(_ task: NewTask) async throws -> TaskRecord {
        try await write("create a task of workflow \(task.workflow)") { db in
            let (pk, _) = try SQLiteTaskRows.insert(task, db: db)
            return try SQLiteTaskRows.load(pk: pk, db: db)
        }
    }

    public func createTasks(_ tasks: [NewTask]) async throws {
        try await write("create \(tasks.count) tasks") { db in
            for task in tasks {
                _ = try SQLiteTaskRows.insert(task, db: db)
            }
        }
    }

    public func tasks(commitPrefix prefix: CommitPrefix, limit: Int) async throws -> [TaskSummary] {
        try commitIndex.summaries(commitPrefix: prefix, limit: limit)
    }

    public func tasks(commits: [CommitID], limit: Int) async throws -> [TaskSummary] {
        guard !commits.isEmpty else { return [] }
        return try await read("find tasks by \(commits.count) commits") { db in
            let marks = Array(repeating: "?", count: commits.count).joined(separator: ", ")
            var arguments = StatementArguments(commits.map(\.hex))
            arguments += [limit]
            return try Row.fetchAll(db, sql: """
                SELECT DISTINCT t.id, t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
                FROM task_commits c JOIN tasks t ON t.id = c.task_pk
                WHERE c.commit_id IN (\(marks))
                ORDER BY t.create_time DESC, t.id DESC
                LIMIT ?
                """, arguments: arguments).map(SQLiteTaskRows.summary)
        }
    }

    public func commits(builtFrom repo: String, limit: Int) async throws -> [CommitID] {
        try await read("find commits built from repo \(repo)") { db in
            var seen = Set<CommitID>()
            var found: [CommitID] = []
            let rows = try String.fetchCursor(db, sql: """
                SELECT commit_id FROM repo_commits WHERE repo_name = ? ORDER BY task_pk DESC
                """, arguments: [repo])
            while found.count < limit, let hex = try rows.next() {
                if let commit = CommitID(hex), seen.insert(commit).inserted { found.append(commit) }
            }
            return found
        }
    }

    public func claimTasks(_ limits: RunLimits, runner: String, at time: Int64) async throws -> [TaskRecord] {
        try await write("claim tasks to run") { db in try SQLiteRunRows.claim(limits, runner: runner, at: time, db: db) }
    }

    public func recordProgress(workflow: String, taskID: Int64, attempt: Int, stages: [StageRecord], changes: StageChanges?,
                               ending: TaskStatus?, at time: Int64) async throws -> Bool {
        try await write("record the progress of task \(taskID) of \(workflow)") { db in
            try SQLiteRunRows.record(workflow: workflow, taskID: taskID, attempt: attempt, stages: stages, changes: changes,
                                     ending: ending, at: time, db: db)
        }
    }

    public func failInterruptedTasks(runner: String?, reason: String, requeue: Set<String>,
                                     at time: Int64) async throws -> [TaskSummary] {
        try await write("fail interrupted tasks") { db in
            try SQLiteRunRows.failInterrupted(runner: runner, reason: reason, requeue: requeue, at: time, db: db)
        }
    }

    public func heartbeat(runner: String, at time: Int64) async throws -> Bool {
        try await write("record the heartbeat of runner \(runner)") { db in try SQLiteRunRows.heartbeat(runner: runner, at: time, db: db) }
    }

    public func removeRunner(_ runner: String) async throws {
        try await write("remove runner \(runner)") { db in try db.execute(sql: "DELETE FROM runners WHERE name = ?", arguments: [runner]) }
    }

    public func runningAttempts(runner: String) async throws -> Set<RunningAttempt> {
        try await read("read the tasks running for runner \(runner)") { db in
            Set(try Row.fetchAll(db.cachedStatement(sql: "SELECT workflow, task_id, attempt FROM tasks WHERE status = 'running' AND runner = ?"),
                                 arguments: [runner])
                .map { RunningAttempt(workflow: $0["workflow"], taskID: $0["task_id"], attempt: $0["attempt"]) })
        }
    }

    public func failLostRunners(heartbeatBefore before: Int64, requeue: Set<String>, at time: Int64) async throws -> [LostTask] {
        try await write("fail the tasks of lost runners") { db in
            try SQLiteRunRows.failLost(heartbeatBefore: before, requeue: requeue, at: time, db: db)
        }
    }

    /// One process owns a SQLite store (`ExecutorLock`): nothing to claim against, and a restart
    /// then sends at once what its predecessor left.
    public func dueCommitStatuses(now: Int64, limit: Int, claimingUntil: Int64?) async throws -> [CommitStatusSend] {
        try await write("read due commit statuses") { db in try SQLiteCommitStatusRows.due(now: now, limit: limit, db: db) }
    }

    public func commitStatusSent(_ send: CommitStatusSend, error: String?, retryAt: Int64?) async throws {
        try await write("record a commit status send for task \(send.task.taskID) of \(send.task.workflow)") { db in
            try SQLiteCommitStatusRows.sent(send, error: error, retryAt: retryAt, db: db)
        }
    }

    public func dueMergeRequestNotes(now: Int64, limit: Int, claimingUntil: Int64?) async throws -> [MergeRequestNoteSend] {
        try await read("read due merge request notes") { db in try SQLiteCommitStatusRows.dueNotes(now: now, limit: limit, db: db) }
    }

    public func mergeRequestNoteSent(_ send: MergeRequestNoteSend, noteID: Int?, error: String?, retryAt: Int64?) async throws {
        try await write("record a merge request note for task \(send.task.taskID) of \(send.task.workflow)") { db in
            try SQLiteCommitStatusRows.noteSent(send, noteID: noteID, error: error, retryAt: retryAt, db: db)
        }
    }

    public func commitStatus(workflow: String, taskID: Int64) async throws -> CommitStatusRecord? {
        try await read("read the commit status of task \(taskID) of \(workflow)") { db in
            guard let pk = try SQLiteTaskRows.primaryKey(workflow: workflow, taskID: taskID, db: db) else { return nil }
            return try SQLiteCommitStatusRows.record(pk: pk, db: db)
        }
    }

    /// One writer: a second batch would only queue behind the first.
    public var inboxWriters: Int { 1 }

    public func recordDeliveries(_ deliveries: [NewDelivery]) async throws -> [DeliveryReceipt] {
        try await write("record \(deliveries.count) webhook deliveries") { db in try SQLiteDeliveryRows.record(deliveries, db: db) }
    }

    public func recordDeliveriesBlocking(_ deliveries: [NewDelivery]) throws -> [DeliveryReceipt] {
        try writeBlocking("record \(deliveries.count) webhook deliveries") { db in try SQLiteDeliveryRows.record(deliveries, db: db) }
    }

    /// Not claimed, as commit statuses are not: one process owns the store.
    public func pendingDeliveries(limit: Int, dueAt now: Int64, claimingUntil: Int64?) async throws -> [StoredDelivery] {
        try await read("read pending webhook deliveries") { db in try SQLiteDeliveryRows.pending(limit: limit, dueAt: now, db: db) }
    }

    public func deliveryBacklog() async throws -> DeliveryBacklog {
        try await read("read the webhook backlog") { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*) AS n, min(d.received_time) AS oldest FROM webhook_pending p JOIN webhook_deliveries d ON d.id = p.delivery_id
                """)
            return DeliveryBacklog(pending: row?["n"] ?? 0, oldestReceivedTime: row?["oldest"])
        }
    }

    public func postponeDelivery(id: Int64, attempts: DeliveryAttempts) async throws {
        try await write("postpone webhook delivery \(id)") { db in try SQLiteDeliveryRows.postpone(id: id, attempts: attempts, db: db) }
    }

    public func completeDeliveries(_ completions: [DeliveryCompletion], at time: Int64) async throws -> [DeliveryOutcome] {
        try await write("complete \(completions.count) webhook deliveries") { db in
            try completions.map { try SQLiteDeliveryRows.complete(id: $0.id, outcome: $0.outcome, tasks: $0.tasks, at: time, db: db) }
        }
    }

    public func deliveries(limit: Int) async throws -> [DeliverySummary] {
        try await read("read recent webhook deliveries") { db in try SQLiteDeliveryRows.recent(limit: limit, db: db) }
    }

    public func delivery(id: Int64) async throws -> StoredDelivery? {
        try await read("read webhook delivery \(id)") { db in try SQLiteDeliveryRows.load(id: id, db: db) }
    }

    public func task(workflow: String, taskID: Int64) async throws -> TaskRecord? {
        try await read("read task \(taskID) of \(workflow)") { db in
            guard let pk = try SQLiteTaskRows.primaryKey(workflow: workflow, taskID: taskID, db: db) else { return nil }
            return try SQLiteTaskRows.load(pk: pk, db: db)
        }
    }

    public func tasks(workflow: String, limit: Int) async throws -> [TaskRecord] {
        try await read("read the tasks of \(workflow)") { db in
            // UNIQUE (workflow, task_id) indexes this walk: no sort, no scan of other workflows.
            try Int64.fetchAll(db, sql: "SELECT id FROM tasks WHERE workflow = ? ORDER BY task_id DESC LIMIT ?",
                               arguments: [workflow, max(limit, 0)])
                .map { try SQLiteTaskRows.load(pk: $0, db: db) }
        }
    }

    public func taskList(_ query: TaskListQuery) async throws -> [TaskListEntry] {
        try await read("read the task list") { db in try SQLiteTaskRows.list(query, db: db) }
    }

    public func cancelTask(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64) async throws -> TaskRecord {
        try await write("cancel task \(taskID) of \(workflow)") { db in
            try SQLiteTaskRows.cancel(workflow: workflow, taskID: taskID, by: trigger, at: time, db: db)
        }
    }

    public func restartTask(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64) async throws -> TaskRecord {
        try await write("restart task \(taskID) of \(workflow)") { db in
            try SQLiteTaskRows.restart(workflow: workflow, taskID: taskID, by: trigger, at: time, db: db)
        }
    }

    func write<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            let result = try await pool.write(body)
            checkpointer.committed()
            return result
        } catch {
            throw Self.writeFailure(operation, error)
        }
    }

    /// `write` on the calling thread, which it blocks until the commit.
    func writeBlocking<T>(_ operation: String, _ body: (Database) throws -> T) throws -> T {
        do {
            let result = try pool.write(body)
            checkpointer.committed()
            return result
        } catch {
            throw Self.writeFailure(operation, error)
        }
    }

    /// A task operation's refusal as it is; any other failure as a `StoreError` naming the operation.
    private static func writeFailure(_ operation: String, _ error: any Error) -> any Error {
        if let failure = error as? TaskOperationFailure { return failure }
        return StoreError(operation: operation, detail: describe(error))
    }

    func read<T: Sendable>(_ operation: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.read(body)
        } catch {
            throw StoreError(operation: operation, detail: Self.describe(error))
        }
    }

    private static func describe(_ error: any Error) -> String {
        if let error = error as? DatabaseError {
            return "SQLite error \(error.resultCode.rawValue): \(error.message ?? "\(error)")"
        }
        return "\(error)"
    }
}
