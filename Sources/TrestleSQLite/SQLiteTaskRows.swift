import Foundation
import GRDB
import TrestleCore
import TrestleStore

/// The SQL of the task tables, inside a caller's transaction.
enum SQLiteTaskRows {
    /// The new row's primary key and the task id it was given.
    static func insert(_ task: NewTask, db: Database) throws -> (pk: Int64, taskID: Int64) {
        let taskID = try Int64.fetchOne(db, sql: """
            INSERT INTO workflow_sequences (workflow, last_task_id) VALUES (?, 1)
            ON CONFLICT (workflow) DO UPDATE SET last_task_id = last_task_id + 1
            RETURNING last_task_id
            """, arguments: [task.workflow])!
        try db.cachedStatement(sql: """
            INSERT INTO tasks (workflow, task_id, project, env, status, attempt, trigger_kind, triggered_by,
                               arguments, create_time, origin)
            VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?)
            """).execute(arguments: [task.workflow, taskID, task.project, task.env, TaskStatus.created.rawValue,
                                     task.trigger.kind.rawValue, task.trigger.by, try StoreJSON.text(task.arguments), task.createTime,
                                     try StoreJSON.text(task.origin)])
        let pk = db.lastInsertedRowID
        for commit in task.arguments.commitIDs {
            try db.cachedStatement(sql: "INSERT INTO task_commits (commit_id, task_pk) VALUES (?, ?)")
                .execute(arguments: [commit.hex, pk])
        }
        for built in task.arguments.repoCommits {
            try db.cachedStatement(sql: "INSERT INTO repo_commits (repo_name, task_pk, commit_id) VALUES (?, ?, ?)")
                .execute(arguments: [built.repoName, pk, built.commitID.hex])
        }
        if let branch = task.arguments.listedBranch {
            try db.cachedStatement(sql: "INSERT INTO task_branches (branch, task_pk) VALUES (?, ?)").execute(arguments: [branch, pk])
        }
        try insertAttempt(pk: pk, number: 1, trigger: task.trigger, createTime: task.createTime, db: db)
        let stages = task.stages.map { plan in
            StageRecord(name: plan.name, status: .created, jobs: plan.jobs.map {
                JobRecord(name: $0.name, kind: $0.kind, target: $0.target, status: .created)
            })
        }
        try insertStages(stages, pk: pk, attempt: 1, db: db)
        return (pk, taskID)
    }

    static func primaryKey(workflow: String, taskID: Int64, db: Database) throws -> Int64? {
        try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM tasks WHERE workflow = ? AND task_id = ?"),
                           arguments: [workflow, taskID])
    }

    /// Keyset pages on the row key: each filter is an equality, so an index on it and the key
    /// (the primary key alone, `tasks_by_status`, the workflow's, or `task_branches`) walks the page.
    static func list(_ query: TaskListQuery, db: Database) throws -> [TaskListEntry] {
        var conditions = ["id < ?"]
        var arguments: [any DatabaseValueConvertible] = [query.before ?? Int64.max]
        if let branch = query.branch {
            conditions.append("id IN (SELECT task_pk FROM task_branches WHERE branch = ?)")
            arguments.append(branch)
        }
        if let workflow = query.workflow {
            conditions.append("workflow = ?")
            arguments.append(workflow)
        }
        if let status = query.status {
            conditions.append("status = ?")
            arguments.append(status.rawValue)
        }
        arguments.append(max(0, min(query.limit, 500)))
        return try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, task_id, workflow, project, status, create_time, start_time, end_time,
                   attempt, trigger_kind, triggered_by, arguments, origin
            FROM tasks WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?
            """), arguments: StatementArguments(arguments)).map { row in
            let arguments = try JSONDecoder().decode(TaskArguments.self, from: Data((row["arguments"] as String).utf8))
            let origin = try (row["origin"] as String?).map { try JSONDecoder().decode(TaskOrigin.self, from: Data($0.utf8)) }
            return TaskListEntry(key: row["id"], summary: try summary(row), trigger: try trigger(row), attempt: row["attempt"],
                                 arguments: arguments, origin: origin ?? .api(arguments))
        }
    }

    static func load(pk: Int64, db: Database) throws -> TaskRecord {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT task_id, workflow, project, status, create_time, start_time, end_time,
                   env, attempt, trigger_kind, triggered_by, arguments, origin
            FROM tasks WHERE id = ?
            """, arguments: [pk]) else {
            throw StoreError(operation: "load task", detail: "no task row \(pk)")
        }
        let stages = try loadStages(pk: pk, db: db)
        let attempts = try Row.fetchAll(db, sql: """
            SELECT attempt, status, trigger_kind, triggered_by, create_time, start_time, end_time, cancelled_by
            FROM task_attempts WHERE task_pk = ? ORDER BY attempt
            """, arguments: [pk]).map { row in
            let number: Int = row["attempt"]
            return TaskAttempt(number: number, trigger: try trigger(row), status: try status(row["status"]),
                               createTime: row["create_time"], startTime: row["start_time"], endTime: row["end_time"],
                               cancelledBy: row["cancelled_by"], stages: stages[number] ?? [])
        }
        let arguments = try JSONDecoder().decode(TaskArguments.self, from: Data((row["arguments"] as String).utf8))
        let origin = try (row["origin"] as String?).map { try JSONDecoder().decode(TaskOrigin.self, from: Data($0.utf8)) }
        return TaskRecord(summary: try summary(row), env: row["env"], trigger: try trigger(row),
                          arguments: arguments, attempt: row["attempt"], attempts: attempts, origin: origin)
    }

    static func cancel(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64, db: Database) throws -> TaskRecord {
        let (pk, current, next) = try transition(workflow: workflow, taskID: taskID, on: .cancel, db: db)
        let stages = TaskPlanner.cancelledStages(from: current.currentStages, at: time)
        try db.execute(sql: "UPDATE tasks SET status = ?, end_time = ? WHERE id = ?",
                       arguments: [next.rawValue, time, pk])
        try db.execute(sql: """
            UPDATE task_attempts SET status = ?, end_time = ?, cancelled_by = ? WHERE task_pk = ? AND attempt = ?
            """, arguments: [next.rawValue, time, trigger.by, pk, current.attempt])
        try replaceStages(stages, pk: pk, attempt: current.attempt, db: db)
        try SQLiteCommitStatusRows.want(next, pk: pk, attempt: current.attempt, db: db)
        return try load(pk: pk, db: db)
    }

    static func restart(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64, db: Database) throws -> TaskRecord {
        let (pk, current, next) = try transition(workflow: workflow, taskID: taskID, on: .restart, db: db)
        let attempt = current.attempt + 1
        try db.execute(sql: "UPDATE tasks SET status = ?, attempt = ?, start_time = 0, end_time = 0 WHERE id = ?",
                       arguments: [next.rawValue, attempt, pk])
        try insertAttempt(pk: pk, number: attempt, trigger: trigger, createTime: time, db: db)
        try insertStages(TaskPlanner.restartStages(from: current.currentStages), pk: pk, attempt: attempt, db: db)
        try SQLiteCommitStatusRows.want(next, pk: pk, attempt: attempt, db: db)
        return try load(pk: pk, db: db)
    }

    /// The task, read inside the caller's write transaction (SQLite has one writer;
    /// PostgreSQL will use SELECT … FOR UPDATE here), and the status the core gives it on `event`.
    static func transition(workflow: String, taskID: Int64, on event: TaskEvent,
                                   db: Database) throws -> (Int64, TaskRecord, TaskStatus) {
        guard let pk = try primaryKey(workflow: workflow, taskID: taskID, db: db) else {
            throw TaskOperationFailure.taskNotFound(workflow: workflow, taskID: taskID)
        }
        let current = try load(pk: pk, db: db)
        do {
            return (pk, current, try TaskStateMachine.next(after: current.summary.status, on: event))
        } catch {
            throw TaskOperationFailure.illegalTransition(workflow: workflow, taskID: taskID, error)
        }
    }

    private static func insertAttempt(pk: Int64, number: Int, trigger: TaskTrigger, createTime: Int64, db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO task_attempts (task_pk, attempt, status, trigger_kind, triggered_by, create_time)
            VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [pk, number, TaskStatus.created.rawValue, trigger.kind.rawValue, trigger.by, createTime])
    }

    static func replaceStages(_ stages: [StageRecord], pk: Int64, attempt: Int, db: Database) throws {
        try db.execute(sql: "DELETE FROM task_jobs WHERE task_pk = ? AND attempt = ?", arguments: [pk, attempt])
        try db.execute(sql: "DELETE FROM task_stages WHERE task_pk = ? AND attempt = ?", arguments: [pk, attempt])
        try insertStages(stages, pk: pk, attempt: attempt, db: db)
    }

    /// Only the rows `changes` names, each by its primary key.
    static func updateStages(_ stages: [StageRecord], changes: StageChanges, pk: Int64, attempt: Int, db: Database) throws {
        for index in changes.stages where stages.indices.contains(index) {
            let stage = stages[index]
            try db.cachedStatement(sql: """
                UPDATE task_stages SET status = ?, start_time = ?, end_time = ? WHERE task_pk = ? AND attempt = ? AND position = ?
                """).execute(arguments: [stage.status.rawValue, stage.startTime, stage.endTime, pk, attempt, index])
        }
        for address in changes.jobs where stages.indices.contains(address.stage)
            && stages[address.stage].jobs.indices.contains(address.job) {
            let job = stages[address.stage].jobs[address.job]
            try db.cachedStatement(sql: """
                UPDATE task_jobs SET status = ?, start_time = ?, end_time = ?, error = ?, image = ?
                WHERE task_pk = ? AND attempt = ? AND stage_position = ? AND position = ?
                """).execute(arguments: [job.status.rawValue, job.startTime, job.endTime, job.error, job.image,
                                         pk, attempt, address.stage, address.job])
        }
    }

    private static func insertStages(_ stages: [StageRecord], pk: Int64, attempt: Int, db: Database) throws {
        for (stagePosition, stage) in stages.enumerated() {
            try db.cachedStatement(sql: """
                INSERT INTO task_stages (task_pk, attempt, position, name, status, start_time, end_time)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [pk, attempt, stagePosition, stage.name, stage.status.rawValue,
                                         stage.startTime, stage.endTime])
            for (position, job) in stage.jobs.enumerated() {
                try db.cachedStatement(sql: """
                    INSERT INTO task_jobs (task_pk, attempt, stage_position, position, name, kind, target, status,
                                           start_time, end_time, error, image)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """).execute(arguments: [pk, attempt, stagePosition, position, job.name, job.kind.rawValue,
                                             job.target, job.status.rawValue, job.startTime, job.endTime, job.error, job.image])
            }
        }
    }

    /// Stages of every attempt, keyed by attempt number.
    private static func loadStages(pk: Int64, db: Database) throws -> [Int: [StageRecord]] {
        var jobs: [Int: [Int: [JobRecord]]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT attempt, stage_position, name, kind, target, status, start_time, end_time, error, image
            FROM task_jobs WHERE task_pk = ? ORDER BY attempt, stage_position, position
            """, arguments: [pk]) {
            guard let kind = JobKind(rawValue: row["kind"]) else {
                throw StoreError(operation: "load jobs", detail: "unknown job kind \(row["kind"] as String)")
            }
            let job = JobRecord(name: row["name"], kind: kind, target: row["target"], status: try status(row["status"]),
                                startTime: row["start_time"], endTime: row["end_time"], error: row["error"], image: row["image"])
            jobs[row["attempt"], default: [:]][row["stage_position"], default: []].append(job)
        }
        var stages: [Int: [StageRecord]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT attempt, position, name, status, start_time, end_time
            FROM task_stages WHERE task_pk = ? ORDER BY attempt, position
            """, arguments: [pk]) {
            let attempt: Int = row["attempt"]
            stages[attempt, default: []].append(StageRecord(
                name: row["name"], status: try status(row["status"]), startTime: row["start_time"],
                endTime: row["end_time"], jobs: jobs[attempt]?[row["position"]] ?? []))
        }
        return stages
    }

    static func summary(_ row: Row) throws -> TaskSummary {
        TaskSummary(taskID: row["task_id"], workflow: row["workflow"], project: row["project"],
                    status: try status(row["status"]), createTime: row["create_time"],
                    startTime: row["start_time"], endTime: row["end_time"])
    }

    private static func trigger(_ row: Row) throws -> TaskTrigger {
        guard let kind = TriggerKind(rawValue: row["trigger_kind"]) else {
            throw StoreError(operation: "load task", detail: "unknown trigger kind \(row["trigger_kind"] as String)")
        }
        return TaskTrigger(kind: kind, by: row["triggered_by"])
    }

    private static func status(_ text: String) throws -> TaskStatus {
        guard let status = TaskStatus(rawValue: text) else {
            throw StoreError(operation: "load task", detail: "unknown status '\(text)'")
        }
        return status
    }
}
