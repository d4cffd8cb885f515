import Logging
import PostgresNIO
import TrestleCore
import TrestleStore

/// The SQL of the GitLab outbox on PostgreSQL, inside a caller's transaction.
enum PostgresOutboxRows {
    /// Queues the commit status (and, at an end, the merge request note) a task's new status
    /// calls for, as `SQLiteCommitStatusRows.want`: only for tasks with a commit target, and never
    /// behind a later attempt's or a higher state.
    static func want(_ status: TaskStatus, pk: Int64, attempt: Int, on connection: PostgresConnection, logger: Logger) async throws {
        let state = CommitStatusState(status)
        var targeted = false
        for try await _ in try await connection.query("SELECT 1 FROM gitlab_commit_targets WHERE task_pk = \(pk)", logger: logger)
            .decode(Int.self) { targeted = true }
        guard targeted else { return }
        for try await (queuedAttempt, queuedState) in try await connection.query("""
            SELECT attempt, state FROM gitlab_commit_statuses WHERE task_pk = \(pk) ORDER BY id DESC LIMIT 1
            """, logger: logger).decode((Int, String).self) {
            if let queued = CommitStatusState(rawValue: queuedState) {
                guard attempt > queuedAttempt || (attempt == queuedAttempt && state.rank > queued.rank) else { return }
            }
        }
        try await connection.query("""
            INSERT INTO gitlab_commit_statuses (task_pk, attempt, state) VALUES (\(pk), \(attempt), \(state.rawValue))
            """, logger: logger)
        if status.isFinal {
            // One note per task on its merge request: a later attempt's end edits it.
            try await connection.query("""
                INSERT INTO gitlab_merge_request_notes (task_pk, attempt, status)
                SELECT task_pk, \(attempt), \(status.rawValue) FROM gitlab_commit_targets WHERE task_pk = \(pk) AND merge_request_iid IS NOT NULL
                ON CONFLICT (task_pk) DO UPDATE SET attempt = excluded.attempt, status = excluded.status,
                    tries = 0, next_time = 0, last_error = NULL
                """, logger: logger)
        }
    }

    static func start(_ target: CommitStatusTarget, pk: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let iid: Int? = target.notesMergeRequest ? target.mergeRequestIID : nil
        try await connection.query("""
            INSERT INTO gitlab_commit_targets (task_pk, repo, project_id, sha, ref, merge_request_iid)
            VALUES (\(pk), \(target.repo), \(target.projectID), \(target.sha.hex), \(target.ref), \(iid))
            """, logger: logger)
        try await connection.query("INSERT INTO gitlab_commit_statuses (task_pk, attempt, state) VALUES (\(pk), 1, 'pending')",
                                   logger: logger)
    }

    /// As `SQLiteCommitStatusRows.due`: superseded statuses marked first, then the oldest unsent
    /// status of each task whose retry time has come.
    static func due(now: Int64, limit: Int, claimingUntil: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> [CommitStatusSend] {
        try await connection.query("""
            UPDATE gitlab_commit_statuses SET done = 3, last_error = 'superseded by a newer task of this workflow for the commit'
            WHERE done = 0 AND EXISTS (
                SELECT 1 FROM gitlab_commit_targets g JOIN tasks t ON t.id = g.task_pk
                JOIN gitlab_commit_targets n ON n.sha = g.sha AND n.repo = g.repo AND n.ref = g.ref AND n.task_pk <> g.task_pk
                JOIN tasks nt ON nt.id = n.task_pk AND nt.workflow = t.workflow
                WHERE g.task_pk = gitlab_commit_statuses.task_pk
                  AND (SELECT max(id) FROM gitlab_commit_statuses p WHERE p.task_pk = n.task_pk AND p.state = 'pending')
                    > (SELECT max(id) FROM gitlab_commit_statuses p WHERE p.task_pk = g.task_pk AND p.state = 'pending'))
            """, logger: logger)
        var sends: [CommitStatusSend] = []
        // Claimed: the row's retry time moves to the claim's end and its lock makes other
        // processes skip it; the task's later statuses wait, as each task's oldest unsent goes first.
        let claim: PostgresQuery = if let claimingUntil {
            """
            WITH due AS (
                SELECT s.id FROM gitlab_commit_statuses s
                WHERE s.done = 0 AND s.next_time <= \(now)
                  AND s.id = (SELECT min(o.id) FROM gitlab_commit_statuses o WHERE o.task_pk = s.task_pk AND o.done = 0)
                ORDER BY s.id LIMIT \(limit) FOR UPDATE OF s SKIP LOCKED),
            claimed AS (
                UPDATE gitlab_commit_statuses c SET next_time = \(claimingUntil) FROM due WHERE c.id = due.id
                RETURNING c.id, c.task_pk, c.attempt, c.state, c.tries)
            SELECT s.id, s.attempt, s.state, s.tries, g.repo, g.project_id, g.sha, g.ref,
                   t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
            FROM claimed s
            JOIN gitlab_commit_targets g ON g.task_pk = s.task_pk
            JOIN tasks t ON t.id = s.task_pk
            ORDER BY s.id
            """
        } else {
            """
            SELECT s.id, s.attempt, s.state, s.tries, g.repo, g.project_id, g.sha, g.ref,
                   t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
            FROM gitlab_commit_statuses s
            JOIN gitlab_commit_targets g ON g.task_pk = s.task_pk
            JOIN tasks t ON t.id = s.task_pk
            WHERE s.done = 0 AND s.next_time <= \(now)
              AND s.id = (SELECT min(o.id) FROM gitlab_commit_statuses o WHERE o.task_pk = s.task_pk AND o.done = 0)
            ORDER BY s.id LIMIT \(limit)
            """
        }
        for try await row in try await connection.query(claim, logger: logger).decode((Int64, Int, String, Int, String, Int64, String, String,
                                         Int64, String, String, String, Int64, Int64, Int64).self) {
            guard let state = CommitStatusState(rawValue: row.2), let sha = CommitID(row.6) else { continue }
            let task = TaskSummary(taskID: row.8, workflow: row.9, project: row.10, status: try PostgresTaskRows.status(row.11),
                                   createTime: row.12, startTime: row.13, endTime: row.14)
            sends.append(CommitStatusSend(id: row.0, task: task, attempt: row.1,
                                          target: CommitStatusTarget(repo: row.4, projectID: Int(row.5), sha: sha, ref: row.7),
                                          state: state, tries: row.3))
        }
        return sends
    }

    static func sent(_ send: CommitStatusSend, error: String?, retryAt: Int64?, on connection: PostgresConnection,
                     logger: Logger) async throws {
        if let error, let retryAt {
            try await connection.query("""
                UPDATE gitlab_commit_statuses SET tries = tries + 1, next_time = \(retryAt), last_error = \(error) WHERE id = \(send.id)
                """, logger: logger)
        } else if let error {
            try await connection.query("UPDATE gitlab_commit_statuses SET done = 2, last_error = \(error) WHERE id = \(send.id)",
                                       logger: logger)
        } else {
            try await connection.query("UPDATE gitlab_commit_statuses SET done = 1 WHERE id = \(send.id)", logger: logger)
        }
    }

    static func dueNotes(now: Int64, limit: Int, claimingUntil: Int64?, on connection: PostgresConnection, logger: Logger) async throws -> [MergeRequestNoteSend] {
        var sends: [MergeRequestNoteSend] = []
        let claim: PostgresQuery = if let claimingUntil {
            """
            WITH due AS (
                SELECT task_pk FROM gitlab_merge_request_notes
                WHERE sent_attempt IS DISTINCT FROM attempt AND next_time <= \(now)
                ORDER BY task_pk LIMIT \(limit) FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE gitlab_merge_request_notes c SET next_time = \(claimingUntil) FROM due WHERE c.task_pk = due.task_pk
                RETURNING c.task_pk, c.note_id, c.attempt, c.status, c.tries)
            SELECT n.note_id, n.attempt, n.status, n.tries, g.repo, g.project_id, g.merge_request_iid,
                   t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
            FROM claimed n
            JOIN gitlab_commit_targets g ON g.task_pk = n.task_pk
            JOIN tasks t ON t.id = n.task_pk
            ORDER BY n.task_pk
            """
        } else {
            """
            SELECT n.note_id, n.attempt, n.status, n.tries, g.repo, g.project_id, g.merge_request_iid,
                   t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
            FROM gitlab_merge_request_notes n
            JOIN gitlab_commit_targets g ON g.task_pk = n.task_pk
            JOIN tasks t ON t.id = n.task_pk
            WHERE n.sent_attempt IS DISTINCT FROM n.attempt AND n.next_time <= \(now)
            ORDER BY n.task_pk LIMIT \(limit)
            """
        }
        for try await row in try await connection.query(claim, logger: logger).decode((Int64?, Int, String, Int, String, Int64, Int64?,
                                         Int64, String, String, String, Int64, Int64, Int64).self) {
            guard let status = TaskStatus(rawValue: row.2), let iid = row.6 else { continue }
            let task = TaskSummary(taskID: row.7, workflow: row.8, project: row.9, status: try PostgresTaskRows.status(row.10),
                                   createTime: row.11, startTime: row.12, endTime: row.13)
            sends.append(MergeRequestNoteSend(task: task, repo: row.4, projectID: Int(row.5), mergeRequestIID: Int(iid),
                                              noteID: row.0.map { Int($0) }, attempt: row.1, status: status, tries: row.3))
        }
        return sends
    }

    static func noteSent(_ send: MergeRequestNoteSend, noteID: Int?, error: String?, retryAt: Int64?,
                         on connection: PostgresConnection, logger: Logger) async throws {
        guard let pk = try await PostgresTaskRows.primaryKey(workflow: send.task.workflow, taskID: send.task.taskID,
                                                             on: connection, logger: logger) else { return }
        if let error, let retryAt {
            try await connection.query("""
                UPDATE gitlab_merge_request_notes SET tries = tries + 1, next_time = \(retryAt), last_error = \(error)
                WHERE task_pk = \(pk) AND attempt = \(send.attempt)
                """, logger: logger)
        } else {
            // The note's id is kept even if a later attempt ended meanwhile: that one edits it.
            let id = noteID.map { Int64($0) }
            try await connection.query("UPDATE gitlab_merge_request_notes SET note_id = coalesce(\(id), note_id) WHERE task_pk = \(pk)",
                                       logger: logger)
            try await connection.query("""
                UPDATE gitlab_merge_request_notes SET sent_attempt = attempt, last_error = \(error)
                WHERE task_pk = \(pk) AND attempt = \(send.attempt)
                """, logger: logger)
        }
    }

    static func record(pk: Int64, on connection: PostgresConnection, logger: Logger) async throws -> CommitStatusRecord? {
        var wanted: CommitStatusState?
        for try await state in try await connection.query("""
            SELECT state FROM gitlab_commit_statuses WHERE task_pk = \(pk) ORDER BY id DESC LIMIT 1
            """, logger: logger).decode(String.self) { wanted = CommitStatusState(rawValue: state) }
        guard let wanted else { return nil }
        var sent: CommitStatusState?
        for try await state in try await connection.query("""
            SELECT state FROM gitlab_commit_statuses WHERE task_pk = \(pk) AND done = 1 ORDER BY id DESC LIMIT 1
            """, logger: logger).decode(String.self) { sent = CommitStatusState(rawValue: state) }
        var lastError: String?
        for try await error in try await connection.query("""
            SELECT last_error FROM gitlab_commit_statuses WHERE task_pk = \(pk) AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1
            """, logger: logger).decode(String.self) { lastError = error }
        return CommitStatusRecord(wanted: wanted, sent: sent, lastError: lastError)
    }
}
