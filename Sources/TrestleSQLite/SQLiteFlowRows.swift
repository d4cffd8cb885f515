import Foundation
import GRDB
import TrestleCore
import TrestleStore

/// The SQL of the flow tables, inside a caller's transaction.
enum SQLiteFlowRows {
    static func save(_ stored: StoredFlowDescriptor, db: Database) throws {
        try db.execute(sql: """
            INSERT INTO flow_descriptors (id, business_id, feature_name, alias, yaml, descriptor, create_time, update_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET business_id = excluded.business_id, feature_name = excluded.feature_name,
                alias = excluded.alias, yaml = excluded.yaml, descriptor = excluded.descriptor, update_time = excluded.update_time
            """, arguments: [stored.id, stored.businessID, stored.featureName, stored.alias, stored.yaml,
                             try StoreJSON.text(stored.descriptor), stored.updateTime, stored.updateTime])
    }

    static func descriptor(id: String, db: Database) throws -> StoredFlowDescriptor? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT id, business_id, feature_name, alias, yaml, descriptor, update_time FROM flow_descriptors WHERE id = ?
            """, arguments: [id]) else { return nil }
        return StoredFlowDescriptor(id: row["id"], businessID: row["business_id"], featureName: row["feature_name"],
                                    alias: row["alias"], yaml: row["yaml"], descriptor: try decode(row["descriptor"]),
                                    updateTime: row["update_time"])
    }

    static func create(_ task: NewTask, execution: FlowExecution, db: Database) throws -> TaskRecord {
        let (pk, _) = try SQLiteTaskRows.insert(task, db: db)
        try db.execute(sql: """
            INSERT INTO flow_executions (task_pk, descriptor_id, descriptor, context, context_version, callback_url)
            VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [pk, execution.descriptorID, try StoreJSON.text(execution.descriptor),
                             JSONText.compact(execution.context), execution.contextVersion, execution.callbackURL])
        return try SQLiteTaskRows.load(pk: pk, db: db)
    }

    static func execution(workflow: String, taskID: Int64, db: Database) throws -> FlowExecution? {
        guard let pk = try SQLiteTaskRows.primaryKey(workflow: workflow, taskID: taskID, db: db),
              let row = try Row.fetchOne(db, sql: """
                SELECT descriptor_id, descriptor, context, context_version, callback_url, callback_state
                FROM flow_executions WHERE task_pk = ?
                """, arguments: [pk]) else { return nil }
        var values: [String: FlowTaskValues] = [:]
        for value in try Row.fetchAll(db, sql: "SELECT name, input, output, tries FROM flow_task_values WHERE task_pk = ?",
                                      arguments: [pk]) {
            values[value["name"]] = FlowTaskValues(input: try json(value["input"]), output: try json(value["output"]),
                                                   tries: value["tries"])
        }
        return FlowExecution(descriptorID: row["descriptor_id"], descriptor: try decode(row["descriptor"]),
                             context: try json(row["context"]) ?? .emptyObject, contextVersion: row["context_version"],
                             callbackURL: row["callback_url"], callbackState: row["callback_state"], values: values)
    }

    static func recordInput(workflow: String, taskID: Int64, task: String, input: JSONValue, tries: Int, db: Database) throws {
        let pk = try primaryKey(workflow: workflow, taskID: taskID, db: db)
        try db.execute(sql: """
            INSERT INTO flow_task_values (task_pk, name, input, tries) VALUES (?, ?, ?, ?)
            ON CONFLICT (task_pk, name) DO UPDATE SET input = excluded.input, tries = excluded.tries
            """, arguments: [pk, task, JSONText.compact(input), tries])
    }

    static func recordOutput(workflow: String, taskID: Int64, task: String, output: JSONValue?, context: JSONValue,
                             contextVersion: Int64, db: Database) throws {
        let pk = try primaryKey(workflow: workflow, taskID: taskID, db: db)
        try db.execute(sql: """
            INSERT INTO flow_task_values (task_pk, name, output) VALUES (?, ?, ?)
            ON CONFLICT (task_pk, name) DO UPDATE SET output = excluded.output
            """, arguments: [pk, task, output.map(JSONText.compact)])
        try db.execute(sql: """
            UPDATE flow_executions SET context = ?, context_version = ? WHERE task_pk = ? AND context_version < ?
            """, arguments: [JSONText.compact(context), contextVersion, pk, contextVersion])
    }

    static func recordCallback(workflow: String, taskID: Int64, state: String, db: Database) throws {
        let pk = try primaryKey(workflow: workflow, taskID: taskID, db: db)
        try db.execute(sql: "UPDATE flow_executions SET callback_state = ? WHERE task_pk = ?", arguments: [state, pk])
    }

    private static func primaryKey(workflow: String, taskID: Int64, db: Database) throws -> Int64 {
        guard let pk = try SQLiteTaskRows.primaryKey(workflow: workflow, taskID: taskID, db: db) else {
            throw StoreError(operation: "record flow values", detail: "no task \(taskID) of \(workflow)")
        }
        return pk
    }

    private static func decode<T: Decodable>(_ text: String) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    private static func json(_ text: String?) throws -> JSONValue? {
        guard let text else { return nil }
        return try decode(text) as JSONValue
    }
}
