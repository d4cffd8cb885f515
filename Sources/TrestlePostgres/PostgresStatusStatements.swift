import PostgresNIO
import TrestleCore

/// The hot status query (tasks by commit prefix) as a prepared statement: each pooled connection
/// parses and plans it once, then only binds and executes.
struct TasksByCommitPrefix: PostgresPreparedStatement {
    typealias Row = (pk: Int64, summary: TaskSummary)

    static let sql = """
        SELECT t.id, t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
        FROM task_commits c JOIN tasks t ON t.id = c.task_pk
        WHERE c.commit_id >= $1 AND c.commit_id < $2
        ORDER BY t.create_time DESC, t.id DESC
        LIMIT $3
        """
    static let bindingDataTypes: [PostgresDataType] = [.text, .text, .int8]

    let prefix: CommitPrefix
    let limit: Int

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 3)
        bindings.append(prefix.hex)
        bindings.append(prefix.rangeUpperBound)
        bindings.append(Int64(limit))
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (pk, taskID, workflow, project, status, create, start, end) =
            try row.decode((Int64, Int64, String, String, String, Int64, Int64, Int64).self)
        return (pk, TaskSummary(taskID: taskID, workflow: workflow, project: project, status: try PostgresTaskRows.status(status),
                                createTime: create, startTime: start, endTime: end))
    }
}
