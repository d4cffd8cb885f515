import Foundation

/// A webhook delivery as the receiver commits it, before anything is decoded beyond routing.
public struct NewDelivery: Sendable, Equatable {
    /// `Idempotency-Key`, else `X-Gitlab-Event-UUID` plus the body's hash, else the body's hash.
    public var dedupeKey: String
    /// The `X-Gitlab-Event` header ("Push Hook", ...).
    public var eventHeader: String
    public var repo: String
    public var receivedTime: Int64
    /// The headers that matter (event, UUID, idempotency key, instance, user agent), never the token.
    public var headers: [String: String]
    public var body: Data

    public init(dedupeKey: String, eventHeader: String, repo: String, receivedTime: Int64,
                headers: [String: String], body: Data) {
        self.dedupeKey = dedupeKey
        self.eventHeader = eventHeader
        self.repo = repo
        self.receivedTime = receivedTime
        self.headers = headers
        self.body = body
    }
}

/// A committed delivery, as the processor reads it back (the processor's reads leave out the kept headers).
public struct StoredDelivery: Sendable, Equatable {
    public var id: Int64
    public var delivery: NewDelivery
    public var outcome: DeliveryOutcome
    /// Failed tries while it is pending.
    public var attempts: DeliveryAttempts

    public init(id: Int64, delivery: NewDelivery, outcome: DeliveryOutcome, attempts: DeliveryAttempts = .none) {
        self.id = id
        self.delivery = delivery
        self.outcome = outcome
        self.attempts = attempts
    }
}

/// What the receiver answers: the delivery's id, and whether it repeats an earlier one.
public struct DeliveryReceipt: Sendable, Equatable {
    public var id: Int64
    /// The earlier delivery's outcome when the dedupe key was seen before.
    public var duplicateOf: DeliveryOutcome?

    public init(id: Int64, duplicateOf: DeliveryOutcome?) {
        self.id = id
        self.duplicateOf = duplicateOf
    }
}

/// What became of a delivery: shown by `GET /api/webhook/deliveries` and `trestle explain`.
public struct DeliveryOutcome: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        /// Committed, not processed yet.
        case pending
        /// Processed: tasks were created.
        case created
        /// Processed: no rule acted on it; `reason` says why.
        case ignored
        /// Processed: it could not be acted on (bad payload, unreachable remote...); `reason` says why.
        case failed
    }

    public var state: State
    public var reason: String
    public var tasks: [CreatedTaskRef]
    public var decisions: [TriggerDecision]

    public init(state: State, reason: String, tasks: [CreatedTaskRef] = [], decisions: [TriggerDecision] = []) {
        self.state = state
        self.reason = reason
        self.tasks = tasks
        self.decisions = decisions
    }

    public static let pending = DeliveryOutcome(state: .pending, reason: "received; not processed yet")
}

public struct CreatedTaskRef: Sendable, Equatable, Codable {
    public var workflow: String
    public var taskID: Int64

    public init(workflow: String, taskID: Int64) {
        self.workflow = workflow
        self.taskID = taskID
    }

    enum CodingKeys: String, CodingKey {
        case workflow
        case taskID = "task_id"
    }
}

/// A task a processed delivery asks for, with what makes it a duplicate of an earlier build.
public struct PlannedWebhookTask: Sendable, Equatable {
    public var task: NewTask
    /// Deliveries with the same key create one task per workflow; nil never coalesces.
    public var coalescingKey: String?
    /// The branch or merge request, for auto-cancel.
    public var subject: String
    /// Cancel older created or running webhook tasks of the workflow for the same subject.
    public var autoCancel: Bool
    /// Where the task's commit status goes, when GitLab is configured.
    public var commitStatus: CommitStatusTarget?

    public init(task: NewTask, coalescingKey: String?, subject: String, autoCancel: Bool) {
        self.task = task
        self.coalescingKey = coalescingKey
        self.subject = subject
        self.autoCancel = autoCancel
    }
}

/// A processed delivery's outcome and the tasks it asks for, as the processor hands them to the store.
public struct DeliveryCompletion: Sendable, Equatable {
    public var id: Int64
    public var outcome: DeliveryOutcome
    public var tasks: [PlannedWebhookTask]

    public init(id: Int64, outcome: DeliveryOutcome, tasks: [PlannedWebhookTask]) {
        self.id = id
        self.outcome = outcome
        self.tasks = tasks
    }
}

/// One row of the deliveries list.
public struct DeliverySummary: Sendable, Equatable {
    public var id: Int64
    public var eventHeader: String
    public var repo: String
    public var dedupeKey: String
    public var receivedTime: Int64
    public var processedTime: Int64
    public var outcome: DeliveryOutcome
    public var attempts: DeliveryAttempts

    public init(id: Int64, eventHeader: String, repo: String, dedupeKey: String, receivedTime: Int64,
                processedTime: Int64, outcome: DeliveryOutcome, attempts: DeliveryAttempts = .none) {
        self.attempts = attempts
        self.id = id
        self.eventHeader = eventHeader
        self.repo = repo
        self.dedupeKey = dedupeKey
        self.receivedTime = receivedTime
        self.processedTime = processedTime
        self.outcome = outcome
    }
}
