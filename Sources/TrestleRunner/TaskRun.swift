import Foundation
import Logging
import Synchronization
import TrestleCore
import TrestleGit
import TrestleStore

/// Why a running task is being stopped by this process.
enum StopReason: Sendable, Equatable {
    case cancelled
    case shutdown
    /// This runner's lease lapsed (`RunnerLease`): other processes fail its tasks with the reason.
    case lost(reason: String)
}

/// Runs one claimed attempt of a task: stage by stage, the jobs of a stage in parallel, recording
/// every job's start and end in the store. The decisions (what starts next, how the task ends)
/// are `TaskProgress`'s; this type does the I/O.
final class TaskRun: Sendable {
    struct Context: Sendable {
        var config: TrestleConfig
        var store: any TaskStore
        var mirrors: MirrorSet
        var workspaces: Workspaces
        var logs: JobLogs
        /// Where jobs' logs are shipped as they are written, on a store shared by processes.
        var logStore: (any JobLogStore)?
        var logger: Logger
        var now: @Sendable () -> Int64
        /// The server's environment, of which jobs inherit only `JobEnvironment.inherited`.
        var serverEnvironment: [String: String]
        /// Where async flow tasks' results arrive (callback URL, finish.json).
        var flowResults: FlowResults
        /// The server's base URL, for the callback URLs of async flow tasks.
        var callbackBase: @Sendable () -> String
        /// How job processes are isolated and limited.
        var isolation: JobIsolationSetup
    }

    let task: TaskRecord
    private let context: Context
    private let stopReason = Mutex<StopReason?>(nil)
    /// Set once this run records its task's end: what follows (a flow's final callback) is its
    /// own, not to be stopped because the store no longer has the task running.
    private let endRecorded = Mutex(false)
    /// The stages as the store last took them: each write sends only what differs from them.
    private let recorded: Mutex<[StageRecord]>

    init(task: TaskRecord, context: Context) {
        self.task = task
        self.context = context
        recorded = Mutex(task.currentStages)
    }

    var key: TaskKey { TaskKey(workflow: task.summary.workflow, taskID: task.summary.taskID) }

    /// Whether this run is recording or has recorded its task's end (and only finishes up now).
    var hasRecordedEnd: Bool { endRecorded.withLock { $0 } }

    /// Marks why the run's Swift task is about to be cancelled.
    func markStopped(_ reason: StopReason) {
        stopReason.withLock { $0 = $0 ?? reason }
    }

    /// Runs to the end; answers the task's final status, or nil when the task was taken from
    /// this run (cancelled or restarted through the API) and the store already says how it ended.
    func run() async -> TaskStatus? {
        let workflow = task.summary.workflow
        let executor: any JobExecutor
        if let config = context.config.workflow(named: workflow) {
            executor = ProcessJobExecutor(task: task, context: context, workflow: config, stopReason: { self.stopReason.withLock { $0 } })
        } else if let flow = await flowExecution() {
            executor = FunctionJobExecutor(task: task, context: context, execution: flow)
        } else {
            return await end(task.currentStages, reason: "workflow '\(workflow)' is no longer in the configuration")
        }
        let taskDeadline = ContinuousClock.now + .seconds(executor.timeout)
        RunMetrics.started(task, at: context.now())
        let rules = executor.rules
        var stages = task.currentStages
        // Jobs start as soon as `TaskProgress` allows (their stage reached, their needs settled)
        // and every start and end is recorded before the next decision.
        let taken = await withTaskGroup(of: (Int, Int, JobOutcome).self) { group -> Bool in
            var running = 0
            while true {
                if Task.isCancelled || stopReason.withLock({ $0 }) != nil {
                    if running == 0 { return false }
                } else if case .start(let stage, let jobs) = TaskProgress.next(stages, rules: rules) {
                    let time = context.now()
                    for job in jobs {
                        stages = TaskProgress.updating(stages, stage: stage, job: job, to: .running, at: time, rules: rules)
                    }
                    guard await record(stages, ending: nil) else {
                        group.cancelAll()
                        return true
                    }
                    let snapshot = stages
                    for job in jobs {
                        running += 1
                        group.addTask {
                            RunMetrics.runningJobs.increment()
                            defer { RunMetrics.runningJobs.decrement() }
                            return (stage, job, await executor.run(stage: stage, job: job, stages: snapshot, taskDeadline: taskDeadline))
                        }
                    }
                    continue
                }
                guard running > 0, let (stage, job, outcome) = await group.next() else { return false }
                running -= 1
                stages = TaskProgress.updating(stages, stage: stage, job: job, to: outcome.status, at: context.now(),
                                               error: outcome.error, rules: rules)
                stages[stage].jobs[job].image = outcome.image ?? stages[stage].jobs[job].image
                RunMetrics.jobEnded(workflow: workflow, job: stages[stage].jobs[job])
                if !Task.isCancelled, !(await record(stages, ending: nil)) {
                    // Cancelled or restarted through the API: stop the jobs still running.
                    group.cancelAll()
                    while await group.next() != nil {}
                    return true
                }
            }
        }
        if taken { return nil }
        if Task.isCancelled || stopReason.withLock({ $0 }) != nil {
            return await stopped(stages)
        }
        switch TaskProgress.next(stages, rules: rules) {
        case .finish(let status):
            if status != .passed, let failed = stages.firstIndex(where: { $0.status.isFinal && $0.status != .passed }) {
                stages = TaskProgress.skippingRest(stages, after: failed)
            }
            guard await record(stages, ending: status) else { return nil }
            RunMetrics.taskEnded(workflow: workflow, status: status)
            await executor.ended(status, stages: stages)
            return status
        case .start, .wait:
            return await end(stages, reason: "no job of the task can start (an executor fault)")
        }
    }

    /// The end of a run stopped from outside: a user's cancel already wrote the task's end; a
    /// shutdown fails it with a reason, so nothing stays `running`.
    private func stopped(_ stages: [StageRecord]) async -> TaskStatus? {
        switch stopReason.withLock({ $0 }) {
        case .shutdown:
            return await end(stages, reason: "the executor shut down while the job ran; restart the task")
        case .lost(let reason):
            // Written only if no other process has failed the task yet.
            return await end(stages, reason: reason)
        case .cancelled, nil:
            return nil
        }
    }

    /// The flow execution of a task whose workflow is a stored descriptor (seed 002), if it is one.
    private func flowExecution() async -> FlowExecution? {
        do {
            return try await context.store.flowExecution(workflow: task.summary.workflow, taskID: task.summary.taskID)
        } catch {
            context.logger.error("cannot read the flow execution of a task", metadata: [
                "workflow": "\(task.summary.workflow)", "task": "\(task.summary.taskID)", "reason": "\(error)",
            ])
            return nil
        }
    }

    private func end(_ stages: [StageRecord], reason: String) async -> TaskStatus? {
        let ended = TaskProgress.ending(stages, as: .failed, reason: reason, at: context.now())
        return await record(ended, ending: .failed) ? .failed : nil
    }

    /// Pauses between tries of a progress write that failed (a busy or full disk, a locked store).
    static let recordBackoff = RetryBackoff(first: .milliseconds(200), longest: .seconds(5))
    /// Tries of a write while the executor shuts down (about 3 s).
    static let shutdownRecordTries = 5

    /// False when the task is no longer this attempt running (cancelled or restarted meanwhile).
    /// Written from a task of its own, so that a cancelled run (user cancel, shutdown) still
    /// records how it ended. A store failure is retried until the store takes the write: giving
    /// up would leave the task `running` in the store while nothing runs it.
    private func record(_ stages: [StageRecord], ending: TaskStatus?) async -> Bool {
        let (store, task, now, logger) = (context.store, self.task, context.now, context.logger)
        let changes = TaskProgress.changes(from: recorded.withLock { $0 }, to: stages)
        // Before the write: its commit's notification may reach this process's scheduler first.
        if ending != nil { endRecorded.withLock { $0 = true } }
        return await Task {
            var failures = 0
            while true {
                do {
                    let taken = try await store.recordProgress(workflow: task.summary.workflow, taskID: task.summary.taskID,
                                                               attempt: task.attempt, stages: stages, changes: changes,
                                                               ending: ending, at: now())
                    if taken { self.recorded.withLock { $0 = stages } }
                    if failures > 0 {
                        logger.notice("task progress recorded after \(failures) failed tries", metadata: [
                            "workflow": "\(task.summary.workflow)", "task": "\(task.summary.taskID)"])
                    }
                    return taken
                } catch {
                    failures += 1
                    // Shutting down, the row may stay `running`: the next executor fails it on
                    // start (it holds the lock then), and the shutdown does not wait on a full disk.
                    if self.stopReason.withLock({ $0 }) == .shutdown, failures >= Self.shutdownRecordTries {
                        logger.error("cannot record task progress while shutting down; the next start fails the task", metadata: [
                            "workflow": "\(task.summary.workflow)", "task": "\(task.summary.taskID)", "reason": "\(error)"])
                        return false
                    }
                    let pause = Self.recordBackoff.delay(afterFailures: failures)
                    logger.error("cannot record task progress; trying again", metadata: [
                        "workflow": "\(task.summary.workflow)", "task": "\(task.summary.taskID)",
                        "failures": "\(failures)", "next try in": "\(pause)", "reason": "\(error)",
                    ])
                    try? await Task.sleep(for: pause)
                }
            }
        }.value
    }

}

/// A task by its public identity.
public struct TaskKey: Sendable, Hashable {
    public var workflow: String
    public var taskID: Int64

    public init(workflow: String, taskID: Int64) {
        self.workflow = workflow
        self.taskID = taskID
    }
}
