import GRDB
import TrestleCore
import TrestleStore

/// The commit statuses of webhook tasks, queued for GitLab in the transactions that change the
/// tasks: a first-in-first-out queue per task, sent in order. Within an attempt a state is queued
/// only above the highest one queued before, so a late `running` never follows `success`; a
/// restart (a higher attempt) starts again from `pending`. Across tasks, GitLab keeps one status per
/// commit, ref and name (the workflow): once a task of the workflow starts later for the same commit
/// and ref (created or restarted later), an older one's unsent statuses are superseded and never
/// sent, so a late end cannot overwrite the newer one's.
enum SQLiteCommitStatusRows {
    static func start(_ target: CommitStatusTarget, pk: Int64, db: Database) throws {
        try db.execute(sql: """
            INSERT INTO gitlab_commit_targets (task_pk, repo, project_id, sha, ref, merge_request_iid) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [pk, target.repo, target.projectID, target.sha.hex, target.ref,
                             target.notesMergeRequest ? target.mergeRequestIID : nil])
        try db.execute(sql: "INSERT INTO gitlab_commit_statuses (task_pk, attempt, state) VALUES (?, 1, 'pending')",
                       arguments: [pk])
    }

    /// Queues the task's `attempt` now being `status`; a no-op for tasks without a commit target.
    static func want(_ status: TaskStatus, pk: Int64, attempt: Int, db: Database) throws {
        let state = CommitStatusState(status)
        guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM gitlab_commit_targets WHERE task_pk = ?"),
                                arguments: [pk]) == true else { return }
        let highest = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT attempt, state FROM gitlab_commit_statuses WHERE task_pk = ? ORDER BY id DESC LIMIT 1
            """), arguments: [pk])
        if let highest, let queued = CommitStatusState(rawValue: highest["state"]) {
            let queuedAttempt: Int = highest["attempt"]
            guard attempt > queuedAttempt || (attempt == queuedAttempt && state.rank > queued.rank) else { return }
        }
        try db.cachedStatement(sql: "INSERT INTO gitlab_commit_statuses (task_pk, attempt, state) VALUES (?, ?, ?)")
            .execute(arguments: [pk, attempt, state.rawValue])
        if status.isFinal {
            // One note per task on its merge request: a later attempt's end edits it.
            try db.cachedStatement(sql: """
                INSERT INTO gitlab_merge_request_notes (task_pk, attempt, status)
                SELECT task_pk, ?, ? FROM gitlab_commit_targets WHERE task_pk = ? AND merge_request_iid IS NOT NULL
                ON CONFLICT (task_pk) DO UPDATE SET attempt = excluded.attempt, status = excluded.status,
                    tries = 0, next_time = 0, last_error = NULL
                """).execute(arguments: [attempt, status.rawValue, pk])
        }
    }

    /// Merge request notes to post or edit now.
    static func dueNotes(now: Int64, limit: Int, db: Database) throws -> [MergeRequestNoteSend] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT n.note_id, n.attempt, n.status AS note_status, n.tries, g.repo, g.project_id, g.merge_request_iid,
                   t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
            FROM gitlab_merge_request_notes n
            JOIN gitlab_commit_targets g ON g.task_pk = n.task_pk
            JOIN tasks t ON t.id = n.task_pk
            WHERE n.sent_attempt IS NOT n.attempt AND n.next_time <= ?
            ORDER BY n.task_pk LIMIT ?
            """), arguments: [now, limit]).compactMap { row in
            guard let status = TaskStatus(rawValue: row["note_status"]) else { return nil }
            return MergeRequestNoteSend(task: try SQLiteTaskRows.summary(row), repo: row["repo"], projectID: row["project_id"],
                                        mergeRequestIID: row["merge_request_iid"], noteID: row["note_id"],
                                        attempt: row["attempt"], status: status, tries: row["tries"])
        }
    }

    /// After a note was posted (its id kept for later edits) or failed (retried at `retryAt`, or given up when nil).
    static func noteSent(_ send: MergeRequestNoteSend, noteID: Int?, error: String?, retryAt: Int64?, db: Database) throws {
        guard let pk = try SQLiteTaskRows.primaryKey(workflow: send.task.workflow, taskID: send.task.taskID, db: db) else { return }
        if let error, let retryAt {
            try db.execute(sql: """
                UPDATE gitlab_merge_request_notes SET tries = tries + 1, next_time = ?, last_error = ? WHERE task_pk = ? AND attempt = ?
                """, arguments: [retryAt, error, pk, send.attempt])
        } else {
            // The note's id is kept even if a later attempt ended meanwhile: that one edits it.
            try db.execute(sql: "UPDATE gitlab_merge_request_notes SET note_id = coalesce(?, note_id) WHERE task_pk = ?",
                           arguments: [noteID, pk])
            try db.execute(sql: """
                UPDATE gitlab_merge_request_notes SET sent_attempt = attempt, last_error = ? WHERE task_pk = ? AND attempt = ?
                """, arguments: [error, pk, send.attempt])
        }
    }

    /// The oldest unsent status of each task whose retry time has come. First, unsent statuses of
    /// a task are marked superseded (done = 3) when another task of the same workflow, commit and
    /// ref started later: its newest `pending` (queued at creation and at each restart) is newer.
    static func due(now: Int64, limit: Int, db: Database) throws -> [CommitStatusSend] {
        try db.cachedStatement(sql: """
            UPDATE gitlab_commit_statuses SET done = 3, last_error = 'superseded by a newer task of this workflow for the commit'
            WHERE done = 0 AND EXISTS (
                SELECT 1 FROM gitlab_commit_targets g JOIN tasks t ON t.id = g.task_pk
                JOIN gitlab_commit_targets n ON n.sha = g.sha AND n.repo = g.repo AND n.ref = g.ref AND n.task_pk <> g.task_pk
                JOIN tasks nt ON nt.id = n.task_pk AND nt.workflow = t.workflow
                WHERE g.task_pk = gitlab_commit_statuses.task_pk
                  AND (SELECT max(id) FROM gitlab_commit_statuses p WHERE p.task_pk = n.task_pk AND p.state = 'pending')
                    > (SELECT max(id) FROM gitlab_commit_statuses p WHERE p.task_pk = g.task_pk AND p.state = 'pending'))
            """).execute()
        return try Row.fetchAll(db.cachedStatement(sql: """
            SELECT s.id, s.attempt, s.state, s.tries, g.repo, g.project_id, g.sha, g.ref,
                   t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
            FROM gitlab_commit_statuses s
            JOIN gitlab_commit_targets g ON g.task_pk = s.task_pk
            JOIN tasks t ON t.id = s.task_pk
            WHERE s.done = 0 AND s.next_time <= ?
              AND s.id = (SELECT min(o.id) FROM gitlab_commit_statuses o WHERE o.task_pk = s.task_pk AND o.done = 0)
            ORDER BY s.id LIMIT ?
            """), arguments: [now, limit]).compactMap { row in
            guard let state = CommitStatusState(rawValue: row["state"]), let sha = CommitID(row["sha"] as String) else { return nil }
            return CommitStatusSend(id: row["id"], task: try SQLiteTaskRows.summary(row), attempt: row["attempt"],
                                    target: CommitStatusTarget(repo: row["repo"], projectID: row["project_id"], sha: sha, ref: row["ref"]),
                                    state: state, tries: row["tries"])
        }
    }

    /// After a send: accepted (`error` nil) or given up (`retryAt` nil) ends it, and the task's next
    /// status goes next; a failure to retry keeps it first in the task's queue until `retryAt`.
    static func sent(_ send: CommitStatusSend, error: String?, retryAt: Int64?, db: Database) throws {
        // done: 0 queued, 1 accepted by GitLab, 2 given up. An accepted status keeps the error of
        // its failed tries, so the task's record still says what went wrong.
        if let error, let retryAt {
            try db.execute(sql: "UPDATE gitlab_commit_statuses SET tries = tries + 1, next_time = ?, last_error = ? WHERE id = ?",
                           arguments: [retryAt, error, send.id])
        } else if let error {
            try db.execute(sql: "UPDATE gitlab_commit_statuses SET done = 2, last_error = ? WHERE id = ?", arguments: [error, send.id])
        } else {
            try db.execute(sql: "UPDATE gitlab_commit_statuses SET done = 1 WHERE id = ?", arguments: [send.id])
        }
    }

    static func record(pk: Int64, db: Database) throws -> CommitStatusRecord? {
        guard let wanted = try Row.fetchOne(db, sql: """
            SELECT state FROM gitlab_commit_statuses WHERE task_pk = ? ORDER BY id DESC LIMIT 1
            """, arguments: [pk]).flatMap({ CommitStatusState(rawValue: $0["state"]) }) else { return nil }
        let sent = try Row.fetchOne(db, sql: """
            SELECT state FROM gitlab_commit_statuses WHERE task_pk = ? AND done = 1 ORDER BY id DESC LIMIT 1
            """, arguments: [pk]).flatMap { CommitStatusState(rawValue: $0["state"]) }
        let lastError = try String.fetchOne(db, sql: """
            SELECT last_error FROM gitlab_commit_statuses WHERE task_pk = ? AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1
            """, arguments: [pk])
        return CommitStatusRecord(wanted: wanted, sent: sent, lastError: lastError)
    }
}
