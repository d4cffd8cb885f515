/// What the store knows about earlier builds of one planned webhook task: the facts the
/// completion policy needs, read in the delivery's completing transaction.
public struct BuildHistory: Sendable, Equatable {
    /// The task an earlier delivery with the same coalescing key made in this workflow.
    public var sameBuild: (deliveryID: Int64, taskID: Int64)?
    /// With auto_cancel: the newest delivery after this one that built the same branch or MR.
    public var newerDelivery: Int64?
    /// With auto_cancel: tasks of older deliveries of the same subject still created or running.
    public var olderActiveTasks: [Int64]

    public init(sameBuild: (deliveryID: Int64, taskID: Int64)? = nil, newerDelivery: Int64? = nil, olderActiveTasks: [Int64] = []) {
        self.sameBuild = sameBuild
        self.newerDelivery = newerDelivery
        self.olderActiveTasks = olderActiveTasks
    }

    public static func == (lhs: BuildHistory, rhs: BuildHistory) -> Bool {
        lhs.sameBuild?.deliveryID == rhs.sameBuild?.deliveryID && lhs.sameBuild?.taskID == rhs.sameBuild?.taskID
            && lhs.newerDelivery == rhs.newerDelivery && lhs.olderActiveTasks == rhs.olderActiveTasks
    }
}

/// What completing a delivery does with one planned task.
public enum BuildAction: Sendable, Equatable {
    /// No task: the note says why (the same build exists, or a newer delivery built the subject).
    case skip(note: String)
    /// Create the task, cancelling these older tasks of its subject first (auto_cancel).
    case create(cancelling: [Int64])
}

/// Coalescing and auto-cancel, decided without I/O: each store reads a `BuildHistory` per planned
/// task and carries out the `BuildAction`, so the two engines cannot decide differently.
public enum DeliveryCompletionPolicy {
    public static func decide(_ plan: PlannedWebhookTask, history: BuildHistory) -> BuildAction {
        let workflow = plan.task.workflow
        if plan.coalescingKey != nil, let earlier = history.sameBuild {
            return .skip(note: "workflow '\(workflow)': same build as delivery \(earlier.deliveryID) (task \(earlier.taskID)); no new task")
        }
        guard plan.autoCancel else { return .create(cancelling: []) }
        // A delivery tried again after a later one of the same branch or MR was built is older
        // news: its task would be cancelled at once, and it must not cancel the newer.
        if let newer = history.newerDelivery {
            return .skip(note: "workflow '\(workflow)': delivery \(newer) of \(plan.subject) is newer; no new task (auto_cancel)")
        }
        return .create(cancelling: history.olderActiveTasks)
    }

    /// The note recorded for an older task cancelled by auto_cancel.
    public static func cancelNote(_ plan: PlannedWebhookTask, taskID: Int64) -> String {
        "workflow '\(plan.task.workflow)': cancelled older task \(taskID) of \(plan.subject) (auto_cancel)"
    }

    /// Who cancelled the older tasks.
    public static func cancelTrigger(deliveryID: Int64) -> TaskTrigger {
        TaskTrigger(kind: .webhook, by: "auto_cancel by delivery \(deliveryID)")
    }

    /// The delivery's final outcome, given the tasks created and the notes of what was skipped or cancelled.
    public static func outcome(planned: DeliveryOutcome, planCount: Int, created: [CreatedTaskRef], notes: [String]) -> DeliveryOutcome {
        var outcome = planned
        outcome.tasks += created
        guard planCount > 0 else { return outcome }
        if created.isEmpty {
            outcome.state = .ignored
            outcome.reason = (notes.allSatisfy { $0.contains("same build as") } ? "duplicate build: " : "no new task: ")
                + notes.joined(separator: "; ")
        } else if !notes.isEmpty {
            outcome.reason += "; " + notes.joined(separator: "; ")
        }
        return outcome
    }
}
