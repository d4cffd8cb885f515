/// Where the code a task builds comes from, which decides what its jobs are trusted with
/// (secrets, deploys). Kept with the task, so a restart is trusted exactly as the first attempt.
public struct TaskOrigin: Sendable, Codable, Hashable {
    public enum Event: String, Sendable, Codable, CaseIterable, Hashable {
        case push
        case tagPush = "tag_push"
        case mergeRequest = "merge_request"
        case note
        case api
    }

    public var event: Event
    /// The pushed branch or tag, or a merge request's source branch.
    public var ref: String
    /// A merge request's target branch.
    public var targetBranch: String?
    /// A merge request whose source project is not its target project. Unknown counts as a fork.
    public var fork: Bool

    public init(event: Event, ref: String, targetBranch: String? = nil, fork: Bool = false) {
        self.event = event
        self.ref = ref
        self.targetBranch = targetBranch
        self.fork = fork
    }

    enum CodingKeys: String, CodingKey {
        case event, ref, fork
        case targetBranch = "target_branch"
    }

    /// Code someone proposed rather than pushed: a merge request's (or a note re-running one).
    public var isMergeRequestCode: Bool { event == .mergeRequest || event == .note }

    /// The origin of a task an API caller created: its first repo's branch; a task naming a merge
    /// request (`pr`) builds merge request code whose project the API does not say, so it counts as a fork.
    public static func api(_ arguments: TaskArguments) -> TaskOrigin {
        let repos = arguments.targets.flatMap(\.build.repos)
        if let request = repos.first(where: { $0.pr != 0 }) {
            return TaskOrigin(event: .mergeRequest, ref: request.branch, fork: true)
        }
        return TaskOrigin(event: .api, ref: repos.first?.branch ?? "")
    }

    /// The origin of a delivery's task.
    public static func webhook(_ facts: WebhookFacts) -> TaskOrigin {
        switch facts.event {
        case .push: return TaskOrigin(event: .push, ref: facts.ref)
        case .tagPush: return TaskOrigin(event: .tagPush, ref: facts.ref)
        case .mergeRequest, .note:
            return TaskOrigin(event: facts.event == .note ? .note : .mergeRequest, ref: facts.ref,
                              targetBranch: facts.mergeRequest?.targetBranch, fork: facts.mergeRequest?.fromFork ?? true)
        }
    }
}
