import Foundation
import Logging
import PostgresNIO
import TrestleCore

/// The SQL of async flow tasks' waits on PostgreSQL: one row per waiting task, its result
/// written by whichever node the callback reached.
enum PostgresFlowWaitRows {
    static func wait(execution: String, task: String, token: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO flow_waits (execution, task_name, token) VALUES (\(execution), \(task), \(token))
            ON CONFLICT (execution, task_name) DO UPDATE SET token = excluded.token, result_kind = NULL, result = NULL
            """, logger: logger)
    }

    static func record(execution: String, task: String, result: FlowTaskResult, accepts: @Sendable (String) -> Bool,
                       on connection: PostgresConnection, logger: Logger) async throws -> Bool {
        var token: String?
        for try await found in try await connection.query("""
            SELECT token FROM flow_waits WHERE execution = \(execution) AND task_name = \(task) AND result_kind IS NULL FOR UPDATE
            """, logger: logger).decode(String.self) { token = found }
        guard let token, accepts(token) else { return false }
        let (kind, text) = switch result {
        case .success(let value): ("success", JSONText.compact(value))
        case .failure(let message): ("failure", message)
        }
        try await connection.query("""
            UPDATE flow_waits SET result_kind = \(kind), result = \(text) WHERE execution = \(execution) AND task_name = \(task)
            """, logger: logger)
        return true
    }

    static func result(execution: String, task: String, on connection: PostgresConnection, logger: Logger) async throws -> FlowTaskResult? {
        for try await (kind, text) in try await connection.query("""
            SELECT result_kind, result FROM flow_waits WHERE execution = \(execution) AND task_name = \(task) AND result_kind IS NOT NULL
            """, logger: logger).decode((String, String).self) {
            if kind == "failure" { return .failure(text) }
            return .success(JSONText.parse(Data(text.utf8)) ?? .emptyObject)
        }
        return nil
    }

    static func end(execution: String, task: String, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("DELETE FROM flow_waits WHERE execution = \(execution) AND task_name = \(task)", logger: logger)
    }
}
