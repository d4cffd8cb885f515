/// One column value of a stored row, in the types both engines hold.
public enum StoreValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case blob([UInt8])
}

/// A table of the schema both engines share, named column by column, for copying a store whole.
public struct StoreTable: Sendable, Hashable {
    public let name: String
    public let columns: [String]
    /// The primary key's columns, leading `columns`: rows are read in this order, a page at a time.
    public let key: [String]
    /// The column an engine numbers itself (`BIGSERIAL`, `AUTOINCREMENT`), to carry on after a copy.
    public let serial: String?

    public init(_ name: String, key: [String], columns: [String], serial: String? = nil) {
        self.name = name
        self.key = key
        self.columns = key + columns
        self.serial = serial
    }
}

/// Every table of the store, parents before the rows that refer to them. Both engines' schemas
/// have these columns by these names (their migrations say so); a column added to one must be
/// added here and to the other.
public enum StoreTables {
    public static let all: [StoreTable] = [
        StoreTable("workflow_sequences", key: ["workflow"], columns: ["last_task_id"]),
        StoreTable("tasks", key: ["id"], columns: ["workflow", "task_id", "project", "env", "status", "attempt", "trigger_kind",
                                                   "triggered_by", "arguments", "create_time", "start_time", "end_time",
                                                   "runner", "origin"], serial: "id"),
        StoreTable("task_commits", key: ["commit_id", "task_pk"], columns: []),
        StoreTable("repo_commits", key: ["repo_name", "task_pk", "commit_id"], columns: []),
        StoreTable("task_branches", key: ["branch", "task_pk"], columns: []),
        StoreTable("task_attempts", key: ["task_pk", "attempt"], columns: ["status", "trigger_kind", "triggered_by", "create_time",
                                                                          "start_time", "end_time", "cancelled_by"]),
        StoreTable("task_stages", key: ["task_pk", "attempt", "position"], columns: ["name", "status", "start_time", "end_time"]),
        StoreTable("task_jobs", key: ["task_pk", "attempt", "stage_position", "position"],
                   columns: ["name", "kind", "target", "status", "start_time", "end_time", "error", "image"]),
        StoreTable("webhook_deliveries", key: ["id"], columns: ["dedupe_key", "event", "repo", "received_time", "headers", "body"],
                   serial: "id"),
        StoreTable("webhook_outcomes", key: ["delivery_id"], columns: ["state", "outcome", "processed_time"]),
        StoreTable("webhook_pending", key: ["delivery_id"], columns: ["failures", "next_time", "last_error"]),
        StoreTable("webhook_builds", key: ["coalescing_key", "workflow"], columns: ["delivery_id", "task_pk"]),
        StoreTable("webhook_subjects", key: ["workflow", "subject", "task_pk"], columns: ["delivery_id"]),
        StoreTable("gitlab_commit_targets", key: ["task_pk"], columns: ["project_id", "sha", "ref", "merge_request_iid", "repo"]),
        StoreTable("gitlab_merge_request_notes", key: ["task_pk"],
                   columns: ["note_id", "attempt", "status", "sent_attempt", "tries", "next_time", "last_error"]),
        StoreTable("gitlab_commit_statuses", key: ["id"], columns: ["task_pk", "attempt", "state", "tries", "next_time", "done",
                                                                    "last_error"], serial: "id"),
        StoreTable("flow_descriptors", key: ["id"], columns: ["business_id", "feature_name", "alias", "yaml", "descriptor",
                                                              "create_time", "update_time"]),
        StoreTable("flow_executions", key: ["task_pk"], columns: ["descriptor_id", "descriptor", "context", "context_version",
                                                                  "callback_url", "callback_state"]),
        StoreTable("flow_task_values", key: ["task_pk", "name"], columns: ["input", "output", "tries"]),
    ]
}
