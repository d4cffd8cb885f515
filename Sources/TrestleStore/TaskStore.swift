import TrestleCore

/// Everything Trestle keeps, by the roles its callers use. Two engines implement every role
/// (`TrestleSQLite`, and PostgreSQL next) and pass the same tests; the decisions (coalescing,
/// auto-cancel, claim admission) are `TrestleCore`'s, so an engine only reads and writes.
///
/// Operations that a user can get wrong (unknown task, illegal transition) throw
/// `TaskOperationFailure`; anything else thrown is a `StoreError`.
public protocol TaskStore: TaskRecordStore, RunStore, GitLabOutboxStore, DeliveryStore, FlowStore, RowCopyStore {
    func close() async throws
}

/// Tasks and the status queries: the API dialects and the CLI.
public protocol TaskRecordStore: Sendable {
    /// Stores a task, giving it the next `task_id` of its workflow, and indexes its commits.
    func createTask(_ task: NewTask) async throws -> TaskRecord

    /// Stores many tasks in one transaction (imports and benchmark seeding).
    func createTasks(_ tasks: [NewTask]) async throws

    /// Tasks that built a commit whose id starts with `prefix`, newest first.
    func tasks(commitPrefix prefix: CommitPrefix, limit: Int) async throws -> [TaskSummary]

    /// Tasks that built any of `commits` (full ids), newest first, each task once.
    func tasks(commits: [CommitID], limit: Int) async throws -> [TaskSummary]

    /// The distinct commits of `repo` built by its newest tasks, newest first: the candidates
    /// a covering query checks for descent.
    func commits(builtFrom repo: String, limit: Int) async throws -> [CommitID]

    func task(workflow: String, taskID: Int64) async throws -> TaskRecord?

    /// The tasks of `workflow`, newest (highest `task_id`) first, at most `limit`, each whole:
    /// the execution history views of seeds 003 and 004.
    func tasks(workflow: String, limit: Int) async throws -> [TaskRecord]

    /// A page of the dashboard's task list (`TaskListQuery`), newest first.
    func taskList(_ query: TaskListQuery) async throws -> [TaskListEntry]

    /// Cancels a created or running task: every job not yet ended is cancelled.
    func cancelTask(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64) async throws -> TaskRecord

    /// Starts a new attempt of a failed, timed-out or cancelled task under the same `task_id`;
    /// jobs that passed stay passed, the earlier attempt stays visible.
    func restartTask(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64) async throws -> TaskRecord

}

/// The executor's claims and progress.
public protocol RunStore: Sendable {
    /// Moves created tasks, oldest first, to `running` for `runner` as far as `limits` allow
    /// (counting tasks already running anywhere), and answers them.
    func claimTasks(_ limits: RunLimits, runner: String, at time: Int64) async throws -> [TaskRecord]

    /// Records a running attempt's stages, and with `ending` its final status. Answers false, writing
    /// nothing, when the task is no longer that attempt running (cancelled or restarted meanwhile).
    /// With `changes`, only those stage and job rows are written (`TaskProgress.changes`); without,
    /// every row of the attempt.
    func recordProgress(workflow: String, taskID: Int64, attempt: Int, stages: [StageRecord], changes: StageChanges?,
                        ending: TaskStatus?, at time: Int64) async throws -> Bool

    /// Fails the tasks left running by `runner` (nil: by anyone) that is gone, their unfinished jobs with `reason`;
    /// those of the `requeue` workflows then start a new attempt (`created` again). Answers each task as it now is.
    func failInterruptedTasks(runner: String?, reason: String, requeue: Set<String>, at time: Int64) async throws -> [TaskSummary]

    /// Registers `runner` as alive at `time`, or records its heartbeat; answers false when it was
    /// not registered (new, or presumed lost and removed meanwhile). A claim heartbeats too, so
    /// every task running has its runner registered.
    func heartbeat(runner: String, at time: Int64) async throws -> Bool

    /// Removes a runner that stopped cleanly (its tasks already ended).
    func removeRunner(_ runner: String) async throws

    /// The attempts the store has running for `runner` now: one read for all of an executor's
    /// runs, so it can stop those cancelled or restarted by another process.
    func runningAttempts(runner: String) async throws -> Set<RunningAttempt>

    /// Presumes lost every runner whose last heartbeat is older than `before`, and any task running
    /// for a runner not registered: removes them and fails those tasks with "runner lost: NAME"
    /// (`RunnerLease.lostReason`); those of the `requeue` workflows then start a new attempt.
    /// Answers each task as it now is, with the runner it was lost by.
    func failLostRunners(heartbeatBefore before: Int64, requeue: Set<String>, at time: Int64) async throws -> [LostTask]

}

/// An attempt of a task, running.
public struct RunningAttempt: Sendable, Hashable {
    public var workflow: String
    public var taskID: Int64
    public var attempt: Int

    public init(workflow: String, taskID: Int64, attempt: Int) {
        self.workflow = workflow
        self.taskID = taskID
        self.attempt = attempt
    }
}

/// A task whose runner was presumed lost, as it is now (failed, or created again when requeued).
public struct LostTask: Sendable, Equatable {
    public var runner: String
    public var task: TaskSummary

    public init(runner: String, task: TaskSummary) {
        self.runner = runner
        self.task = task
    }
}

/// Commit statuses and merge request notes waiting to go to GitLab.
public protocol GitLabOutboxStore: Sendable {
    /// Commit statuses to send now: the oldest unsent of each task whose retry time has come. With
    /// `claimingUntil`, a store shared by processes claims them until then, skipping those another
    /// process holds (a task's next status waits behind its claimed one, so each goes once, in
    /// order); a claim not answered by `commitStatusSent` lapses and the status is due again.
    func dueCommitStatuses(now: Int64, limit: Int, claimingUntil: Int64?) async throws -> [CommitStatusSend]

    /// Records a send's result: accepted (`error` nil); failed and retried at `retryAt`; or failed
    /// and given up (`retryAt` nil), when the task's next status goes next.
    func commitStatusSent(_ send: CommitStatusSend, error: String?, retryAt: Int64?) async throws

    /// Merge request notes to post (a task's first end) or edit (a later attempt's end) now;
    /// claimed as `dueCommitStatuses` claims.
    func dueMergeRequestNotes(now: Int64, limit: Int, claimingUntil: Int64?) async throws -> [MergeRequestNoteSend]

    /// Records a note's send: posted or edited (`noteID` the note GitLab made), failed and retried at
    /// `retryAt`, or given up (`retryAt` nil).
    func mergeRequestNoteSent(_ send: MergeRequestNoteSend, noteID: Int?, error: String?, retryAt: Int64?) async throws

    /// The task's commit status, if it has one (webhook tasks, with GitLab configured).
    func commitStatus(workflow: String, taskID: Int64) async throws -> CommitStatusRecord?

}

/// The webhook inbox: deliveries committed before their 2xx, then processed.
public protocol DeliveryStore: Sendable {
    /// How many group-commit batches the inbox should have in flight at once: SQLite has one
    /// writer; a database server commits several concurrently, each waiting on its own fsync.
    var inboxWriters: Int { get }

    /// Commits webhook deliveries in one transaction (group commit); a delivery whose dedupe key
    /// was seen before is not stored again, and its receipt carries the earlier outcome.
    func recordDeliveries(_ deliveries: [NewDelivery]) async throws -> [DeliveryReceipt]

    /// `recordDeliveries` blocking the calling thread until the commit: for the inbox's own writer
    /// thread only, never for a task on the cooperative pool.
    func recordDeliveriesBlocking(_ deliveries: [NewDelivery]) throws -> [DeliveryReceipt]

    /// Deliveries committed but not processed yet, oldest first. With `claimingUntil`, a store
    /// shared by processes claims them until then, skipping those another process holds, so each
    /// is planned by one process; one neither completed nor postponed by then (its process died)
    /// is due again. Completion stays the real claim: a delivery is completed once whatever happens.
    func pendingDeliveries(limit: Int, dueAt now: Int64, claimingUntil: Int64?) async throws -> [StoredDelivery]

    /// Keeps a pending delivery whose try failed for a passing reason, to be tried again at
    /// `attempts.nextTime` (`DeliveryRetryPolicy`).
    func postponeDelivery(id: Int64, attempts: DeliveryAttempts) async throws

    /// Creates processed deliveries' tasks and records their outcomes, in one transaction; answers
    /// each final outcome (duplicate builds and auto-cancels noted), in order.
    func completeDeliveries(_ completions: [DeliveryCompletion], at time: Int64) async throws -> [DeliveryOutcome]

    /// How many deliveries wait to be processed, and when the oldest of them arrived.
    func deliveryBacklog() async throws -> DeliveryBacklog

    /// The newest deliveries first.
    func deliveries(limit: Int) async throws -> [DeliverySummary]

    func delivery(id: Int64) async throws -> StoredDelivery?

}


public struct StoreError: Error, Sendable, CustomStringConvertible {
    public var operation: String
    public var detail: String

    public init(operation: String, detail: String) {
        self.operation = operation
        self.detail = detail
    }

    public var description: String { "store: \(operation) failed: \(detail)" }
}

extension RunStore {
    /// Every row of the attempt's stages.
    public func recordProgress(workflow: String, taskID: Int64, attempt: Int, stages: [StageRecord], ending: TaskStatus?,
                               at time: Int64) async throws -> Bool {
        try await recordProgress(workflow: workflow, taskID: taskID, attempt: attempt, stages: stages, changes: nil,
                                 ending: ending, at: time)
    }
}

extension GitLabOutboxStore {
    /// What is due, claiming nothing: for one process alone and for tests.
    public func dueCommitStatuses(now: Int64, limit: Int) async throws -> [CommitStatusSend] {
        try await dueCommitStatuses(now: now, limit: limit, claimingUntil: nil)
    }

    public func dueMergeRequestNotes(now: Int64, limit: Int) async throws -> [MergeRequestNoteSend] {
        try await dueMergeRequestNotes(now: now, limit: limit, claimingUntil: nil)
    }
}

extension DeliveryStore {
    /// What is pending, claiming nothing: for one process alone and for tests.
    public func pendingDeliveries(limit: Int, dueAt now: Int64) async throws -> [StoredDelivery] {
        try await pendingDeliveries(limit: limit, dueAt: now, claimingUntil: nil)
    }
}

/// The webhook inbox's backlog: what `/metrics` shows as pending deliveries and the processor's lag.
public struct DeliveryBacklog: Sendable, Equatable {
    public var pending: Int
    /// When the oldest pending delivery was received (nil when none is pending).
    public var oldestReceivedTime: Int64?

    public init(pending: Int, oldestReceivedTime: Int64?) {
        self.pending = pending
        self.oldestReceivedTime = oldestReceivedTime
    }
}
