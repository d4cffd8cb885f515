import Foundation
import Logging
import PostgresNIO
import TrestleCore
import TrestleStore

/// The SQL of the webhook inbox on PostgreSQL, inside a caller's transaction: the same rows as
/// `SQLiteDeliveryRows`; coalescing and auto-cancel are `DeliveryCompletionPolicy`'s.
enum PostgresDeliveryRows {
    /// Inserts each delivery, or answers the earlier one with its dedupe key: one prepared
    /// statement per batch (`RecordDeliveries`), the group commit; repeats are then looked up.
    static func record(_ deliveries: [NewDelivery], on connection: PostgresConnection, logger: Logger) async throws -> [DeliveryReceipt] {
        var fresh: [NewDelivery] = []
        var batchKeys = Set<String>()
        for delivery in deliveries where batchKeys.insert(delivery.dedupeKey).inserted { fresh.append(delivery) }
        var found: [String: DeliveryReceipt] = [:]
        for batch in fresh.chunks(of: 1_000) {
            for try await row in try await connection.execute(RecordDeliveries(deliveries: Array(batch)), logger: logger) {
                found[row.key] = DeliveryReceipt(id: row.id, duplicateOf: nil)
            }
        }
        let repeats = fresh.map(\.dedupeKey).filter { found[$0] == nil }
        if !repeats.isEmpty {
            found.merge(try await earlier(repeats, on: connection, logger: logger)) { first, _ in first }
        }
        var answered = Set<String>()
        return try deliveries.map { delivery in
            let key = delivery.dedupeKey
            guard let receipt = found[key] else {
                throw StoreError(operation: "record a webhook delivery", detail: "dedupe key taken but no delivery holds it")
            }
            // A key twice in one batch: the second is a repeat of the first, still pending.
            if receipt.duplicateOf == nil, !answered.insert(key).inserted { return DeliveryReceipt(id: receipt.id, duplicateOf: .pending) }
            return receipt
        }
    }

    /// Not prepared: planned on each call, so the plan fits the table's size now.
    private static func earlier(_ keys: [String], on connection: PostgresConnection, logger: Logger) async throws -> [String: DeliveryReceipt] {
        var found: [String: DeliveryReceipt] = [:]
        for try await row in try await connection.query("""
            SELECT d.dedupe_key, d.id, o.outcome FROM webhook_deliveries d LEFT JOIN webhook_outcomes o ON o.delivery_id = d.id
            WHERE d.dedupe_key = ANY(\(keys))
            """, logger: logger).decode((String, Int64, String?).self) {
            found[row.0] = DeliveryReceipt(id: row.1, duplicateOf: try outcome(row.2))
        }
        return found
    }

    static func pending(limit: Int, dueAt now: Int64, on connection: PostgresConnection, logger: Logger) async throws -> [StoredDelivery] {
        var stored: [StoredDelivery] = []
        for try await row in try await connection.query("""
            SELECT d.id, d.dedupe_key, d.event, d.repo, d.received_time, d.body, p.failures, p.last_error, p.next_time
            FROM webhook_pending p JOIN webhook_deliveries d ON d.id = p.delivery_id
            WHERE p.next_time <= \(now)
            ORDER BY p.delivery_id LIMIT \(limit)
            """, logger: logger).decode((Int64, String, String, String, Int64, Data, Int, String?, Int64).self) {
            stored.append(StoredDelivery(
                id: row.0,
                delivery: NewDelivery(dedupeKey: row.1, eventHeader: row.2, repo: row.3, receivedTime: row.4, headers: [:], body: row.5),
                outcome: .pending, attempts: DeliveryAttempts(failures: row.6, lastError: row.7, nextTime: row.8)))
        }
        return stored
    }

    /// Claims due deliveries by moving their retry time to `until`, skipping rows another
    /// process's claim holds locked: each is then planned by one process at a time.
    static func claim(limit: Int, dueAt now: Int64, until: Int64, on connection: PostgresConnection,
                      logger: Logger) async throws -> [StoredDelivery] {
        var stored: [StoredDelivery] = []
        for try await row in try await connection.query("""
            WITH due AS (
                SELECT delivery_id FROM webhook_pending WHERE next_time <= \(now)
                ORDER BY delivery_id LIMIT \(limit) FOR UPDATE SKIP LOCKED),
            claimed AS (
                UPDATE webhook_pending p SET next_time = \(until) FROM due WHERE p.delivery_id = due.delivery_id
                RETURNING p.delivery_id, p.failures, p.last_error)
            SELECT d.id, d.dedupe_key, d.event, d.repo, d.received_time, d.body, c.failures, c.last_error
            FROM claimed c JOIN webhook_deliveries d ON d.id = c.delivery_id ORDER BY d.id
            """, logger: logger).decode((Int64, String, String, String, Int64, Data, Int, String?).self) {
            stored.append(StoredDelivery(
                id: row.0,
                delivery: NewDelivery(dedupeKey: row.1, eventHeader: row.2, repo: row.3, receivedTime: row.4, headers: [:], body: row.5),
                outcome: .pending, attempts: DeliveryAttempts(failures: row.6, lastError: row.7, nextTime: until)))
        }
        return stored
    }

    /// A compare-and-set on `failures`, as on SQLite: a try recorded elsewhere meanwhile wins.
    static func postpone(id: Int64, attempts: DeliveryAttempts, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("""
            UPDATE webhook_pending SET failures = \(attempts.failures), last_error = \(attempts.lastError), next_time = \(attempts.nextTime)
            WHERE delivery_id = \(id) AND failures = \(attempts.failures - 1)
            """, logger: logger)
    }

    static func load(id: Int64, on connection: PostgresConnection, logger: Logger) async throws -> StoredDelivery? {
        for try await row in try await connection.query("""
            SELECT d.id, d.dedupe_key, d.event, d.repo, d.received_time, d.headers, d.body, o.outcome,
                   p.failures, p.last_error, p.next_time
            FROM webhook_deliveries d LEFT JOIN webhook_outcomes o ON o.delivery_id = d.id
            LEFT JOIN webhook_pending p ON p.delivery_id = d.id WHERE d.id = \(id)
            """, logger: logger).decode((Int64, String, String, String, Int64, String, Data, String?, Int?, String?, Int64?).self) {
            let headers = try JSONDecoder().decode([String: String].self, from: Data(row.5.utf8))
            return StoredDelivery(
                id: row.0,
                delivery: NewDelivery(dedupeKey: row.1, eventHeader: row.2, repo: row.3, receivedTime: row.4, headers: headers, body: row.6),
                outcome: try outcome(row.7), attempts: DeliveryAttempts(failures: row.8 ?? 0, lastError: row.9, nextTime: row.10 ?? 0))
        }
        return nil
    }

    static func recent(limit: Int, on connection: PostgresConnection, logger: Logger) async throws -> [DeliverySummary] {
        var summaries: [DeliverySummary] = []
        for try await row in try await connection.query("""
            SELECT d.id, d.dedupe_key, d.event, d.repo, d.received_time, o.processed_time, o.outcome,
                   p.failures, p.last_error, p.next_time
            FROM webhook_deliveries d LEFT JOIN webhook_outcomes o ON o.delivery_id = d.id
            LEFT JOIN webhook_pending p ON p.delivery_id = d.id
            ORDER BY d.id DESC LIMIT \(limit)
            """, logger: logger).decode((Int64, String, String, String, Int64, Int64?, String?, Int?, String?, Int64?).self) {
            summaries.append(DeliverySummary(id: row.0, eventHeader: row.2, repo: row.3, dedupeKey: row.1, receivedTime: row.4,
                                             processedTime: row.5 ?? 0, outcome: try outcome(row.6),
                                             attempts: DeliveryAttempts(failures: row.7 ?? 0, lastError: row.8, nextTime: row.9 ?? 0)))
        }
        return summaries
    }

    /// As `SQLiteDeliveryRows.complete`: deleting the pending row is the claim, the policy decides
    /// each planned task from its build history, and this writes what it decided.
    static func complete(id: Int64, outcome planned: DeliveryOutcome, tasks: [PlannedWebhookTask], at time: Int64,
                         on connection: PostgresConnection, logger: Logger) async throws -> DeliveryOutcome {
        var claimed = false
        for try await _ in try await connection.query("DELETE FROM webhook_pending WHERE delivery_id = \(id) RETURNING delivery_id",
                                                      logger: logger).decode(Int64.self) { claimed = true }
        guard claimed else {
            return try await load(id: id, on: connection, logger: logger)?.outcome ?? planned
        }
        var created: [CreatedTaskRef] = []
        var notes: [String] = []
        for plan in tasks {
            let history = try await self.history(of: plan, deliveryID: id, on: connection, logger: logger)
            guard case .create(let cancelling) = DeliveryCompletionPolicy.decide(plan, history: history) else {
                if case .skip(let note) = DeliveryCompletionPolicy.decide(plan, history: history) { notes.append(note) }
                continue
            }
            let (pk, taskID) = try await PostgresTaskRows.insert(plan.task, on: connection, logger: logger)
            if let target = plan.commitStatus {
                try await PostgresOutboxRows.start(target, pk: pk, on: connection, logger: logger)
            }
            if let key = plan.coalescingKey {
                try await connection.query("""
                    INSERT INTO webhook_builds (coalescing_key, workflow, delivery_id, task_pk) VALUES (\(key), \(plan.task.workflow), \(id), \(pk))
                    """, logger: logger)
            }
            for olderID in cancelling {
                _ = try await PostgresTaskRows.cancel(workflow: plan.task.workflow, taskID: olderID,
                                                      by: DeliveryCompletionPolicy.cancelTrigger(deliveryID: id), at: time,
                                                      on: connection, logger: logger)
                notes.append(DeliveryCompletionPolicy.cancelNote(plan, taskID: olderID))
            }
            try await connection.query("""
                INSERT INTO webhook_subjects (workflow, subject, task_pk, delivery_id) VALUES (\(plan.task.workflow), \(plan.subject), \(pk), \(id))
                """, logger: logger)
            created.append(CreatedTaskRef(workflow: plan.task.workflow, taskID: taskID))
        }
        let outcome = DeliveryCompletionPolicy.outcome(planned: planned, planCount: tasks.count, created: created, notes: notes)
        let text = try StoreJSON.text(outcome)
        try await connection.query("""
            INSERT INTO webhook_outcomes (delivery_id, state, outcome, processed_time) VALUES (\(id), \(outcome.state.rawValue), \(text), \(time))
            ON CONFLICT (delivery_id) DO UPDATE SET state = excluded.state, outcome = excluded.outcome, processed_time = excluded.processed_time
            """, logger: logger)
        return outcome
    }

    /// Two processes completing deliveries of one build or one branch at the same moment would
    /// each read a history without the other's task (read committed) and both create one: the
    /// builds and subjects the batch decides on are locked first, for the transaction, in one
    /// order everywhere (so two batches never wait on each other in a cycle). The history is read
    /// after, and sees whatever the other committed. (A name that collides only locks more.)
    static func lockBuilds(of completions: [DeliveryCompletion], on connection: PostgresConnection, logger: Logger) async throws {
        var names = Set<String>()
        for plan in completions.flatMap(\.tasks) {
            if let key = plan.coalescingKey { names.insert("build\u{1F}\(plan.task.workflow)\u{1F}\(key)") }
            if plan.autoCancel { names.insert("subject\u{1F}\(plan.task.workflow)\u{1F}\(plan.subject)") }
        }
        for name in names.sorted() {
            try await connection.query("SELECT pg_advisory_xact_lock(hashtextextended(\(name), 0))", logger: logger)
        }
    }

    private static func history(of plan: PlannedWebhookTask, deliveryID id: Int64, on connection: PostgresConnection,
                                logger: Logger) async throws -> BuildHistory {
        var history = BuildHistory()
        if let key = plan.coalescingKey {
            for try await row in try await connection.query("""
                SELECT b.delivery_id, t.task_id FROM webhook_builds b JOIN tasks t ON t.id = b.task_pk
                WHERE b.coalescing_key = \(key) AND b.workflow = \(plan.task.workflow)
                """, logger: logger).decode((Int64, Int64).self) { history.sameBuild = (row.0, row.1) }
        }
        guard plan.autoCancel else { return history }
        for try await newer in try await connection.query("""
            SELECT max(delivery_id) FROM webhook_subjects WHERE workflow = \(plan.task.workflow) AND subject = \(plan.subject) AND delivery_id > \(id)
            """, logger: logger).decode(Int64?.self) { history.newerDelivery = newer }
        for try await taskID in try await connection.query("""
            SELECT t.task_id FROM webhook_subjects s JOIN tasks t ON t.id = s.task_pk
            WHERE s.workflow = \(plan.task.workflow) AND s.subject = \(plan.subject) AND s.delivery_id < \(id)
              AND t.status IN ('created', 'running')
            """, logger: logger).decode(Int64.self) { history.olderActiveTasks.append(taskID) }
        return history
    }

    /// A delivery without an outcome row is still pending.
    static func outcome(_ text: String?) throws -> DeliveryOutcome {
        guard let text else { return .pending }
        return try JSONDecoder().decode(DeliveryOutcome.self, from: Data(text.utf8))
    }
}
