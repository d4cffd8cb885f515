import GRDB
import TrestleCore
import TrestleStore

/// The SQL of the executor's claims and progress, inside a caller's write transaction.
enum SQLiteRunRows {
    /// Created tasks, oldest first, moved to `running` for `runner` while the limits allow.
    static func claim(_ limits: RunLimits, runner: String, at time: Int64, db: Database) throws -> [TaskRecord] {
        var running: [String: Int] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT workflow, count(*) AS n FROM tasks WHERE status = 'running' GROUP BY workflow
            """)) {
            running[row["workflow"]] = row["n"]
        }
        let lookAhead = ClaimAdmission.lookAhead(running: running, limits: limits)
        guard lookAhead > 0 else { return [] }
        let candidates = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, workflow FROM tasks WHERE status = 'created' ORDER BY id LIMIT ?
            """), arguments: [lookAhead]).map { ClaimAdmission.Candidate(key: $0["id"], workflow: $0["workflow"]) }
        var claimed: [TaskRecord] = []
        let started = try TaskStateMachine.next(after: .created, on: .start).rawValue
        for candidate in ClaimAdmission.admit(candidates, running: running, limits: limits) {
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
    static func failInterrupted(runner: String?, reason: String, requeue: Set<String>, at time: Int64,
                                db: Database) throws -> [TaskSummary] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, attempt, workflow, task_id FROM tasks
            WHERE status = 'running' AND (? IS NULL OR runner = ? OR runner IS NULL)
            """, arguments: [runner, runner])
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
}
