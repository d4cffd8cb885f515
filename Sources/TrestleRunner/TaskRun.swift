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
        var logger: Logger
        var now: @Sendable () -> Int64
        /// The server's environment, of which jobs inherit only `JobEnvironment.inherited`.
        var serverEnvironment: [String: String]
    }

    let task: TaskRecord
    private let context: Context
    private let stopReason = Mutex<StopReason?>(nil)

    init(task: TaskRecord, context: Context) {
        self.task = task
        self.context = context
    }

    var key: TaskKey { TaskKey(workflow: task.summary.workflow, taskID: task.summary.taskID) }

    /// Marks why the run's Swift task is about to be cancelled.
    func markStopped(_ reason: StopReason) {
        stopReason.withLock { $0 = $0 ?? reason }
    }

    /// Runs to the end; answers the task's final status, or nil when the task was taken from
    /// this run (cancelled or restarted through the API) and the store already says how it ended.
    func run() async -> TaskStatus? {
        let workflow = task.summary.workflow
        guard let config = context.config.workflow(named: workflow) else {
            return await end(task.currentStages, reason: "workflow '\(workflow)' is no longer in the configuration")
        }
        let taskDeadline = ContinuousClock.now + .seconds(config.timeout)
        let rules = JobRules(config)
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
                            (stage, job, await self.runJob(stage: stage, job: job, stages: snapshot, workflow: config,
                                                           taskDeadline: taskDeadline))
                        }
                    }
                    continue
                }
                guard running > 0, let (stage, job, outcome) = await group.next() else { return false }
                running -= 1
                stages = TaskProgress.updating(stages, stage: stage, job: job, to: outcome.status, at: context.now(),
                                               error: outcome.error, rules: rules)
                stages[stage].jobs[job].image = outcome.image ?? stages[stage].jobs[job].image
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
            return await record(stages, ending: status) ? status : nil
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
        case .cancelled, nil:
            return nil
        }
    }

    private func end(_ stages: [StageRecord], reason: String) async -> TaskStatus? {
        let ended = TaskProgress.ending(stages, as: .failed, reason: reason, at: context.now())
        return await record(ended, ending: .failed) ? .failed : nil
    }

    /// Delays between tries of a progress write that failed (a busy or full disk): the run never
    /// goes on unrecorded, and a task is not left `running` by one failed write.
    static let recordRetries: [Duration] = [.milliseconds(200), .seconds(1), .seconds(3), .seconds(10)]

    /// False when the task is no longer this attempt running (cancelled or restarted meanwhile).
    /// Written from a task of its own, so that a cancelled run (user cancel, shutdown) still
    /// records how it ended; a store failure is retried, then logged and treated as taken over.
    private func record(_ stages: [StageRecord], ending: TaskStatus?) async -> Bool {
        let (store, task, now, logger) = (context.store, self.task, context.now, context.logger)
        return await Task {
            for (attempt, pause) in ([nil] + Self.recordRetries.map(Optional.some)).enumerated() {
                if let pause { try? await Task.sleep(for: pause) }
                do {
                    return try await store.recordProgress(workflow: task.summary.workflow, taskID: task.summary.taskID,
                                                          attempt: task.attempt, stages: stages, ending: ending, at: now())
                } catch {
                    logger.error("cannot record task progress", metadata: [
                        "workflow": "\(task.summary.workflow)", "task": "\(task.summary.taskID)",
                        "try": "\(attempt + 1) of \(Self.recordRetries.count + 1)", "reason": "\(error)",
                    ])
                }
            }
            return false
        }.value
    }

    struct JobOutcome: Sendable {
        var status: TaskStatus
        var error: String?
        var image: String?
    }

    private func runJob(stage: Int, job index: Int, stages: [StageRecord], workflow: WorkflowConfig,
                        taskDeadline: ContinuousClock.Instant) async -> JobOutcome {
        let job = stages[stage].jobs[index]
        let target = workflow.targets.first { $0.name == job.target }
        let workspace: String
        let logPath: String
        do {
            workspace = try context.workspaces.path(workflow: workflow.name, taskID: task.summary.taskID, attempt: task.attempt,
                                                    job: job.name)
            logPath = try context.logs.path(workflow: workflow.name, taskID: task.summary.taskID, attempt: task.attempt, job: job.name)
            try context.workspaces.makeFresh(workspace)
        } catch {
            return JobOutcome(status: .failed, error: "cannot prepare the job: \(error)")
        }
        defer { context.workspaces.remove(workspace) }
        let command: String?
        var workingDirectory = workspace
        var image: String?
        var imageFile: String?
        var shellJob: ShellJobConfig?
        switch job.kind {
        case .build:
            command = target?.build
            guard let arguments = task.arguments.targets.first(where: { $0.name == job.target }) else {
                return JobOutcome(status: .failed, error: "target '\(job.target)' is not in the task's arguments")
            }
            do {
                workingDirectory = try await context.workspaces.checkOut(arguments, into: workspace, mirrors: context.mirrors)
                    ?? workspace
            } catch {
                return JobOutcome(status: .failed, error: "cannot check out the sources: \(error)")
            }
            imageFile = URL(fileURLWithPath: workspace).appendingPathComponent(".trestle-image").path
        case .deploy:
            command = target?.deploy
            image = Self.image(for: job.target, stages: stages, releaseImages: task.arguments.releaseImages)
        case .function, .pass:
            return JobOutcome(status: .failed, error: "flow task '\(job.name)' runs only in a flow execution")
        case .shell:
            shellJob = workflow.stages.flatMap(\.jobs).first { $0.name == job.name }
            command = shellJob?.run
            guard shellJob != nil else {
                return JobOutcome(status: .failed, error: "job '\(job.name)' is no longer in workflow '\(workflow.name)' of the configuration")
            }
            // Every repo the task builds, each once, for tests and checks across them.
            var seen = Set<String>()
            let repos = task.arguments.targets.flatMap(\.build.repos).filter { seen.insert($0.repoName).inserted }
            do {
                workingDirectory = try await context.workspaces.checkOut(
                    TargetArguments(name: job.name, serviceType: .k8s, build: BuildArguments(repos: repos)),
                    into: workspace, mirrors: context.mirrors) ?? workspace
            } catch {
                return JobOutcome(status: .failed, error: "cannot check out the sources: \(error)")
            }
        }
        guard let command, !command.isEmpty else {
            if target == nil {
                return JobOutcome(status: .failed, error: "target '\(job.target)' is not in workflow '\(workflow.name)' of the configuration")
            }
            return JobOutcome(status: .passed, error: "no \(job.kind.rawValue) command is configured for target '\(job.target)'; nothing to run")
        }
        let timeoutSeconds = shellJob?.timeout ?? target?.timeout ?? workflow.timeout
        let jobTimeout = Duration.seconds(timeoutSeconds)
        let jobDeadline = min(ContinuousClock.now + jobTimeout, taskDeadline)
        let environment = JobEnvironment.variables(task: task, job: job, stage: stages[stage].name,
                                                   serviceType: target?.serviceType, workspace: workspace, image: image,
                                                   imageFile: imageFile, server: context.serverEnvironment)
        var outcome = await finish(job: job, command: command, environment: environment, workingDirectory: workingDirectory,
                                   logPath: logPath, deadline: jobDeadline, taskDeadline: taskDeadline,
                                   workflow: workflow, timeoutSeconds: timeoutSeconds)
        outcome.image = job.kind == .build ? (outcome.status == .passed ? imageFile.flatMap(Self.announcedImage) : nil) : image
        return outcome
    }

    private func finish(job: JobRecord, command: String, environment: [String: String], workingDirectory: String,
                        logPath: String, deadline jobDeadline: ContinuousClock.Instant, taskDeadline: ContinuousClock.Instant,
                        workflow: WorkflowConfig, timeoutSeconds: Int) async -> JobOutcome {
        let end = await JobProcess.run(JobCommand(
            command: command, environment: environment, workingDirectory: workingDirectory, logPath: logPath,
            maxLogBytes: context.config.executor.maxLogBytes, deadline: jobDeadline,
            killGrace: .seconds(context.config.executor.killGrace)))
        switch end {
        case .exited(0):
            return JobOutcome(status: .passed)
        case .exited(let code):
            return JobOutcome(status: .failed, error: "the \(job.kind.rawValue) command exited with status \(code)")
        case .signaled(let signal):
            return JobOutcome(status: .failed, error: "the \(job.kind.rawValue) command was killed by signal \(signal)")
        case .timedOut:
            let reason = ContinuousClock.now >= taskDeadline
                ? "the task ran out of time (workflow timeout \(workflow.timeout) s)"
                : "the job ran out of time (\(job.kind == .shell ? "job" : "target") timeout \(timeoutSeconds) s)"
            return JobOutcome(status: .timeout, error: reason)
        case .stopped:
            switch stopReason.withLock({ $0 }) {
            case .shutdown: return JobOutcome(status: .failed, error: "the executor shut down while the job ran; restart the task")
            case .cancelled, nil: return JobOutcome(status: .cancelled, error: "cancelled while running")
            }
        case .couldNotStart(let reason):
            return JobOutcome(status: .failed, error: reason)
        }
    }

    /// The image a deploy uses: the one its target's build announced, else the task's release image for the service.
    static func image(for service: String, stages: [StageRecord], releaseImages: [ReleaseImage]) -> String? {
        let built = stages.flatMap(\.jobs).first { $0.kind == .build && $0.target == service && $0.status == .passed }?.image
        return built ?? releaseImages.first { $0.serviceName == service }?.image
    }

    /// The first line of the file a build job wrote to `$TRESTLE_IMAGE_FILE`, if any.
    static func announcedImage(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path), data.count <= 4_096 else { return nil }
        let line = String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).first
            .map { $0.trimmingCharacters(in: .whitespaces) }
        return line?.isEmpty == false ? line : nil
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
