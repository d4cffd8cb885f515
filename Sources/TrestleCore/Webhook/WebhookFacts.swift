/// What one webhook delivery says, reduced to what trigger rules look at. Built by the receiver
/// from a GitLab payload (or a plain-Git hook's GitLab-shaped one); matched without I/O.
public struct WebhookFacts: Sendable, Equatable {
    public var event: WebhookEvent
    /// The configured repo the delivery came for.
    public var repo: String
    /// The pushed branch or tag (short name), or the merge request's source branch.
    public var ref: String
    /// The commit to build: the pushed head, or the merge request's source head.
    public var headCommit: CommitID?
    /// A push's `before`; nil for merge requests.
    public var beforeCommit: CommitID?
    public var headMessage: String
    public var mergeRequest: MergeRequestFacts?
    /// A note's text (Note Hook on a merge request).
    public var note: String?
    /// Paths changed by the delivery; nil until known (rules without path filters never need them).
    public var changedPaths: [String]?
    /// The project's default branch, the base of a new branch's changes.
    public var defaultBranch: String?
    /// The paths a push payload lists when it lists every commit (GitLab lists at most 20).
    public var listedPaths: [String]?
    /// GitLab's numeric project id, where commit statuses are sent.
    public var projectID: Int?

    public init(event: WebhookEvent, repo: String, ref: String, headCommit: CommitID?, beforeCommit: CommitID? = nil,
                headMessage: String = "", mergeRequest: MergeRequestFacts? = nil, note: String? = nil,
                changedPaths: [String]? = nil) {
        self.event = event
        self.repo = repo
        self.ref = ref
        self.headCommit = headCommit
        self.beforeCommit = beforeCommit
        self.headMessage = headMessage
        self.mergeRequest = mergeRequest
        self.note = note
        self.changedPaths = changedPaths
    }

    /// A push whose `after` is all zeros deleted the branch or tag.
    public var isDeletion: Bool { event != .mergeRequest && event != .note && headCommit == nil }
    /// A push whose `before` is all zeros created the branch.
    public var isCreation: Bool { event == .push && beforeCommit == nil && headCommit != nil }

    /// The branch or merge request a task is built for, for coalescing and auto-cancel.
    public var buildSubject: String {
        if let mergeRequest { return "mr:\(mergeRequest.iid)" }
        return event == .tagPush ? "tag:\(ref)" : "branch:\(ref)"
    }
}

public struct MergeRequestFacts: Sendable, Equatable {
    public var iid: Int
    /// GitLab's `object_attributes.action`: open, reopen, update, merge, close, approved...
    public var action: String
    public var sourceBranch: String
    public var targetBranch: String
    public var draft: Bool
    public var labels: [String]
    /// An `update` carrying `oldrev` changed code; one without it changed only metadata.
    public var codeChanged: Bool
    /// The source project is not the target project (or the payload does not say): its code gets
    /// no secrets, whatever the config grants merge requests.
    public var fromFork = true

    public init(iid: Int, action: String, sourceBranch: String, targetBranch: String, draft: Bool = false,
                labels: [String] = [], codeChanged: Bool = false) {
        self.iid = iid
        self.action = action
        self.sourceBranch = sourceBranch
        self.targetBranch = targetBranch
        self.draft = draft
        self.labels = labels
        self.codeChanged = codeChanged
    }
}
