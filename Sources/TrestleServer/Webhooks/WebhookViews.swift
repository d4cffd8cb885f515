import TrestleCore

/// The receiver's 2xx body.
struct ReceiptView: Encodable {
    var status: String
    var reason: String
    var delivery_id: Int64?
    var outcome: OutcomeView?
}

struct OutcomeView: Encodable {
    var state: String
    var reason: String
    var tasks: [CreatedTaskRef]

    init(_ outcome: DeliveryOutcome) {
        state = outcome.state.rawValue
        reason = outcome.reason
        tasks = outcome.tasks
    }
}

struct DecisionView: Encodable {
    var workflow: String
    var trigger: Int
    var verdict: String
    var reason: String
}

/// One delivery of `GET /api/webhook/deliveries`, with each rule's decision on `…/deliveries/:id`.
struct DeliveryView: Encodable {
    var id: Int64
    var event: String
    var repo: String
    var key: String
    var received_time: Int64
    var processed_time: Int64?
    var state: String
    var reason: String
    var tasks: [CreatedTaskRef]
    var decisions: [DecisionView]?
    /// While pending after failed tries: how many, the last one's error, and when it is tried again.
    var failed_tries: Int?
    var last_error: String?
    var next_try_time: Int64?

    private mutating func show(_ attempts: DeliveryAttempts) {
        guard attempts.failures > 0 else { return }
        failed_tries = attempts.failures
        last_error = attempts.lastError
        next_try_time = attempts.nextTime
    }

    init(_ summary: DeliverySummary) {
        id = summary.id
        event = summary.eventHeader
        repo = summary.repo
        key = summary.dedupeKey
        received_time = summary.receivedTime
        processed_time = summary.processedTime
        state = summary.outcome.state.rawValue
        reason = summary.outcome.reason
        tasks = summary.outcome.tasks
        show(summary.attempts)
    }

    init(_ stored: StoredDelivery) {
        id = stored.id
        event = stored.delivery.eventHeader
        repo = stored.delivery.repo
        key = stored.delivery.dedupeKey
        received_time = stored.delivery.receivedTime
        state = stored.outcome.state.rawValue
        reason = stored.outcome.reason
        tasks = stored.outcome.tasks
        decisions = stored.outcome.decisions.map {
            DecisionView(workflow: $0.workflow, trigger: $0.trigger, verdict: $0.verdict.rawValue, reason: $0.reason)
        }
        show(stored.attempts)
    }
}
