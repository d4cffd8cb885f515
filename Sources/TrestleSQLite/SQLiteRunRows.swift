import GRDB
import TrestleCore
import TrestleStore

/// The SQL of the executor's claims and progress, inside a caller's write transaction.
enum SQLiteRunRows {
    /// Created tasks, oldest first, moved to `running` for `runner` while the limits allow.
    static func claim(_ limits: RunLimits, runner: String, at time: Int64, db: Database) throws -> [TaskRecord] {
        var running: [String: Int] = [:]
        var mine = 0
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT workflow, count(*) AS n, count(*) FILTER (WHERE runner = ?) AS mine FROM tasks WHERE status = 'running' GROUP BY workflow
            """), arguments: [runner]) {
            running[row["workflow"]] = row["n"]
            mine += row["mine"] as Int
        }
        let lookAhead = ClaimAdmission.lookAhead(mine: mine, limits: limits)
        guard lookAhead > 0 else { return [] }
        let candidates = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, workflow FROM tasks WHERE status = 'created' ORDER BY id LIMIT ?
            """), arguments: [lookAhead]).map { ClaimAdmission.Candidate(key: $0["id"], workflow: $0["workflow"]) }
        var claimed: [TaskRecord] = []
        let started = try TaskStateMachine.next(after: .created, on: .start).rawValue
        for candidate in ClaimAdmission.admit(candidates, running: running, mine: mine, limits: limits) {
            let pk = candidate.key
            try db.cachedStatement(sql: """
                UPDATE tasks SET status = ?, start_time = ?, end_time = 0, runner = ? WHERE id = ? AND status = 'created'
                """).execute(arguments: [started, time, runner, pk])
            guard db.changesCount == 1 else { continue }
            try db.cachedStatement(sql: """
                UPDATE task_attempts SET status = ?, start_time = ?
                WHERE task_pk = ? AND attempt = (SELECT attempt FROM tasks WHERE id = ?)
                """).execute(arguments: [started, time, pk, pk])
            let claimedTask = try SQLiteTaskRows.load(pk: pk, db: db)
            try SQLiteCommitStatusRows.want(.running, pk: pk, attempt: claimedTask.attempt, db: db)
            claimed.append(claimedTask)
        }
        // In the claim's transaction: a task never runs for a runner that is not registered.
        if !claimed.isEmpty { _ = try heartbeat(runner: runner, at: time, db: db) }
        return claimed
    }

    /// Replaces the attempt's stages and, with `ending`, ends the task; nothing is written, and
    /// false answered, when the task is no longer this attempt running (cancelled or restarted).
    static func record(workflow: String, taskID: Int64, attempt: Int, stages: [StageRecord], changes: StageChanges? = nil,
                       ending: TaskStatus?, at time: Int64, db: Database) throws -> Bool {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT id, status, attempt FROM tasks WHERE workflow = ? AND task_id = ?
            """), arguments: [workflow, taskID]) else { return false }
        let pk: Int64 = row["id"]
        guard row["status"] == TaskStatus.running.rawValue, row["attempt"] == attempt else { return false }
        if let changes {
            try SQLiteTaskRows.updateStages(stages, changes: changes, pk: pk, attempt: attempt, db: db)
        } else {
            try SQLiteTaskRows.replaceStages(stages, pk: pk, attempt: attempt, db: db)
        }
        if let ending {
            guard let status = try? TaskStateMachine.next(after: .running, on: .ending(as: ending)) else {
                throw StoreError(operation: "end task \(taskID) of \(workflow)", detail: "'\(ending.rawValue)' is not an ending")
            }
            try db.execute(sql: "UPDATE tasks SET status = ?, end_time = ? WHERE id = ?", arguments: [status.rawValue, time, pk])
            try db.execute(sql: "UPDATE task_attempts SET status = ?, end_time = ? WHERE task_pk = ? AND attempt = ?",
                           arguments: [status.rawValue, time, pk, attempt])
            try SQLiteCommitStatusRows.want(status, pk: pk, attempt: attempt, db: db)
        }
        return true
    }

    /// Tasks left `running` by an executor that is gone: their unfinished jobs fail with `reason`,
    /// and so do the tasks.
    /// With `unowned`, also those running for no runner (claimed before runners were recorded).
    static func failInterrupted(runner: String?, reason: String, requeue: Set<String>, at time: Int64,
                                unowned: Bool = true, db: Database) throws -> [TaskSummary] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, attempt, workflow, task_id FROM tasks
            WHERE status = 'running' AND (? IS NULL OR runner = ? OR (? AND runner IS NULL))
            """, arguments: [runner, runner, unowned])
        var failed: [TaskSummary] = []
        for row in rows {
            let pk: Int64 = row["id"]
            let attempt: Int = row["attempt"]
            let task = try SQLiteTaskRows.load(pk: pk, db: db)
            let stages = TaskProgress.ending(task.currentStages, as: .failed, reason: reason, at: time)
            try SQLiteTaskRows.replaceStages(stages, pk: pk, attempt: attempt, db: db)
            try db.execute(sql: "UPDATE tasks SET status = 'failed', end_time = ? WHERE id = ?", arguments: [time, pk])
            try db.execute(sql: "UPDATE task_attempts SET status = 'failed', end_time = ? WHERE task_pk = ? AND attempt = ?",
                           arguments: [time, pk, attempt])
            try SQLiteCommitStatusRows.want(.failed, pk: pk, attempt: attempt, db: db)
            if requeue.contains(row["workflow"]) {
                let again = try SQLiteTaskRows.restart(workflow: row["workflow"], taskID: row["task_id"],
                                                       by: TaskTrigger(kind: .restart, by: reason), at: time, db: db)
                failed.append(again.summary)
                continue
            }
            var summary = task.summary
            summary.status = .failed
            summary.endTime = time
            failed.append(summary)
        }
        return failed
    }

    /// Registers the runner or records its heartbeat; true when it was registered already.
    static func heartbeat(runner: String, at time: Int64, db: Database) throws -> Bool {
        try db.cachedStatement(sql: "UPDATE runners SET heartbeat_time = ? WHERE name = ?").execute(arguments: [time, runner])
        guard db.changesCount == 0 else { return true }
        try db.cachedStatement(sql: "INSERT INTO runners (name, started_time, heartbeat_time) VALUES (?, ?, ?)")
            .execute(arguments: [runner, time, time])
        return false
    }

    /// As `RunStore.failLostRunners`: the runners whose heartbeat is too old are removed, and each
    /// lost runner's running tasks fail with its reason.
    static func failLost(heartbeatBefore before: Int64, requeue: Set<String>, at time: Int64, db: Database) throws -> [LostTask] {
        var lost = try String.fetchAll(db, sql: "SELECT name FROM runners WHERE heartbeat_time < ? ORDER BY name", arguments: [before])
        try db.execute(sql: "DELETE FROM runners WHERE heartbeat_time < ?", arguments: [before])
        lost += try String.fetchAll(db, sql: """
            SELECT DISTINCT runner FROM tasks WHERE status = 'running' AND runner IS NOT NULL
              AND runner NOT IN (SELECT name FROM runners) ORDER BY runner
            """)
        var tasks: [LostTask] = []
        for runner in Set(lost).sorted() {
            tasks += try failInterrupted(runner: runner, reason: RunnerLease.lostReason(runner), requeue: requeue, at: time,
                                         unowned: false, db: db).map { LostTask(runner: runner, task: $0) }
        }
        return tasks
    }
}
