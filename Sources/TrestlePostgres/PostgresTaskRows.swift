import Foundation
import Logging
import PostgresNIO
import TrestleCore
import TrestleStore

/// The SQL of the task tables on PostgreSQL, inside a caller's transaction: the same rows and
/// rules as `SQLiteTaskRows`, with row locks (`FOR UPDATE`) where SQLite has its one writer.
enum PostgresTaskRows {
    /// The new row's key and the task id it was given.
    static func insert(_ task: NewTask, on connection: PostgresConnection, logger: Logger) async throws -> (pk: Int64, taskID: Int64) {
        guard let inserted = try await insert([task], on: connection, logger: logger).first else {
            throw StoreError(operation: "insert task of \(task.workflow)", detail: "the database answered no row")
        }
        return inserted
    }

    /// Inserts `tasks` with a statement per table (not per row), answering each one's key and task
    /// id in order. Each workflow's sequence row is advanced once for all its tasks; that update
    /// serialises creates of one workflow, so ids stay unique and gap-free across connections.
    static func insert(_ tasks: [NewTask], on connection: PostgresConnection, logger: Logger) async throws -> [(pk: Int64, taskID: Int64)] {
        guard !tasks.isEmpty else { return [] }
        var next: [String: Int64] = [:]
        for workflow in Set(tasks.map(\.workflow)).sorted() {
            let count = Int64(tasks.count { $0.workflow == workflow })
            let last = try await one(connection.query("""
                INSERT INTO workflow_sequences (workflow, last_task_id) VALUES (\(workflow), \(count))
                ON CONFLICT (workflow) DO UPDATE SET last_task_id = workflow_sequences.last_task_id + \(count)
                RETURNING last_task_id
                """, logger: logger), Int64.self, "number tasks of \(workflow)")
            next[workflow] = last - count + 1
        }
        var taskIDs: [Int64] = []
        for task in tasks {
            let id = next[task.workflow] ?? 1
            taskIDs.append(id)
            next[task.workflow] = id + 1
        }
        var keys: [String: Int64] = [:]
        let rows = Array(zip(tasks, taskIDs))
        let insertTasks = PostgresMultiRowInsert(
            table: "tasks", columns: ["workflow", "task_id", "project", "env", "status", "attempt", "trigger_kind", "triggered_by",
                                      "arguments", "create_time", "origin"],
            suffix: "RETURNING id, workflow, task_id")
        for batch in rows.chunks(of: insertTasks.rowsPerStatement) {
            let query = try insertTasks.query(batch) { row, bindings in
                let (task, taskID) = row
                bindings.append(task.workflow)
                bindings.append(taskID)
                bindings.append(task.project)
                bindings.append(task.env)
                bindings.append(TaskStatus.created.rawValue)
                bindings.append(1)
                bindings.append(task.trigger.kind.rawValue)
                bindings.append(task.trigger.by)
                bindings.append(try StoreJSON.text(task.arguments))
                bindings.append(task.createTime)
                bindings.append(try StoreJSON.text(task.origin))
            }
            for try await row in try await connection.query(query, logger: logger).decode((Int64, String, Int64).self) {
                keys["\(row.2) \(row.1)"] = row.0
            }
        }
        var inserted: [(pk: Int64, taskID: Int64)] = []
        for (task, taskID) in rows {
            guard let pk = keys["\(taskID) \(task.workflow)"] else {
                throw StoreError(operation: "insert task \(taskID) of \(task.workflow)", detail: "the database answered no key for it")
            }
            inserted.append((pk, taskID))
        }
        let made = zip(tasks, inserted.map(\.pk))
        try await insertRows(PostgresMultiRowInsert(table: "task_commits", columns: ["commit_id", "task_pk"]),
                             made.flatMap { task, pk in task.arguments.commitIDs.map { (commit: $0.hex, pk: pk) } },
                             on: connection, logger: logger) { row, bindings in
            bindings.append(row.commit)
            bindings.append(row.pk)
        }
        try await insertRows(PostgresMultiRowInsert(table: "repo_commits", columns: ["repo_name", "task_pk", "commit_id"],
                                                    suffix: "ON CONFLICT DO NOTHING"),
                             made.flatMap { task, pk in task.arguments.repoCommits.map { (repo: $0.repoName, pk: pk, commit: $0.commitID.hex) } },
                             on: connection, logger: logger) { row, bindings in
            bindings.append(row.repo)
            bindings.append(row.pk)
            bindings.append(row.commit)
        }
        try await insertRows(PostgresMultiRowInsert(table: "task_branches", columns: ["branch", "task_pk"]),
                             made.compactMap { task, pk in task.arguments.listedBranch.map { (branch: $0, pk: pk) } },
                             on: connection, logger: logger) { row, bindings in
            bindings.append(row.branch)
            bindings.append(row.pk)
        }
        try await insertAttempts(made.map { task, pk in (pk, 1, task.trigger, task.createTime) }, on: connection, logger: logger)
        try await insertStages(made.map { task, pk in
            (pk, 1, task.stages.map { plan in
                StageRecord(name: plan.name, status: .created, jobs: plan.jobs.map {
                    JobRecord(name: $0.name, kind: $0.kind, target: $0.target, status: .created)
                })
            })
        }, on: connection, logger: logger)
        return inserted
    }

    /// Rows in as few statements as the parameter limit allows.
    private static func insertRows<Row>(_ insert: PostgresMultiRowInsert, _ rows: [Row], on connection: PostgresConnection,
                                        logger: Logger, bind: (Row, inout PostgresBindings) throws -> Void) async throws {
        for batch in rows.chunks(of: insert.rowsPerStatement) {
            try await connection.query(try insert.query(batch, bind: bind), logger: logger)
        }
    }

    static func primaryKey(workflow: String, taskID: Int64, lock: Bool = false, on connection: PostgresConnection,
                           logger: Logger) async throws -> Int64? {
        let rows = lock
            ? try await connection.query("SELECT id FROM tasks WHERE workflow = \(workflow) AND task_id = \(taskID) FOR UPDATE", logger: logger)
            : try await connection.query("SELECT id FROM tasks WHERE workflow = \(workflow) AND task_id = \(taskID)", logger: logger)
        for try await pk in rows.decode(Int64.self) { return pk }
        return nil
    }

    /// Keyset pages on the row key, as `SQLiteTaskRows.list`: only the filters given are in the
    /// statement (sessions use generic plans, which would not drop a `$1 IS NULL OR …` branch).
    static func list(_ query: TaskListQuery, on connection: PostgresConnection, logger: Logger) async throws -> [TaskListEntry] {
        var entries: [TaskListEntry] = []
        var bindings = PostgresBindings()
        var conditions: [String] = []
        func bind(_ value: some PostgresNonThrowingEncodable & Sendable) -> String {
            bindings.append(value)
            return "$\(bindings.count)"
        }
        conditions.append("id < " + bind(query.before ?? Int64.max))
        if let branch = query.branch { conditions.append("id IN (SELECT task_pk FROM task_branches WHERE branch = \(bind(branch)))") }
        if let workflow = query.workflow { conditions.append("workflow = " + bind(workflow)) }
        if let status = query.status { conditions.append("status = " + bind(status.rawValue)) }
        let limit = bind(Int64(max(0, min(query.limit, 500))))
        let sql = """
            SELECT id, task_id, workflow, project, status, create_time, start_time, end_time,
                   attempt, trigger_kind, triggered_by, arguments, origin
            FROM tasks WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT \(limit)
            """
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            .decode((Int64, Int64, String, String, String, Int64, Int64, Int64, Int, String, String, String, String?).self) {
            let summary = TaskSummary(taskID: row.1, workflow: row.2, project: row.3, status: try status(row.4),
                                      createTime: row.5, startTime: row.6, endTime: row.7)
            let arguments = try JSONDecoder().decode(TaskArguments.self, from: Data(row.11.utf8))
            let origin = try row.12.map { try JSONDecoder().decode(TaskOrigin.self, from: Data($0.utf8)) }
            entries.append(TaskListEntry(key: row.0, summary: summary, trigger: try trigger(row.9, row.10), attempt: row.8,
                                         arguments: arguments, origin: origin ?? .api(arguments)))
        }
        return entries
    }

    static func load(pk: Int64, on connection: PostgresConnection, logger: Logger) async throws -> TaskRecord {
        var found: (TaskSummary, String, TaskTrigger, String, Int, String?)?
        for try await row in try await connection.query("""
            SELECT task_id, workflow, project, status, create_time, start_time, end_time,
                   env, attempt, trigger_kind, triggered_by, arguments, origin
            FROM tasks WHERE id = \(pk)
            """, logger: logger).decode((Int64, String, String, String, Int64, Int64, Int64, String, Int, String, String, String, String?).self) {
            let summary = TaskSummary(taskID: row.0, workflow: row.1, project: row.2, status: try status(row.3),
                                      createTime: row.4, startTime: row.5, endTime: row.6)
            found = (summary, row.7, try trigger(row.9, row.10), row.11, row.8, row.12)
        }
        guard let (summary, env, trigger, argumentsText, attempt, originText) = found else {
            throw StoreError(operation: "load task", detail: "no task row \(pk)")
        }
        let stages = try await loadStages(pk: pk, on: connection, logger: logger)
        var attempts: [TaskAttempt] = []
        for try await row in try await connection.query("""
            SELECT attempt, status, trigger_kind, triggered_by, create_time, start_time, end_time, cancelled_by
            FROM task_attempts WHERE task_pk = \(pk) ORDER BY attempt
            """, logger: logger).decode((Int, String, String, String, Int64, Int64, Int64, String?).self) {
            attempts.append(TaskAttempt(number: row.0, trigger: try self.trigger(row.2, row.3), status: try status(row.1),
                                        createTime: row.4, startTime: row.5, endTime: row.6, cancelledBy: row.7,
                                        stages: stages[row.0] ?? []))
        }
        let arguments = try JSONDecoder().decode(TaskArguments.self, from: Data(argumentsText.utf8))
        let origin = try originText.map { try JSONDecoder().decode(TaskOrigin.self, from: Data($0.utf8)) }
        return TaskRecord(summary: summary, env: env, trigger: trigger, arguments: arguments, attempt: attempt,
                          attempts: attempts, origin: origin)
    }

    static func cancel(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64,
                       on connection: PostgresConnection, logger: Logger) async throws -> TaskRecord {
        let (pk, current, next) = try await transition(workflow: workflow, taskID: taskID, on: .cancel, connection, logger)
        let stages = TaskPlanner.cancelledStages(from: current.currentStages, at: time)
        try await connection.query("UPDATE tasks SET status = \(next.rawValue), end_time = \(time) WHERE id = \(pk)", logger: logger)
        try await connection.query("""
            UPDATE task_attempts SET status = \(next.rawValue), end_time = \(time), cancelled_by = \(trigger.by)
            WHERE task_pk = \(pk) AND attempt = \(current.attempt)
            """, logger: logger)
        try await replaceStages(stages, pk: pk, attempt: current.attempt, on: connection, logger: logger)
        try await PostgresOutboxRows.want(next, pk: pk, attempt: current.attempt, on: connection, logger: logger)
        return try await load(pk: pk, on: connection, logger: logger)
    }

    static func restart(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64,
                        on connection: PostgresConnection, logger: Logger) async throws -> TaskRecord {
        let (pk, current, next) = try await transition(workflow: workflow, taskID: taskID, on: .restart, connection, logger)
        let attempt = current.attempt + 1
        try await connection.query("""
            UPDATE tasks SET status = \(next.rawValue), attempt = \(attempt), start_time = 0, end_time = 0 WHERE id = \(pk)
            """, logger: logger)
        try await insertAttempt(pk: pk, number: attempt, trigger: trigger, createTime: time, on: connection, logger: logger)
        try await insertStages(TaskPlanner.restartStages(from: current.currentStages), pk: pk, attempt: attempt,
                               on: connection, logger: logger)
        try await PostgresOutboxRows.want(next, pk: pk, attempt: attempt, on: connection, logger: logger)
        return try await load(pk: pk, on: connection, logger: logger)
    }

    /// The task, locked for the rest of the transaction, and the status the core gives it on `event`.
    private static func transition(workflow: String, taskID: Int64, on event: TaskEvent, _ connection: PostgresConnection,
                                   _ logger: Logger) async throws -> (Int64, TaskRecord, TaskStatus) {
        guard let pk = try await primaryKey(workflow: workflow, taskID: taskID, lock: true, on: connection, logger: logger) else {
            throw TaskOperationFailure.taskNotFound(workflow: workflow, taskID: taskID)
        }
        let current = try await load(pk: pk, on: connection, logger: logger)
        do {
            return (pk, current, try TaskStateMachine.next(after: current.summary.status, on: event))
        } catch {
            throw TaskOperationFailure.illegalTransition(workflow: workflow, taskID: taskID, error)
        }
    }

    private static func insertAttempt(pk: Int64, number: Int, trigger: TaskTrigger, createTime: Int64,
                                      on connection: PostgresConnection, logger: Logger) async throws {
        try await insertAttempts([(pk, number, trigger, createTime)], on: connection, logger: logger)
    }

    private static func insertAttempts(_ attempts: [(pk: Int64, number: Int, trigger: TaskTrigger, createTime: Int64)],
                                       on connection: PostgresConnection, logger: Logger) async throws {
        try await insertRows(PostgresMultiRowInsert(table: "task_attempts", columns: ["task_pk", "attempt", "status", "trigger_kind",
                                                                                      "triggered_by", "create_time"]),
                             attempts, on: connection, logger: logger) { row, bindings in
            bindings.append(row.pk)
            bindings.append(row.number)
            bindings.append(TaskStatus.created.rawValue)
            bindings.append(row.trigger.kind.rawValue)
            bindings.append(row.trigger.by)
            bindings.append(row.createTime)
        }
    }

    static func replaceStages(_ stages: [StageRecord], pk: Int64, attempt: Int, on connection: PostgresConnection,
                              logger: Logger) async throws {
        try await connection.query("DELETE FROM task_jobs WHERE task_pk = \(pk) AND attempt = \(attempt)", logger: logger)
        try await connection.query("DELETE FROM task_stages WHERE task_pk = \(pk) AND attempt = \(attempt)", logger: logger)
        try await insertStages(stages, pk: pk, attempt: attempt, on: connection, logger: logger)
    }

    private static func insertStages(_ stages: [StageRecord], pk: Int64, attempt: Int, on connection: PostgresConnection,
                                     logger: Logger) async throws {
        try await insertStages([(pk, attempt, stages)], on: connection, logger: logger)
    }

    private static func insertStages(_ attempts: [(pk: Int64, attempt: Int, stages: [StageRecord])], on connection: PostgresConnection,
                                     logger: Logger) async throws {
        let stages = attempts.flatMap { pk, attempt, stages in
            stages.enumerated().map { (pk: pk, attempt: attempt, position: $0.offset, stage: $0.element) }
        }
        try await insertRows(PostgresMultiRowInsert(table: "task_stages", columns: ["task_pk", "attempt", "position", "name", "status",
                                                                                    "start_time", "end_time"]),
                             stages, on: connection, logger: logger) { row, bindings in
            bindings.append(row.pk)
            bindings.append(row.attempt)
            bindings.append(row.position)
            bindings.append(row.stage.name)
            bindings.append(row.stage.status.rawValue)
            bindings.append(row.stage.startTime)
            bindings.append(row.stage.endTime)
        }
        let jobs = stages.flatMap { stage in
            stage.stage.jobs.enumerated().map { (pk: stage.pk, attempt: stage.attempt, stage: stage.position, position: $0.offset, job: $0.element) }
        }
        try await insertRows(PostgresMultiRowInsert(table: "task_jobs", columns: ["task_pk", "attempt", "stage_position", "position", "name",
                                                                                  "kind", "target", "status", "start_time", "end_time",
                                                                                  "error", "image"]),
                             jobs, on: connection, logger: logger) { row, bindings in
            bindings.append(row.pk)
            bindings.append(row.attempt)
            bindings.append(row.stage)
            bindings.append(row.position)
            bindings.append(row.job.name)
            bindings.append(row.job.kind.rawValue)
            bindings.append(row.job.target)
            bindings.append(row.job.status.rawValue)
            bindings.append(row.job.startTime)
            bindings.append(row.job.endTime)
            bindings.append(row.job.error)
            bindings.append(row.job.image)
        }
    }

    /// Stages of every attempt, keyed by attempt number.
    private static func loadStages(pk: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [Int: [StageRecord]] {
        var jobs: [Int: [Int: [JobRecord]]] = [:]
        for try await row in try await connection.query("""
            SELECT attempt, stage_position, name, kind, target, status, start_time, end_time, error, image
            FROM task_jobs WHERE task_pk = \(pk) ORDER BY attempt, stage_position, position
            """, logger: logger).decode((Int, Int, String, String, String, String, Int64, Int64, String?, String?).self) {
            guard let kind = JobKind(rawValue: row.3) else {
                throw StoreError(operation: "load jobs", detail: "unknown job kind \(row.3)")
            }
            let job = JobRecord(name: row.2, kind: kind, target: row.4, status: try status(row.5), startTime: row.6,
                                endTime: row.7, error: row.8, image: row.9)
            jobs[row.0, default: [:]][row.1, default: []].append(job)
        }
        var stages: [Int: [StageRecord]] = [:]
        for try await row in try await connection.query("""
            SELECT attempt, position, name, status, start_time, end_time
            FROM task_stages WHERE task_pk = \(pk) ORDER BY attempt, position
            """, logger: logger).decode((Int, Int, String, String, Int64, Int64).self) {
            stages[row.0, default: []].append(StageRecord(name: row.2, status: try status(row.3), startTime: row.4, endTime: row.5,
                                                          jobs: jobs[row.0]?[row.1] ?? []))
        }
        return stages
    }

    static func summaries(_ rows: PostgresRowSequence) async throws -> [TaskSummary] {
        var summaries: [TaskSummary] = []
        var previous: Int64?
        for try await row in rows.decode((Int64, Int64, String, String, String, Int64, Int64, Int64).self) {
            // A task that built two commits sharing a prefix comes twice, side by side.
            if row.0 == previous { continue }
            previous = row.0
            summaries.append(TaskSummary(taskID: row.1, workflow: row.2, project: row.3, status: try status(row.4),
                                         createTime: row.5, startTime: row.6, endTime: row.7))
        }
        return summaries
    }

    static func trigger(_ kind: String, _ by: String) throws -> TaskTrigger {
        guard let kind = TriggerKind(rawValue: kind) else {
            throw StoreError(operation: "load task", detail: "unknown trigger kind \(kind)")
        }
        return TaskTrigger(kind: kind, by: by)
    }

    static func status(_ text: String) throws -> TaskStatus {
        guard let status = TaskStatus(rawValue: text) else {
            throw StoreError(operation: "load task", detail: "unknown status '\(text)'")
        }
        return status
    }

    /// The single value of a one-row answer.
    static func one<T: PostgresDecodable>(_ rows: PostgresRowSequence, _ type: T.Type, _ operation: String) async throws -> T {
        for try await value in rows.decode(T.self) { return value }
        throw StoreError(operation: operation, detail: "the database answered no row")
    }
}
