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
        return migrator
    }
}
