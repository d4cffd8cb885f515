import Logging
import PostgresNIO
import TrestleCore
import TrestleStore

/// The SQL of the executor's claims and progress on PostgreSQL, inside a caller's transaction.
enum PostgresRunRows {
    /// Claims from many executors take turns on this transaction lock, so the limits `ClaimAdmission`
    /// applies to what runs are never exceeded by two claims counting at once.
    static let claimLock: Int64 = 0x74_72_65_73_74_6c_63

    static func claim(_ limits: RunLimits, runner: String, at time: Int64, on connection: PostgresConnection,
                      logger: Logger) async throws -> [TaskRecord] {
        try await connection.query("SELECT pg_advisory_xact_lock(\(claimLock))", logger: logger)
        var running: [String: Int] = [:]
        var mine = 0
        for try await (workflow, count, own) in try await connection.query("""
            SELECT workflow, count(*)::BIGINT, (count(*) FILTER (WHERE runner = \(runner)))::BIGINT
            FROM tasks WHERE status = 'running' GROUP BY workflow
            """, logger: logger).decode((String, Int64, Int64).self) {
            running[workflow] = Int(count)
            mine += Int(own)
        }
        let lookAhead = ClaimAdmission.lookAhead(mine: mine, limits: limits)
        guard lookAhead > 0 else { return [] }
        var candidates: [ClaimAdmission.Candidate] = []
        // SKIP LOCKED: a created task being cancelled or restarted elsewhere is left for the next claim.
        for try await (key, workflow) in try await connection.query("""
            SELECT id, workflow FROM tasks WHERE status = 'created' ORDER BY id LIMIT \(lookAhead) FOR UPDATE SKIP LOCKED
            """, logger: logger).decode((Int64, String).self) {
            candidates.append(ClaimAdmission.Candidate(key: key, workflow: workflow))
        }
        let started = try TaskStateMachine.next(after: .created, on: .start).rawValue
        var claimed: [TaskRecord] = []
        for candidate in ClaimAdmission.admit(candidates, running: running, mine: mine, limits: limits) {
            let pk = candidate.key
            var attempt: Int?
            for try await value in try await connection.query("""
                UPDATE tasks SET status = \(started), start_time = \(time), end_time = 0, runner = \(runner)
                WHERE id = \(pk) AND status = 'created' RETURNING attempt
                """, logger: logger).decode(Int.self) { attempt = value }
            guard let attempt else { continue }
            try await connection.query("""
                UPDATE task_attempts SET status = \(started), start_time = \(time) WHERE task_pk = \(pk) AND attempt = \(attempt)
                """, logger: logger)
            try await PostgresOutboxRows.want(.running, pk: pk, attempt: attempt, on: connection, logger: logger)
            claimed.append(try await PostgresTaskRows.load(pk: pk, on: connection, logger: logger))
        }
        // In the claim's transaction: a task never runs for a runner that is not registered.
        if !claimed.isEmpty { _ = try await heartbeat(runner: runner, at: time, on: connection, logger: logger) }
        return claimed
    }

    /// As `SQLiteRunRows.record`: nothing written, and false answered, when the task is no longer
    /// this attempt running.
    static func record(workflow: String, taskID: Int64, attempt: Int, stages: [StageRecord], changes: StageChanges?,
                       ending: TaskStatus?, at time: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        var found: (Int64, String, Int)?
        for try await row in try await connection.query("""
            SELECT id, status, attempt FROM tasks WHERE workflow = \(workflow) AND task_id = \(taskID) FOR UPDATE
            """, logger: logger).decode((Int64, String, Int).self) { found = row }
        guard let (pk, status, current) = found, status == TaskStatus.running.rawValue, current == attempt else { return false }
        if let changes {
            try await updateStages(stages, changes: changes, pk: pk, attempt: attempt, on: connection, logger: logger)
        } else {
            try await PostgresTaskRows.replaceStages(stages, pk: pk, attempt: attempt, on: connection, logger: logger)
        }
        if let ending {
            guard let status = try? TaskStateMachine.next(after: .running, on: .ending(as: ending)) else {
                throw StoreError(operation: "end task \(taskID) of \(workflow)", detail: "'\(ending.rawValue)' is not an ending")
            }
            try await connection.query("UPDATE tasks SET status = \(status.rawValue), end_time = \(time) WHERE id = \(pk)", logger: logger)
            try await connection.query("""
                UPDATE task_attempts SET status = \(status.rawValue), end_time = \(time) WHERE task_pk = \(pk) AND attempt = \(attempt)
                """, logger: logger)
            try await PostgresOutboxRows.want(status, pk: pk, attempt: attempt, on: connection, logger: logger)
        }
        return true
    }

    /// Only the rows `changes` names, each by its primary key.
    private static func updateStages(_ stages: [StageRecord], changes: StageChanges, pk: Int64, attempt: Int,
                                     on connection: PostgresConnection, logger: Logger) async throws {
        for index in changes.stages where stages.indices.contains(index) {
            let stage = stages[index]
            try await connection.query("""
                UPDATE task_stages SET status = \(stage.status.rawValue), start_time = \(stage.startTime), end_time = \(stage.endTime)
                WHERE task_pk = \(pk) AND attempt = \(attempt) AND position = \(index)
                """, logger: logger)
        }
        for address in changes.jobs where stages.indices.contains(address.stage)
            && stages[address.stage].jobs.indices.contains(address.job) {
            let job = stages[address.stage].jobs[address.job]
            try await connection.query("""
                UPDATE task_jobs SET status = \(job.status.rawValue), start_time = \(job.startTime), end_time = \(job.endTime),
                    error = \(job.error), image = \(job.image)
                WHERE task_pk = \(pk) AND attempt = \(attempt) AND stage_position = \(address.stage) AND position = \(address.job)
                """, logger: logger)
        }
    }

    /// With `unowned`, also those running for no runner (claimed before runners were recorded).
    static func failInterrupted(runner: String?, reason: String, requeue: Set<String>, at time: Int64, unowned: Bool = true,
                                on connection: PostgresConnection, logger: Logger) async throws -> [TaskSummary] {
        var rows: [(Int64, Int, String, Int64)] = []
        for try await row in try await connection.query("""
            SELECT id, attempt, workflow, task_id FROM tasks
            WHERE status = 'running' AND (\(runner)::TEXT IS NULL OR runner = \(runner) OR (\(unowned) AND runner IS NULL))
            FOR UPDATE
            """, logger: logger).decode((Int64, Int, String, Int64).self) { rows.append(row) }
        var failed: [TaskSummary] = []
        for (pk, attempt, workflow, taskID) in rows {
            let task = try await PostgresTaskRows.load(pk: pk, on: connection, logger: logger)
            let stages = TaskProgress.ending(task.currentStages, as: .failed, reason: reason, at: time)
            try await PostgresTaskRows.replaceStages(stages, pk: pk, attempt: attempt, on: connection, logger: logger)
            try await connection.query("UPDATE tasks SET status = 'failed', end_time = \(time) WHERE id = \(pk)", logger: logger)
            try await connection.query("""
                UPDATE task_attempts SET status = 'failed', end_time = \(time) WHERE task_pk = \(pk) AND attempt = \(attempt)
                """, logger: logger)
            try await PostgresOutboxRows.want(.failed, pk: pk, attempt: attempt, on: connection, logger: logger)
            if requeue.contains(workflow) {
                let again = try await PostgresTaskRows.restart(workflow: workflow, taskID: taskID,
                                                               by: TaskTrigger(kind: .restart, by: reason), at: time,
                                                               on: connection, logger: logger)
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

    /// Registers the runner or records its heartbeat; true when it was registered already
    /// (`xmax` is 0 on a row the upsert inserted).
    static func heartbeat(runner: String, at time: Int64, on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        var existed = false
        for try await inserted in try await connection.query("""
            INSERT INTO runners (name, started_time, heartbeat_time) VALUES (\(runner), \(time), \(time))
            ON CONFLICT (name) DO UPDATE SET heartbeat_time = excluded.heartbeat_time RETURNING (xmax = 0)
            """, logger: logger).decode(Bool.self) { existed = !inserted }
        return existed
    }

    /// As `RunStore.failLostRunners`. Two processes presuming at once take turns on the deleted rows
    /// and on the tasks' row locks, so each lost task is failed once.
    static func failLost(heartbeatBefore before: Int64, requeue: Set<String>, at time: Int64,
                         on connection: PostgresConnection, logger: Logger) async throws -> [LostTask] {
        var lost = Set<String>()
        for try await name in try await connection.query("""
            DELETE FROM runners WHERE heartbeat_time < \(before) RETURNING name
            """, logger: logger).decode(String.self) { lost.insert(name) }
        for try await name in try await connection.query("""
            SELECT DISTINCT runner FROM tasks WHERE status = 'running' AND runner IS NOT NULL
              AND runner NOT IN (SELECT name FROM runners)
            """, logger: logger).decode(String.self) { lost.insert(name) }
        var tasks: [LostTask] = []
        for runner in lost.sorted() {
            tasks += try await failInterrupted(runner: runner, reason: RunnerLease.lostReason(runner), requeue: requeue, at: time,
                                               unowned: false, on: connection, logger: logger).map { LostTask(runner: runner, task: $0) }
        }
        return tasks
    }
}
