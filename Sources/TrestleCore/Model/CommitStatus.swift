/// Where a webhook task's commit status goes in GitLab: `POST /projects/:id/statuses/:sha`.
public struct CommitStatusTarget: Sendable, Hashable {
    /// The configured repo whose GitLab project gets the status (see `RepoConfig.gitlabProjectID`).
    public var repo: String
    /// The project's id when known as the task was made; 0 when it is looked up as statuses are sent.
    public var projectID: Int
    public var sha: CommitID
    /// The branch or tag (a merge request's source branch).
    public var ref: String
    /// The merge request the task built, if any; with merge request notes on, it gets one note per task.
    public var mergeRequestIID: Int?
    /// Whether the task's end is noted on its merge request.
    public var notesMergeRequest: Bool

    public init(repo: String, projectID: Int = 0, sha: CommitID, ref: String, mergeRequestIID: Int? = nil,
                notesMergeRequest: Bool = false) {
        self.repo = repo
        self.projectID = projectID
        self.sha = sha
        self.ref = ref
        self.mergeRequestIID = mergeRequestIID
        self.notesMergeRequest = notesMergeRequest
    }
}

/// A merge request note to post, or to edit when the task already has one.
public struct MergeRequestNoteSend: Sendable, Hashable {
    public var task: TaskSummary
    /// As `CommitStatusTarget.repo` and `projectID`.
    public var repo: String
    public var projectID: Int
    public var mergeRequestIID: Int
    /// The note posted for an earlier attempt, edited rather than a new one posted.
    public var noteID: Int?
    /// The attempt that ended, and how.
    public var attempt: Int
    public var status: TaskStatus
    public var tries: Int

    public init(task: TaskSummary, repo: String, projectID: Int, mergeRequestIID: Int, noteID: Int?, attempt: Int,
                status: TaskStatus, tries: Int) {
        self.task = task
        self.repo = repo
        self.projectID = projectID
        self.mergeRequestIID = mergeRequestIID
        self.noteID = noteID
        self.attempt = attempt
        self.status = status
        self.tries = tries
    }
}

/// GitLab's commit status states, in the order a task goes through them.
public enum CommitStatusState: String, Sendable, CaseIterable, Hashable {
    case pending
    case running
    case success
    case failed
    case canceled

    public init(_ status: TaskStatus) {
        switch status {
        case .created: self = .pending
        case .running: self = .running
        case .passed: self = .success
        case .failed, .timeout: self = .failed
        case .cancelled: self = .canceled
        }
    }

    /// Within one attempt a state only replaces a lower one: a late `running` never overwrites a
    /// final state. A new attempt starts again from `pending`.
    public var rank: Int {
        switch self {
        case .pending: 0
        case .running: 1
        case .success, .failed, .canceled: 2
        }
    }
}

/// One commit status to send, as the store queues it.
public struct CommitStatusSend: Sendable, Hashable {
    /// Its place in the store's queue.
    public var id: Int64
    public var task: TaskSummary
    public var attempt: Int
    public var target: CommitStatusTarget
    public var state: CommitStatusState
    /// Tries that failed so far, for the backoff.
    public var tries: Int

    public init(id: Int64, task: TaskSummary, attempt: Int, target: CommitStatusTarget, state: CommitStatusState, tries: Int) {
        self.id = id
        self.task = task
        self.attempt = attempt
        self.target = target
        self.state = state
        self.tries = tries
    }
}

/// What the store knows of a task's commit status: the latest state queued, the latest GitLab
/// took, and why the last failed try failed.
public struct CommitStatusRecord: Sendable, Hashable {
    public var wanted: CommitStatusState
    public var sent: CommitStatusState?
    public var lastError: String?

    public init(wanted: CommitStatusState, sent: CommitStatusState?, lastError: String?) {
        self.wanted = wanted
        self.sent = sent
        self.lastError = lastError
    }
}
