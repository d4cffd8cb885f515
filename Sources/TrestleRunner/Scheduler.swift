import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TrestleCore
import TrestleGit
import TrestleStore

/// Runs created tasks: claims them through the store, oldest first, within the executor's and
/// each workflow's concurrency limits, and runs each claimed attempt (`TaskRun`).
///
/// Claims go through the store, not memory. A SQLite store has one executor, which holds its
/// `ExecutorLock`; on start it fails the tasks a killed executor left `running` with the reason
/// "executor restarted", so nothing stays running forever. A process that runs no tasks
/// (concurrency 0) holds no lock and leaves running tasks alone: they belong to a live executor.
public final class Scheduler: Service, Sendable {
    /// How often the store is checked for tasks nobody rang about (made by another process), and
    /// for running tasks ended elsewhere.
    public static let pollInterval: Duration = .seconds(2)

    private let context: TaskRun.Context
    private let limits: RunLimits
    private let runner: String
    private let doorbell: AsyncStream<Void>
    private let ring: AsyncStream<Void>.Continuation
    /// By task and attempt: a restart's attempt may start while the cancelled one is still being stopped.
    private let runs = Mutex<[RunKey: (run: TaskRun, handle: Task<Void, Never>)]>([:])
    /// Held for the scheduler's life when it runs tasks.
    private let lock: ExecutorLock?

    private struct RunKey: Hashable {
        var task: TaskKey
        var attempt: Int
    }

    public init(config: TrestleConfig, store: any TaskStore, mirrors: MirrorSet, logger: Logger,
                now: @escaping @Sendable () -> Int64, serverEnvironment: [String: String] = ProcessInfo.processInfo.environment,
                flowResults: FlowResults = FlowResults(), callbackBase: @escaping @Sendable () -> String = { "" },
                isolation: JobIsolationSetup = .unsandboxed()) throws(RunnerError) {
        context = TaskRun.Context(config: config, store: store, mirrors: mirrors,
                                  workspaces: Workspaces(dataDir: config.dataDir), logs: JobLogs(dataDir: config.dataDir),
                                  logger: logger, now: now, serverEnvironment: serverEnvironment,
                                  flowResults: flowResults, callbackBase: callbackBase, isolation: isolation)
        limits = RunLimits(config)
        runner = "\(ProcessInfo.processInfo.hostName):\(getpid())"
        // One executor per SQLite file; on PostgreSQL many executors claim from one store.
        lock = limits.total > 0 && config.storage.postgres == nil
            ? try ExecutorLock.acquire(storePath: config.storage.sqlitePath, holder: "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)")
            : nil
        (doorbell, ring) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Tells the scheduler that tasks were created or restarted.
    public func wake() {
        ring.yield()
    }

    /// Stops a task's running jobs after its cancel was recorded: their process groups get
    /// SIGTERM, then SIGKILL after the grace period.
    public func cancel(_ key: TaskKey) {
        let entries = runs.withLock { runs in runs.filter { $0.key.task == key }.map(\.value) }
        for entry in entries {
            entry.run.markStopped(.cancelled)
            entry.handle.cancel()
        }
    }

    public func run() async throws {
        let logger = context.logger
        guard limits.total > 0 else {
            logger.info("executor concurrency is 0: tasks are stored but not run by this process")
            try await gracefulShutdown()
            return
        }
        if lock == nil {
            // Without the SQLite lock another executor may be running those tasks now.
            logger.notice("the store is on PostgreSQL: tasks left running by a gone executor are not failed at start")
        } else { do {
            let requeue = Set(context.config.workflows.filter(\.requeueInterrupted).map(\.name))
            // This process holds the store's executor lock, so every task running now was left
            // by a gone executor.
            let interrupted = try await context.store.failInterruptedTasks(runner: nil, reason: "executor restarted",
                                                                           requeue: requeue, at: context.now())
            for task in interrupted {
                logger.warning("a task left running by an earlier executor was \(task.status == .created ? "queued again" : "failed")",
                               metadata: ["workflow": "\(task.workflow)", "task": "\(task.taskID)", "reason": "executor restarted"])
            }
        } catch {
            logger.error("cannot fail the tasks an earlier executor left running", metadata: ["reason": "\(error)"])
        } }
        let ring = self.ring
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.pollInterval)
                await self.stopTakenRuns()
                ring.yield()
            }
        }
        await withGracefulShutdownHandler {
            ring.yield()
            for await _ in doorbell {
                await claim()
            }
        } onGracefulShutdown: {
            ring.finish()
        }
        ticker.cancel()
        await stopAll()
    }

    private func claim() async {
        let claimed: [TaskRecord]
        do {
            claimed = try await context.store.claimTasks(limits, runner: runner, at: context.now())
        } catch {
            context.logger.error("cannot claim tasks to run", metadata: ["reason": "\(error)"])
            return
        }
        for task in claimed {
            let run = TaskRun(task: task, context: context)
            let key = run.key
            let runKey = RunKey(task: key, attempt: task.attempt)
            let logger = context.logger
            runs.withLock { runs in
                let handle = Task {
                    logger.info("task started", metadata: ["workflow": "\(key.workflow)", "task": "\(key.taskID)",
                                                           "attempt": "\(task.attempt)"])
                    let status = await run.run()
                    logger.info("task ended", metadata: ["workflow": "\(key.workflow)", "task": "\(key.taskID)",
                                                         "status": "\(status?.rawValue ?? "taken over (cancelled or restarted)")"])
                    self.finished(runKey)
                }
                runs[runKey] = (run, handle)
            }
        }
    }

    /// Runs whose task the store no longer has running in that attempt (cancelled by a webhook's
    /// auto_cancel, or through another process) stop their jobs, as an API cancel here would.
    private func stopTakenRuns() async {
        let entries = runs.withLock { Array($0) }
        for (key, entry) in entries {
            let task: TaskRecord?
            do {
                task = try await context.store.task(workflow: key.task.workflow, taskID: key.task.taskID)
            } catch {
                continue
            }
            // A task that is gone, ended, or on another attempt is no longer this run's.
            if task?.summary.status != .running || task?.attempt != key.attempt {
                entry.run.markStopped(.cancelled)
                entry.handle.cancel()
            }
        }
    }

    private func finished(_ key: RunKey) {
        runs.withLock { _ = $0.removeValue(forKey: key) }
        ring.yield()
    }

    /// On shutdown: running jobs are ended and their tasks failed with a reason saying so.
    private func stopAll() async {
        let entries = runs.withLock { Array($0.values) }
        for entry in entries {
            entry.run.markStopped(.shutdown)
            entry.handle.cancel()
        }
        for entry in entries {
            await entry.handle.value
        }
    }
}
