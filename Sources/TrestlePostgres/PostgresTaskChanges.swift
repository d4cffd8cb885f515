import Logging
import Synchronization
import PostgresNIO
import TrestleStore

/// How every process on one database learns that a task was created or changed status: a
/// `NOTIFY` in the writing transaction (delivered when it commits), heard on a `LISTEN`ing
/// connection, which drops the status answers each process keeps.
enum PostgresTaskChanges {
    static let channel = "trestle_task_changes"

    static func announce(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_notify(\(channel), '')", logger: logger)
    }

    /// Keeps `cache` enabled exactly while a connection listens; reconnects with a capped backoff.
    /// Runs until cancelled.
    static func listen(_ client: PostgresClient, cache: StatusAnswerCache, logger: Logger, heard: @escaping @Sendable () -> Void) async {
        var delay: Duration = .milliseconds(200)
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        cache.enable()
                        delay = .milliseconds(200)
                        for try await _ in notifications {
                            cache.invalidate()
                            heard()
                        }
                    }
                }
            } catch {
                if !Task.isCancelled {
                    logger.warning("not hearing of task changes; status queries go to the database until it reconnects",
                                   metadata: ["reason": "\(String(reflecting: error).prefix(300))"])
                }
            }
            cache.disable()
            try? await Task.sleep(for: delay)
            delay = min(delay * 2, .seconds(5))
        }
    }
}

/// Whoever wants to hear of task changes in this process (its scheduler).
final class TaskChangeObservers: Sendable {
    private let observers = Mutex<[@Sendable () -> Void]>([])

    func add(_ observer: @escaping @Sendable () -> Void) {
        observers.withLock { $0.append(observer) }
    }

    func tell() {
        for observer in observers.withLock({ $0 }) { observer() }
    }
}
