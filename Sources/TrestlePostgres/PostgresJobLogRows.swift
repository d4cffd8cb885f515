import Foundation
import Logging
import PostgresNIO
import TrestleStore

/// The SQL of job logs on PostgreSQL: one row per chunk a runner shipped, keyed by its offset.
enum PostgresJobLogRows {
    static func append(_ key: JobLogKey, chunk: JobLogChunk, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            INSERT INTO job_log_chunks (task_pk, attempt, job, byte_offset, data)
            SELECT id, \(key.attempt), \(key.job), \(chunk.offset), \(chunk.data) FROM tasks
            WHERE workflow = \(key.workflow) AND task_id = \(key.taskID)
            ON CONFLICT (task_pk, attempt, job, byte_offset) DO NOTHING
            """, logger: logger)
    }

    static func read(_ key: JobLogKey, from offset: Int64, limit: Int, on connection: PostgresConnection,
                     logger: Logger) async throws -> [JobLogChunk] {
        var chunks: [JobLogChunk] = []
        var bytes = 0
        for try await (start, data) in try await connection.query("""
            SELECT c.byte_offset, c.data FROM job_log_chunks c JOIN tasks t ON t.id = c.task_pk
            WHERE t.workflow = \(key.workflow) AND t.task_id = \(key.taskID) AND c.attempt = \(key.attempt) AND c.job = \(key.job)
              AND c.byte_offset >= \(offset)
            ORDER BY c.byte_offset LIMIT 64
            """, logger: logger).decode((Int64, Data).self) {
            guard chunks.isEmpty || bytes + data.count <= limit else { continue }
            // Chunks follow on from each other; a gap (a chunk never stored) ends this read.
            if let last = chunks.last, last.end != start { continue }
            chunks.append(JobLogChunk(offset: start, data: data))
            bytes += data.count
        }
        return chunks
    }
}
