import Foundation
import Logging
import PostgresNIO
import TrestleCore
import TrestleStore

/// The SQL of the flow tables on PostgreSQL, inside a caller's transaction (as `SQLiteFlowRows`).
enum PostgresFlowRows {
    static func save(_ stored: StoredFlowDescriptor, on connection: PostgresConnection, logger: Logger) async throws {
        let descriptor = try StoreJSON.text(stored.descriptor)
        try await connection.query("""
            INSERT INTO flow_descriptors (id, business_id, feature_name, alias, yaml, descriptor, create_time, update_time)
            VALUES (\(stored.id), \(stored.businessID), \(stored.featureName), \(stored.alias), \(stored.yaml), \(descriptor),
                    \(stored.updateTime), \(stored.updateTime))
            ON CONFLICT (id) DO UPDATE SET business_id = excluded.business_id, feature_name = excluded.feature_name,
                alias = excluded.alias, yaml = excluded.yaml, descriptor = excluded.descriptor, update_time = excluded.update_time
            """, logger: logger)
    }

    static func descriptor(id: String, on connection: PostgresConnection, logger: Logger) async throws -> StoredFlowDescriptor? {
        for try await row in try await connection.query("""
            SELECT id, business_id, feature_name, alias, yaml, descriptor, update_time FROM flow_descriptors WHERE id = \(id)
            """, logger: logger).decode((String, String, String, String, String, String, Int64).self) {
            return StoredFlowDescriptor(id: row.0, businessID: row.1, featureName: row.2, alias: row.3, yaml: row.4,
                                        descriptor: try decode(row.5), updateTime: row.6)
        }
        return nil
    }

    static func create(_ task: NewTask, execution: FlowExecution, on connection: PostgresConnection, logger: Logger) async throws -> TaskRecord {
        let (pk, _) = try await PostgresTaskRows.insert(task, on: connection, logger: logger)
        let descriptor = try StoreJSON.text(execution.descriptor)
        try await connection.query("""
            INSERT INTO flow_executions (task_pk, descriptor_id, descriptor, context, context_version, callback_url)
            VALUES (\(pk), \(execution.descriptorID), \(descriptor), \(JSONText.compact(execution.context)), \(execution.contextVersion),
                    \(execution.callbackURL))
            """, logger: logger)
        return try await PostgresTaskRows.load(pk: pk, on: connection, logger: logger)
    }

    static func execution(workflow: String, taskID: Int64, on connection: PostgresConnection, logger: Logger) async throws -> FlowExecution? {
        guard let pk = try await PostgresTaskRows.primaryKey(workflow: workflow, taskID: taskID, on: connection, logger: logger) else {
            return nil
        }
        var found: (String, String, String, Int64, String?, String?)?
        for try await row in try await connection.query("""
            SELECT descriptor_id, descriptor, context, context_version, callback_url, callback_state
            FROM flow_executions WHERE task_pk = \(pk)
            """, logger: logger).decode((String, String, String, Int64, String?, String?).self) { found = row }
        guard let row = found else { return nil }
        var values: [String: FlowTaskValues] = [:]
        for try await value in try await connection.query("""
            SELECT name, input, output, tries FROM flow_task_values WHERE task_pk = \(pk)
            """, logger: logger).decode((String, String?, String?, Int).self) {
            values[value.0] = FlowTaskValues(input: try json(value.1), output: try json(value.2), tries: value.3)
        }
        return FlowExecution(descriptorID: row.0, descriptor: try decode(row.1), context: try json(row.2) ?? .emptyObject,
                             contextVersion: row.3, callbackURL: row.4, callbackState: row.5, values: values)
    }

    static func recordInput(workflow: String, taskID: Int64, task: String, input: JSONValue, tries: Int,
                            on connection: PostgresConnection, logger: Logger) async throws {
        let pk = try await primaryKey(workflow: workflow, taskID: taskID, connection, logger)
        try await connection.query("""
            INSERT INTO flow_task_values (task_pk, name, input, tries) VALUES (\(pk), \(task), \(JSONText.compact(input)), \(tries))
            ON CONFLICT (task_pk, name) DO UPDATE SET input = excluded.input, tries = excluded.tries
            """, logger: logger)
    }

    static func recordOutput(workflow: String, taskID: Int64, task: String, output: JSONValue?, context: JSONValue,
                             contextVersion: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let pk = try await primaryKey(workflow: workflow, taskID: taskID, connection, logger)
        let text = output.map(JSONText.compact)
        try await connection.query("""
            INSERT INTO flow_task_values (task_pk, name, output) VALUES (\(pk), \(task), \(text))
            ON CONFLICT (task_pk, name) DO UPDATE SET output = excluded.output
            """, logger: logger)
        try await connection.query("""
            UPDATE flow_executions SET context = \(JSONText.compact(context)), context_version = \(contextVersion)
            WHERE task_pk = \(pk) AND context_version < \(contextVersion)
            """, logger: logger)
    }

    static func recordCallback(workflow: String, taskID: Int64, state: String, on connection: PostgresConnection,
                               logger: Logger) async throws {
        let pk = try await primaryKey(workflow: workflow, taskID: taskID, connection, logger)
        try await connection.query("UPDATE flow_executions SET callback_state = \(state) WHERE task_pk = \(pk)", logger: logger)
    }

    private static func primaryKey(workflow: String, taskID: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        guard let pk = try await PostgresTaskRows.primaryKey(workflow: workflow, taskID: taskID, on: connection, logger: logger) else {
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
