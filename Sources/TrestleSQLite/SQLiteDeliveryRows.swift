import Foundation
import GRDB
import TrestleCore
import TrestleStore

/// The SQL of the webhook inbox, inside a caller's transaction.
enum SQLiteDeliveryRows {
    /// `record` of each delivery, in order.
    static func record(_ deliveries: [NewDelivery], db: Database) throws -> [DeliveryReceipt] {
        try deliveries.map { try record($0, db: db) }
    }

    /// Inserts the delivery, or answers the earlier one with the same dedupe key.
    /// Looked up first, inside the writer's transaction, so a repeat consumes no delivery id.
    static func record(_ delivery: NewDelivery, db: Database) throws -> DeliveryReceipt {
        if let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT d.id, o.outcome FROM webhook_deliveries d LEFT JOIN webhook_outcomes o ON o.delivery_id = d.id
            WHERE d.dedupe_key = ?
            """), arguments: [delivery.dedupeKey]) {
            return DeliveryReceipt(id: row["id"], duplicateOf: try outcome(row["outcome"]))
        }
        try db.cachedStatement(sql: """
            INSERT INTO webhook_deliveries (dedupe_key, event, repo, received_time, headers, body) VALUES (?, ?, ?, ?, ?, ?)
            """).execute(arguments: [delivery.dedupeKey, delivery.eventHeader, delivery.repo, delivery.receivedTime,
                                     StoreJSON.object(delivery.headers), delivery.body])
        let id = db.lastInsertedRowID
        try db.cachedStatement(sql: "INSERT INTO webhook_pending (delivery_id) VALUES (?)").execute(arguments: [id])
        return DeliveryReceipt(id: id, duplicateOf: nil)
    }

    /// What the processor needs of each pending delivery: the kept headers are left out, and the
    /// outcome is known (pending) without decoding it.
    /// Deliveries waiting for a retry are left out until their time.
    static func pending(limit: Int, dueAt now: Int64, db: Database) throws -> [StoredDelivery] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT d.id, d.dedupe_key, d.event, d.repo, d.received_time, d.body, p.failures, p.last_error, p.next_time
            FROM webhook_pending p JOIN webhook_deliveries d ON d.id = p.delivery_id
            WHERE p.next_time <= ?
            ORDER BY p.delivery_id LIMIT ?
            """), arguments: [now, limit]).map { row in
            let body: Data = row["body"]
            return StoredDelivery(
                id: row["id"],
                delivery: NewDelivery(dedupeKey: row["dedupe_key"], eventHeader: row["event"], repo: row["repo"],
                                      receivedTime: row["received_time"], headers: [:], body: body),
                outcome: .pending, attempts: attempts(row))
        }
    }

    /// Keeps a delivery pending after a failed try, to be tried again at `attempts.nextTime`; only
    /// if no other process recorded a try (or completed it) meanwhile: `failures` counts from the
    /// try this one followed.
    static func postpone(id: Int64, attempts: DeliveryAttempts, db: Database) throws {
        try db.cachedStatement(sql: """
            UPDATE webhook_pending SET failures = ?, last_error = ?, next_time = ? WHERE delivery_id = ? AND failures = ?
            """).execute(arguments: [attempts.failures, attempts.lastError, attempts.nextTime, id, attempts.failures - 1])
    }

    private static func attempts(_ row: Row) -> DeliveryAttempts {
        DeliveryAttempts(failures: row["failures"] ?? 0, lastError: row["last_error"], nextTime: row["next_time"] ?? 0)
    }

    static func load(id: Int64, db: Database) throws -> StoredDelivery? {
        try Row.fetchOne(db, sql: """
            SELECT d.id, d.dedupe_key, d.event, d.repo, d.received_time, d.headers, d.body, o.outcome, o.processed_time,
                   p.failures, p.last_error, p.next_time
            FROM webhook_deliveries d LEFT JOIN webhook_outcomes o ON o.delivery_id = d.id
            LEFT JOIN webhook_pending p ON p.delivery_id = d.id WHERE d.id = ?
            """, arguments: [id]).map(stored)
    }

    static func recent(limit: Int, db: Database) throws -> [DeliverySummary] {
        try Row.fetchAll(db, sql: """
            SELECT d.id, d.dedupe_key, d.event, d.repo, d.received_time, o.processed_time, o.outcome,
                   p.failures, p.last_error, p.next_time
            FROM webhook_deliveries d LEFT JOIN webhook_outcomes o ON o.delivery_id = d.id
            LEFT JOIN webhook_pending p ON p.delivery_id = d.id
            ORDER BY d.id DESC LIMIT ?
            """, arguments: [limit]).map { row in
            DeliverySummary(id: row["id"], eventHeader: row["event"], repo: row["repo"], dedupeKey: row["dedupe_key"],
                            receivedTime: row["received_time"], processedTime: row["processed_time"] ?? 0,
                            outcome: try outcome(row["outcome"]), attempts: attempts(row))
        }
    }

    /// Creates the planned tasks (one per workflow and coalescing key), applies auto-cancel, and
    /// records the delivery's final outcome, all in the caller's transaction.
    static func complete(id: Int64, outcome planned: DeliveryOutcome, tasks: [PlannedWebhookTask], at time: Int64,
                         db: Database) throws -> DeliveryOutcome {
        // Taking the delivery off the pending queue is the claim: a process that processed it too
        // (another process on the store polls the same queue) finds it gone and changes nothing.
        try db.cachedStatement(sql: "DELETE FROM webhook_pending WHERE delivery_id = ?").execute(arguments: [id])
        guard db.changesCount == 1 else {
            return try load(id: id, db: db)?.outcome ?? planned
        }
        var created: [CreatedTaskRef] = []
        var notes: [String] = []
        for plan in tasks {
            let action = DeliveryCompletionPolicy.decide(plan, history: try history(of: plan, deliveryID: id, db: db))
            guard case .create(let cancelling) = action else {
                if case .skip(let note) = action { notes.append(note) }
                continue
            }
            let (pk, taskID) = try SQLiteTaskRows.insert(plan.task, db: db)
            if let target = plan.commitStatus {
                try SQLiteCommitStatusRows.start(target, pk: pk, db: db)
            }
            if let key = plan.coalescingKey {
                try db.execute(sql: """
                    INSERT INTO webhook_builds (coalescing_key, workflow, delivery_id, task_pk) VALUES (?, ?, ?, ?)
                    """, arguments: [key, plan.task.workflow, id, pk])
            }
            for olderID in cancelling {
                _ = try SQLiteTaskRows.cancel(workflow: plan.task.workflow, taskID: olderID,
                                              by: DeliveryCompletionPolicy.cancelTrigger(deliveryID: id), at: time, db: db)
                notes.append(DeliveryCompletionPolicy.cancelNote(plan, taskID: olderID))
            }
            try db.execute(sql: "INSERT INTO webhook_subjects (workflow, subject, task_pk, delivery_id) VALUES (?, ?, ?, ?)",
                           arguments: [plan.task.workflow, plan.subject, pk, id])
            created.append(CreatedTaskRef(workflow: plan.task.workflow, taskID: taskID))
        }
        let outcome = DeliveryCompletionPolicy.outcome(planned: planned, planCount: tasks.count, created: created, notes: notes)
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO webhook_outcomes (delivery_id, state, outcome, processed_time) VALUES (?, ?, ?, ?)
            """).execute(arguments: [id, outcome.state.rawValue, try StoreJSON.text(outcome), time])
        return outcome
    }


    /// What the completion policy needs to know about earlier builds of `plan`'s workflow.
    private static func history(of plan: PlannedWebhookTask, deliveryID id: Int64, db: Database) throws -> BuildHistory {
        var history = BuildHistory()
        if let key = plan.coalescingKey, let earlier = try Row.fetchOne(db, sql: """
            SELECT b.delivery_id, t.task_id FROM webhook_builds b JOIN tasks t ON t.id = b.task_pk
            WHERE b.coalescing_key = ? AND b.workflow = ?
            """, arguments: [key, plan.task.workflow]) {
            history.sameBuild = (earlier["delivery_id"], earlier["task_id"])
        }
        guard plan.autoCancel else { return history }
        history.newerDelivery = try Int64.fetchOne(db, sql: """
            SELECT max(delivery_id) FROM webhook_subjects WHERE workflow = ? AND subject = ? AND delivery_id > ?
            """, arguments: [plan.task.workflow, plan.subject, id])
        history.olderActiveTasks = try Int64.fetchAll(db, sql: """
            SELECT t.task_id FROM webhook_subjects s JOIN tasks t ON t.id = s.task_pk
            WHERE s.workflow = ? AND s.subject = ? AND s.delivery_id < ? AND t.status IN ('created', 'running')
            """, arguments: [plan.task.workflow, plan.subject, id])
        return history
    }

    private static func stored(_ row: Row) throws -> StoredDelivery {
        let headersText: String = row["headers"]
        let headers = try JSONDecoder().decode([String: String].self, from: Data(headersText.utf8))
        let body: Data = row["body"]
        return StoredDelivery(
            id: row["id"],
            delivery: NewDelivery(dedupeKey: row["dedupe_key"], eventHeader: row["event"], repo: row["repo"],
                                  receivedTime: row["received_time"], headers: headers, body: body),
            outcome: try outcome(row["outcome"]), attempts: attempts(row))
    }

    /// A delivery without an outcome row is still pending.
    private static func outcome(_ text: String?) throws -> DeliveryOutcome {
        guard let text else { return .pending }
        return try JSONDecoder().decode(DeliveryOutcome.self, from: Data(text.utf8))
    }
}
