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
}
