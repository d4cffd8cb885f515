import GRDB

/// Versioned schema. Every statement is written to have a direct PostgreSQL twin
/// (INTEGER → BIGINT, AUTOINCREMENT → GENERATED ALWAYS AS IDENTITY, TEXT COLLATE "C" for commit ids).
enum SQLiteMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: tasks, attempts, stages, jobs, commit index") { db in
            try db.execute(sql: """
                CREATE TABLE workflow_sequences (
                    workflow TEXT PRIMARY KEY NOT NULL,
                    last_task_id INTEGER NOT NULL
                );
                CREATE TABLE tasks (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    workflow TEXT NOT NULL,
                    task_id INTEGER NOT NULL,
                    project TEXT NOT NULL,
                    env TEXT NOT NULL,
                    status TEXT NOT NULL,
                    attempt INTEGER NOT NULL,
                    trigger_kind TEXT NOT NULL,
                    triggered_by TEXT NOT NULL,
                    arguments TEXT NOT NULL,
                    create_time INTEGER NOT NULL,
                    start_time INTEGER NOT NULL DEFAULT 0,
                    end_time INTEGER NOT NULL DEFAULT 0,
                    UNIQUE (workflow, task_id)
                );
                CREATE INDEX tasks_by_status ON tasks (status, id);
                CREATE TABLE task_commits (
                    commit_id TEXT NOT NULL,
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    PRIMARY KEY (commit_id, task_pk)
                ) WITHOUT ROWID;
                CREATE INDEX task_commits_by_task ON task_commits (task_pk);
                CREATE TABLE task_attempts (
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    trigger_kind TEXT NOT NULL,
                    triggered_by TEXT NOT NULL,
                    create_time INTEGER NOT NULL,
                    start_time INTEGER NOT NULL DEFAULT 0,
                    end_time INTEGER NOT NULL DEFAULT 0,
                    cancelled_by TEXT,
                    PRIMARY KEY (task_pk, attempt)
                ) WITHOUT ROWID;
                CREATE TABLE task_stages (
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    status TEXT NOT NULL,
                    start_time INTEGER NOT NULL DEFAULT 0,
                    end_time INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (task_pk, attempt, position)
                ) WITHOUT ROWID;
                CREATE TABLE task_jobs (
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL,
                    stage_position INTEGER NOT NULL,
                    position INTEGER NOT NULL,
                    name TEXT NOT NULL,
                    kind TEXT NOT NULL,
                    target TEXT NOT NULL,
                    status TEXT NOT NULL,
                    start_time INTEGER NOT NULL DEFAULT 0,
                    end_time INTEGER NOT NULL DEFAULT 0,
                    error TEXT,
                    PRIMARY KEY (task_pk, attempt, stage_position, position)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v2: commits by repo, for covering queries") { db in
            try db.execute(sql: """
                CREATE TABLE repo_commits (
                    repo_name TEXT NOT NULL,
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    commit_id TEXT NOT NULL,
                    PRIMARY KEY (repo_name, task_pk, commit_id)
                ) WITHOUT ROWID;
                CREATE INDEX repo_commits_by_task ON repo_commits (task_pk);
                INSERT OR IGNORE INTO repo_commits (repo_name, task_pk, commit_id)
                SELECT json_extract(r.value, '$.repo_name'), t.id, json_extract(r.value, '$.commit_id')
                FROM tasks t, json_each(t.arguments, '$.targets') g, json_each(g.value, '$.build.repos') r
                WHERE json_extract(r.value, '$.commit_id') IS NOT NULL;
                """)
        }
        migrator.registerMigration("v3: webhook deliveries and the builds they made") { db in
            try db.execute(sql: """
                CREATE TABLE webhook_deliveries (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    dedupe_key TEXT NOT NULL UNIQUE,
                    event TEXT NOT NULL,
                    repo TEXT NOT NULL,
                    received_time INTEGER NOT NULL,
                    headers TEXT NOT NULL,
                    body BLOB NOT NULL,
                    state TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    processed_time INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (id) WHERE state = 'pending';
                CREATE TABLE webhook_builds (
                    coalescing_key TEXT NOT NULL,
                    workflow TEXT NOT NULL,
                    delivery_id INTEGER NOT NULL,
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    PRIMARY KEY (coalescing_key, workflow)
                ) WITHOUT ROWID;
                CREATE TABLE webhook_subjects (
                    workflow TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    PRIMARY KEY (workflow, subject, task_pk)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v4: delivery outcomes and the pending queue apart from the bodies") { db in
            // Recording an outcome in the delivery's own row rewrote its whole body (SQLite rewrites
            // a row on UPDATE): twice the WAL per delivery, and twice the checkpoint stalls.
            try db.execute(sql: """
                CREATE TABLE webhook_outcomes (
                    delivery_id INTEGER PRIMARY KEY NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
                    state TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    processed_time INTEGER NOT NULL
                );
                CREATE TABLE webhook_pending (
                    delivery_id INTEGER PRIMARY KEY NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE
                );
                INSERT INTO webhook_outcomes (delivery_id, state, outcome, processed_time)
                SELECT id, state, outcome, processed_time FROM webhook_deliveries WHERE state <> 'pending';
                INSERT INTO webhook_pending (delivery_id) SELECT id FROM webhook_deliveries WHERE state = 'pending';
                DROP INDEX webhook_deliveries_pending;
                ALTER TABLE webhook_deliveries DROP COLUMN state;
                ALTER TABLE webhook_deliveries DROP COLUMN outcome;
                ALTER TABLE webhook_deliveries DROP COLUMN processed_time;
                """)
        }
        migrator.registerMigration("v5: the executor's claims and the images builds announce") { db in
            try db.execute(sql: """
                ALTER TABLE task_jobs ADD COLUMN image TEXT;
                ALTER TABLE tasks ADD COLUMN runner TEXT;
                """)
        }
        migrator.registerMigration("v6: commit statuses queued for GitLab") { db in
            try db.execute(sql: """
                CREATE TABLE gitlab_commit_targets (
                    task_pk INTEGER PRIMARY KEY NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    project_id INTEGER NOT NULL,
                    sha TEXT NOT NULL,
                    ref TEXT NOT NULL,
                    merge_request_iid INTEGER
                );
                CREATE TABLE gitlab_merge_request_notes (
                    task_pk INTEGER PRIMARY KEY NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    note_id INTEGER,
                    attempt INTEGER NOT NULL,
                    status TEXT NOT NULL,
                    sent_attempt INTEGER,
                    tries INTEGER NOT NULL DEFAULT 0,
                    next_time INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT
                );
                CREATE TABLE gitlab_commit_statuses (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    attempt INTEGER NOT NULL,
                    state TEXT NOT NULL,
                    tries INTEGER NOT NULL DEFAULT 0,
                    next_time INTEGER NOT NULL DEFAULT 0,
                    done INTEGER NOT NULL DEFAULT 0,
                    last_error TEXT
                );
                CREATE INDEX gitlab_commit_statuses_by_task ON gitlab_commit_statuses (task_pk, id);
                CREATE INDEX gitlab_commit_statuses_open ON gitlab_commit_statuses (task_pk, id) WHERE done = 0;
                """)
        }
        migrator.registerMigration("v7: Rill Flow descriptors, execution contexts and per-task values") { db in
            try db.execute(sql: """
                CREATE TABLE flow_descriptors (
                    id TEXT PRIMARY KEY NOT NULL,
                    business_id TEXT NOT NULL,
                    feature_name TEXT NOT NULL,
                    alias TEXT NOT NULL,
                    yaml TEXT NOT NULL,
                    descriptor TEXT NOT NULL,
                    create_time INTEGER NOT NULL,
                    update_time INTEGER NOT NULL
                );
                CREATE TABLE flow_executions (
                    task_pk INTEGER PRIMARY KEY NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    descriptor_id TEXT NOT NULL,
                    descriptor TEXT NOT NULL,
                    context TEXT NOT NULL,
                    context_version INTEGER NOT NULL DEFAULT 0,
                    callback_url TEXT,
                    callback_state TEXT
                );
                CREATE TABLE flow_task_values (
                    task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    name TEXT NOT NULL,
                    input TEXT,
                    output TEXT,
                    tries INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (task_pk, name)
                ) WITHOUT ROWID;
                """)
        }
        migrator.registerMigration("v8: delivery retries, commit statuses ordered per commit and name") { db in
            try db.execute(sql: """
                ALTER TABLE webhook_pending ADD COLUMN failures INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE webhook_pending ADD COLUMN next_time INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE webhook_pending ADD COLUMN last_error TEXT;
                ALTER TABLE gitlab_commit_targets ADD COLUMN repo TEXT NOT NULL DEFAULT '';
                ALTER TABLE webhook_subjects ADD COLUMN delivery_id INTEGER NOT NULL DEFAULT 0;
                CREATE INDEX gitlab_commit_targets_by_commit ON gitlab_commit_targets (sha, repo, task_pk);
                """)
        }
        migrator.registerMigration("v9: where a task's code comes from") { db in
            // NULL for tasks made before: their origin is read from their arguments, as an API task's.
            try db.execute(sql: "ALTER TABLE tasks ADD COLUMN origin TEXT")
        }
        migrator.registerMigration("v10: runners and their heartbeats") { db in
            // Liveness, not history: `trestle store copy` leaves it behind.
            try db.execute(sql: """
                CREATE TABLE runners (name TEXT PRIMARY KEY, started_time INTEGER NOT NULL, heartbeat_time INTEGER NOT NULL)
                """)
        }
        migrator.registerMigration("v11: tasks by branch, for the dashboard's filter") { db in
            try db.execute(sql: """
                CREATE TABLE task_branches (
                    branch TEXT NOT NULL, task_pk INTEGER NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                    PRIMARY KEY (branch, task_pk)) WITHOUT ROWID
                """)
            try db.execute(sql: "CREATE INDEX task_branches_by_task ON task_branches (task_pk)")
            // As `TaskArguments.listedBranch`: the first repo's branch, or !N for merge request N.
            try db.execute(sql: """
                INSERT INTO task_branches (branch, task_pk)
                SELECT listed, id FROM (
                    SELECT id, CASE WHEN coalesce(json_extract(arguments, '$.targets[0].build.repos[0].pr'), 0) > 0
                                    THEN '!' || json_extract(arguments, '$.targets[0].build.repos[0].pr')
                                    ELSE json_extract(arguments, '$.targets[0].build.repos[0].branch') END AS listed
                    FROM tasks)
                WHERE listed IS NOT NULL AND listed <> ''
                """)
        }
        return migrator
    }
}
