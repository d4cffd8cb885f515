import Logging
import PostgresNIO
import TrestleStore

/// The schema, as numbered migrations applied in order at start. Several processes starting
/// together take turns on an advisory lock, so each migration runs once.
enum PostgresMigrations {
    /// The advisory lock's key ("trestle" in ASCII).
    static let lockKey: Int64 = 0x74_72_65_73_74_6c_65

    static let all: [(version: Int, name: String, sql: [String])] = [
        (1, "tasks, attempts, stages, jobs, commit index, webhook inbox, GitLab outbox, flows", [
            """
            CREATE TABLE workflow_sequences (workflow TEXT PRIMARY KEY, last_task_id BIGINT NOT NULL)
            """,
            """
            CREATE TABLE tasks (
                id BIGSERIAL PRIMARY KEY, workflow TEXT NOT NULL, task_id BIGINT NOT NULL, project TEXT NOT NULL,
                env TEXT NOT NULL, status TEXT NOT NULL, attempt INT NOT NULL, trigger_kind TEXT NOT NULL,
                triggered_by TEXT NOT NULL, arguments TEXT NOT NULL, create_time BIGINT NOT NULL,
                start_time BIGINT NOT NULL DEFAULT 0, end_time BIGINT NOT NULL DEFAULT 0, runner TEXT, origin TEXT,
                UNIQUE (workflow, task_id))
            """,
            "CREATE INDEX tasks_by_status ON tasks (status, id)",
            // Byte order, so an 8-character prefix is one range scan of the key.
            """
            CREATE TABLE task_commits (
                commit_id TEXT COLLATE "C" NOT NULL, task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                PRIMARY KEY (commit_id, task_pk))
            """,
            "CREATE INDEX task_commits_by_task ON task_commits (task_pk)",
            """
            CREATE TABLE repo_commits (
                repo_name TEXT NOT NULL, task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                commit_id TEXT NOT NULL, PRIMARY KEY (repo_name, task_pk, commit_id))
            """,
            "CREATE INDEX repo_commits_by_task ON repo_commits (task_pk)",
            """
            CREATE TABLE task_attempts (
                task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, attempt INT NOT NULL, status TEXT NOT NULL,
                trigger_kind TEXT NOT NULL, triggered_by TEXT NOT NULL, create_time BIGINT NOT NULL,
                start_time BIGINT NOT NULL DEFAULT 0, end_time BIGINT NOT NULL DEFAULT 0, cancelled_by TEXT,
                PRIMARY KEY (task_pk, attempt))
            """,
            """
            CREATE TABLE task_stages (
                task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, attempt INT NOT NULL, position INT NOT NULL,
                name TEXT NOT NULL, status TEXT NOT NULL, start_time BIGINT NOT NULL DEFAULT 0, end_time BIGINT NOT NULL DEFAULT 0,
                PRIMARY KEY (task_pk, attempt, position))
            """,
            """
            CREATE TABLE task_jobs (
                task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, attempt INT NOT NULL,
                stage_position INT NOT NULL, position INT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL,
                status TEXT NOT NULL, start_time BIGINT NOT NULL DEFAULT 0, end_time BIGINT NOT NULL DEFAULT 0, error TEXT, image TEXT,
                PRIMARY KEY (task_pk, attempt, stage_position, position))
            """,
            """
            CREATE TABLE webhook_deliveries (
                id BIGSERIAL PRIMARY KEY, dedupe_key TEXT NOT NULL UNIQUE, event TEXT NOT NULL, repo TEXT NOT NULL,
                received_time BIGINT NOT NULL, headers TEXT NOT NULL, body BYTEA NOT NULL)
            """,
            """
            CREATE TABLE webhook_outcomes (
                delivery_id BIGINT PRIMARY KEY REFERENCES webhook_deliveries (id) ON DELETE CASCADE, state TEXT NOT NULL,
                outcome TEXT NOT NULL, processed_time BIGINT NOT NULL)
            """,
            """
            CREATE TABLE webhook_pending (
                delivery_id BIGINT PRIMARY KEY REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
                failures INT NOT NULL DEFAULT 0, next_time BIGINT NOT NULL DEFAULT 0, last_error TEXT)
            """,
            """
            CREATE TABLE webhook_builds (
                coalescing_key TEXT NOT NULL, workflow TEXT NOT NULL, delivery_id BIGINT NOT NULL,
                task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, PRIMARY KEY (coalescing_key, workflow))
            """,
            """
            CREATE TABLE webhook_subjects (
                workflow TEXT NOT NULL, subject TEXT NOT NULL, task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                delivery_id BIGINT NOT NULL DEFAULT 0, PRIMARY KEY (workflow, subject, task_pk))
            """,
            """
            CREATE TABLE gitlab_commit_targets (
                task_pk BIGINT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE, project_id BIGINT NOT NULL, sha TEXT NOT NULL,
                ref TEXT NOT NULL, merge_request_iid BIGINT, repo TEXT NOT NULL DEFAULT '')
            """,
            "CREATE INDEX gitlab_commit_targets_by_commit ON gitlab_commit_targets (sha, repo, task_pk)",
            """
            CREATE TABLE gitlab_merge_request_notes (
                task_pk BIGINT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE, note_id BIGINT, attempt INT NOT NULL,
                status TEXT NOT NULL, sent_attempt INT, tries INT NOT NULL DEFAULT 0, next_time BIGINT NOT NULL DEFAULT 0, last_error TEXT)
            """,
            """
            CREATE TABLE gitlab_commit_statuses (
                id BIGSERIAL PRIMARY KEY, task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, attempt INT NOT NULL,
                state TEXT NOT NULL, tries INT NOT NULL DEFAULT 0, next_time BIGINT NOT NULL DEFAULT 0,
                done INT NOT NULL DEFAULT 0, last_error TEXT)
            """,
            "CREATE INDEX gitlab_commit_statuses_by_task ON gitlab_commit_statuses (task_pk, id)",
            "CREATE INDEX gitlab_commit_statuses_open ON gitlab_commit_statuses (task_pk, id) WHERE done = 0",
            """
            CREATE TABLE flow_descriptors (
                id TEXT PRIMARY KEY, business_id TEXT NOT NULL, feature_name TEXT NOT NULL, alias TEXT NOT NULL, yaml TEXT NOT NULL,
                descriptor TEXT NOT NULL, create_time BIGINT NOT NULL, update_time BIGINT NOT NULL)
            """,
            """
            CREATE TABLE flow_executions (
                task_pk BIGINT PRIMARY KEY REFERENCES tasks (id) ON DELETE CASCADE, descriptor_id TEXT NOT NULL,
                descriptor TEXT NOT NULL, context TEXT NOT NULL, context_version BIGINT NOT NULL DEFAULT 0,
                callback_url TEXT, callback_state TEXT)
            """,
            """
            CREATE TABLE flow_task_values (
                task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, name TEXT NOT NULL, input TEXT, output TEXT,
                tries INT NOT NULL DEFAULT 0, PRIMARY KEY (task_pk, name))
            """,
        ]),
        // Delivery bodies (a few KB of JSON each) are compressed as they are stored, on the ingest
        // path: the default pglz took a sixth of the database's CPU under `make bench`, lz4 a
        // fraction of that. A server built without lz4 keeps pglz.
        (2, "lz4 for delivery bodies", [
            """
            DO $$
            BEGIN
                ALTER TABLE webhook_deliveries ALTER COLUMN body SET COMPRESSION lz4;
                ALTER TABLE webhook_deliveries ALTER COLUMN headers SET COMPRESSION lz4;
            EXCEPTION WHEN feature_not_supported THEN
                RAISE NOTICE 'this PostgreSQL has no lz4: webhook delivery bodies stay pglz-compressed';
            END $$
            """,
        ]),
        // Liveness, not history: `trestle store copy` leaves it behind.
        (3, "runners and their heartbeats", [
            "CREATE TABLE runners (name TEXT PRIMARY KEY, started_time BIGINT NOT NULL, heartbeat_time BIGINT NOT NULL)",
        ]),
        (4, "job logs shipped by runners, async flow tasks' waits", [
            """
            CREATE TABLE job_log_chunks (
                task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE, attempt INT NOT NULL, job TEXT NOT NULL,
                byte_offset BIGINT NOT NULL, data BYTEA NOT NULL, PRIMARY KEY (task_pk, attempt, job, byte_offset))
            """,
            // Liveness, as runners: `trestle store copy` leaves it behind.
            """
            CREATE TABLE flow_waits (
                execution TEXT NOT NULL, task_name TEXT NOT NULL, token TEXT NOT NULL, result_kind TEXT, result TEXT,
                PRIMARY KEY (execution, task_name))
            """,
        ]),
        (5, "tasks by branch, for the dashboard's filter", [
            """
            CREATE TABLE task_branches (
                branch TEXT COLLATE "C" NOT NULL, task_pk BIGINT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
                PRIMARY KEY (branch, task_pk))
            """,
            "CREATE INDEX task_branches_by_task ON task_branches (task_pk)",
            // As `TaskArguments.listedBranch`: the first repo's branch, or !N for merge request N.
            """
            INSERT INTO task_branches (branch, task_pk)
            SELECT listed, id FROM (
                SELECT id, CASE WHEN coalesce((arguments::jsonb #>> '{targets,0,build,repos,0,pr}')::BIGINT, 0) > 0
                                THEN '!' || (arguments::jsonb #>> '{targets,0,build,repos,0,pr}')
                                ELSE arguments::jsonb #>> '{targets,0,build,repos,0,branch}' END AS listed
                FROM tasks) listed_tasks
            WHERE listed IS NOT NULL AND listed <> ''
            """,
        ]),
    ]

    /// Applies the migrations the database lacks; answers the versions applied now.
    @discardableResult
    static func apply(_ client: PostgresClient, logger: Logger) async throws -> [Int] {
        try await client.withConnection { connection in
            try await connection.query("SELECT pg_advisory_lock(\(lockKey))", logger: logger)
            do {
                let applied = try await migrate(connection, logger: logger)
                try await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                return applied
            } catch {
                _ = try? await connection.query("SELECT pg_advisory_unlock(\(lockKey))", logger: logger)
                throw error
            }
        }
    }

    private static func migrate(_ connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await connection.query("""
            CREATE TABLE IF NOT EXISTS trestle_migrations (version INT PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
            """, logger: logger)
        var done = Set<Int>()
        for try await version in try await connection.query("SELECT version FROM trestle_migrations", logger: logger).decode(Int.self) {
            done.insert(version)
        }
        var applied: [Int] = []
        for migration in all where !done.contains(migration.version) {
            try await connection.withTransaction(logger: logger) { connection in
                for statement in migration.sql {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query("INSERT INTO trestle_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                                           logger: logger)
            }
            applied.append(migration.version)
        }
        return applied
    }
}
