import Foundation

/// What processing a stored delivery comes to, before the store completes it.
public enum DeliveryPlan: Sendable, Equatable {
    /// Record this outcome and create these tasks (none when the delivery is ignored or failed).
    case complete(DeliveryOutcome, [PlannedWebhookTask])
    /// A matching rule filters on paths: plan again with the paths the delivery changed.
    case needChangedPaths(WebhookFacts, [TriggerDecision])
}

/// Delivery planning without I/O: the event filter, payload decoding, trigger rules, and one task
/// per workflow. The processor does only what a plan asks (diff the mirror, then complete).
public enum DeliveryPlanner {
    public static func plan(_ delivery: NewDelivery, id: Int64, config: TrestleConfig, changedPaths: [String]? = nil,
                            time: Int64) -> DeliveryPlan {
        let objectKind = delivery.eventHeader.isEmpty ? (try? GitLabRoutingScanner.scan(delivery.body).objectKind) : nil
        guard let event = GitLabEvents.event(header: delivery.eventHeader.isEmpty ? nil : delivery.eventHeader,
                                             objectKind: objectKind) else {
            return .complete(DeliveryOutcome(state: .ignored, reason: "ignored: Trestle does not act on '\(delivery.eventHeader)' events"), [])
        }
        guard config.workflows.contains(where: { $0.triggers.contains { $0.repo == delivery.repo && $0.events.contains(event) } }) else {
            return .complete(DeliveryOutcome(state: .ignored,
                                             reason: "ignored: no trigger rule acts on \(event.rawValue) events of repo '\(delivery.repo)'"), [])
        }
        var facts: WebhookFacts
        do {
            facts = try GitLabEvents.facts(event: event, repo: delivery.repo, body: delivery.body)
        } catch {
            if event == .note {
                return .complete(DeliveryOutcome(state: .ignored, reason: "ignored: \(error)"), [])
            }
            return .complete(DeliveryOutcome(state: .failed, reason: "bad payload: \(error)"), [])
        }
        facts.changedPaths = changedPaths
        let decisions = TriggerMatcher.decide(facts, config: config)
        if changedPaths == nil, TriggerMatcher.needsPaths(decisions) {
            return .needChangedPaths(facts, decisions)
        }
        let matched = decisions.filter { $0.verdict == .matched }
        guard !matched.isEmpty else {
            let reasons = Set(decisions.map(\.reason)).sorted().joined(separator: "; ")
            return .complete(DeliveryOutcome(state: .ignored, reason: "ignored: \(reasons)", decisions: decisions), [])
        }
        let tasks = matched.compactMap { decision -> PlannedWebhookTask? in
            guard let workflow = config.workflow(named: decision.workflow) else { return nil }
            let trigger = workflow.triggers[decision.trigger]
            guard let task = WebhookTaskPlanner.newTask(facts, workflow: workflow, trigger: trigger, deliveryID: id, time: time) else {
                return nil
            }
            var planned = PlannedWebhookTask(task: task, coalescingKey: event == .note ? nil : WebhookTaskPlanner.coalescingKey(facts),
                                             subject: facts.buildSubject, autoCancel: trigger.autoCancel)
            // The project is the configured repo's, never the payload's (`GitLabProjects`).
            if let gitlab = config.gitlab, let head = facts.headCommit {
                planned.commitStatus = CommitStatusTarget(repo: delivery.repo, sha: head, ref: facts.ref,
                                                          mergeRequestIID: facts.mergeRequest?.iid,
                                                          notesMergeRequest: gitlab.mergeRequestNotes)
            }
            return planned
        }
        // Two rules of one workflow matching one delivery make one task.
        var seen = Set<String>()
        let unique = tasks.filter { seen.insert($0.task.workflow).inserted }
        let reason = matched.map { "\($0.workflow): \($0.reason)" }.joined(separator: "; ")
        return .complete(DeliveryOutcome(state: .created, reason: reason, decisions: decisions), unique)
    }
}
