import TrestleCore

/// A page of the dashboard's task list: newest first across workflows, optionally of one
/// workflow or status, continuing below `before` (the last page's `nextBefore`).
public struct TaskListQuery: Sendable, Hashable {
    public var workflow: String?
    public var status: TaskStatus?
    /// The first repo's branch, or `!N` (`TaskArguments.listedBranch`).
    public var branch: String?
    /// Tasks stored before this key (exclusive); nil starts at the newest.
    public var before: Int64?
    public var limit: Int

    public init(workflow: String? = nil, status: TaskStatus? = nil, branch: String? = nil, before: Int64? = nil, limit: Int = 50) {
        self.branch = branch
        self.workflow = workflow
        self.status = status
        self.before = before
        self.limit = limit
    }
}

/// One row of the task list: what it shows without the task's stages and jobs.
public struct TaskListEntry: Sendable, Hashable {
    /// The store's key: what orders the list and continues it.
    public var key: Int64
    public var summary: TaskSummary
    public var trigger: TaskTrigger
    public var attempt: Int
    public var arguments: TaskArguments
    public var origin: TaskOrigin

    public init(key: Int64, summary: TaskSummary, trigger: TaskTrigger, attempt: Int, arguments: TaskArguments, origin: TaskOrigin) {
        self.key = key
        self.summary = summary
        self.trigger = trigger
        self.attempt = attempt
        self.arguments = arguments
        self.origin = origin
    }
}
