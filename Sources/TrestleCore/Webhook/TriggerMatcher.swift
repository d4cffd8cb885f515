/// Whether one trigger rule acts on one delivery, and why: what `trestle explain` shows.
public struct TriggerDecision: Sendable, Equatable, Codable {
    public enum Verdict: String, Sendable, Codable {
        case matched
        case skipped
        /// Every other check passed; the rule filters paths and the changed paths are not known yet.
        case needsPaths = "needs_paths"
    }

    public var workflow: String
    /// The rule's position among the workflow's triggers.
    public var trigger: Int
    public var verdict: Verdict
    public var reason: String

    public init(workflow: String, trigger: Int, verdict: Verdict, reason: String) {
        self.workflow = workflow
        self.trigger = trigger
        self.verdict = verdict
        self.reason = reason
    }
}

/// Trigger matching: a pure function of the delivery's facts and the config.
public enum TriggerMatcher {
    /// One decision per trigger rule of every workflow, in config order.
    public static func decide(_ facts: WebhookFacts, config: TrestleConfig) -> [TriggerDecision] {
        config.workflows.flatMap { workflow in
            workflow.triggers.enumerated().map { index, trigger in
                let (verdict, reason) = decide(facts, trigger: trigger)
                return TriggerDecision(workflow: workflow.name, trigger: index, verdict: verdict, reason: reason)
            }
        }
    }

    /// Whether any rule needs the changed paths to decide.
    public static func needsPaths(_ decisions: [TriggerDecision]) -> Bool {
        decisions.contains { $0.verdict == .needsPaths }
    }

    static func decide(_ facts: WebhookFacts, trigger: TriggerConfig) -> (TriggerDecision.Verdict, String) {
        func skip(_ reason: String) -> (TriggerDecision.Verdict, String) { (.skipped, reason) }
        guard facts.repo == trigger.repo else {
            return skip("the delivery is for repo '\(facts.repo)', the rule for repo '\(trigger.repo)'")
        }
        guard trigger.events.contains(facts.event) else {
            return skip("event \(facts.event.rawValue) is not one of the rule's events (\(trigger.events.map(\.rawValue).joined(separator: ", ")))")
        }
        if facts.isDeletion {
            return skip("\(facts.event == .tagPush ? "tag" : "branch") '\(facts.ref)' was deleted: nothing to build")
        }
        if let reason = mergeRequestRefusal(facts, trigger: trigger) { return skip(reason) }
        if facts.event == .note {
            guard let note = facts.note, note.lowercased().contains(trigger.retryPhrase.lowercased()) else {
                return skip("the comment does not contain the re-run phrase '\(trigger.retryPhrase)'")
            }
        }
        if facts.event == .tagPush {
            if !trigger.tags.isEmpty && !trigger.tags.contains(where: { $0.matches(facts.ref) }) {
                return skip("tag '\(facts.ref)' matches none of the rule's tags (\(list(trigger.tags)))")
            }
        } else if facts.event == .push, !trigger.branches.isEmpty, !trigger.branches.contains(where: { $0.matches(facts.ref) }) {
            return skip("branch '\(facts.ref)' matches none of the rule's branches (\(list(trigger.branches)))")
        }
        if let mergeRequest = facts.mergeRequest, !trigger.targetBranches.isEmpty,
           !trigger.targetBranches.contains(where: { $0.matches(mergeRequest.targetBranch) }) {
            return skip("target branch '\(mergeRequest.targetBranch)' matches none of the rule's target_branches (\(list(trigger.targetBranches)))")
        }
        let message = facts.headMessage.lowercased()
        if facts.event != .note, let marker = trigger.skipMarkers.first(where: { message.contains($0.lowercased()) }) {
            return skip("the head commit message contains '\(marker)'")
        }
        if trigger.paths.isEmpty && trigger.pathsIgnore.isEmpty {
            return (.matched, "matched \(describe(facts))")
        }
        guard let changed = facts.changedPaths else {
            return (.needsPaths, "waiting for the changed paths of \(describe(facts))")
        }
        let relevant = changed.filter { path in !trigger.pathsIgnore.contains { $0.matches(path) } }
        let selected = trigger.paths.isEmpty ? relevant : relevant.filter { path in trigger.paths.contains { $0.matches(path) } }
        guard let first = selected.first else {
            let shown = changed.prefix(5).joined(separator: ", ") + (changed.count > 5 ? ", … (\(changed.count) in all)" : "")
            let filters = trigger.paths.isEmpty ? "" : " matches the rule's paths (\(list(trigger.paths)))"
            let ignored = trigger.pathsIgnore.isEmpty ? "" : " \(trigger.paths.isEmpty ? "lies" : "and lies") outside paths_ignore (\(list(trigger.pathsIgnore)))"
            return skip("no changed path\(filters)\(ignored); changed: \(changed.isEmpty ? "nothing" : shown)")
        }
        return (.matched, "matched \(describe(facts)); \(selected.count) of \(changed.count) changed paths pass the filters, e.g. \(first)")
    }

    private static func mergeRequestRefusal(_ facts: WebhookFacts, trigger: TriggerConfig) -> String? {
        guard let mergeRequest = facts.mergeRequest else { return nil }
        if facts.event == .mergeRequest {
            guard trigger.mergeRequestActions.contains(mergeRequest.action) else {
                return "merge request action '\(mergeRequest.action)' is not one of the rule's merge_request_actions (\(trigger.mergeRequestActions.joined(separator: ", ")))"
            }
            if mergeRequest.action == "update" && !mergeRequest.codeChanged {
                return "merge request !\(mergeRequest.iid) was updated without new commits (no oldrev)"
            }
        }
        if mergeRequest.draft && !trigger.drafts {
            return "merge request !\(mergeRequest.iid) is a draft; set drafts: true on the rule to build drafts"
        }
        if !trigger.labels.isEmpty && !mergeRequest.labels.contains(where: trigger.labels.contains) {
            return "merge request !\(mergeRequest.iid) carries none of the rule's labels (\(trigger.labels.joined(separator: ", ")))"
        }
        return nil
    }

    private static func describe(_ facts: WebhookFacts) -> String {
        let commit = facts.headCommit.map { " at \($0.short)" } ?? ""
        switch facts.event {
        case .push: return "push to branch '\(facts.ref)'\(commit)"
        case .tagPush: return "tag '\(facts.ref)'\(commit)"
        case .mergeRequest: return "merge request !\(facts.mergeRequest?.iid ?? 0) (\(facts.mergeRequest?.action ?? "?"))\(commit)"
        case .note: return "re-run comment on merge request !\(facts.mergeRequest?.iid ?? 0)\(commit)"
        }
    }

    private static func list(_ patterns: [RefPattern]) -> String {
        patterns.map(\.text).joined(separator: ", ")
    }
}
