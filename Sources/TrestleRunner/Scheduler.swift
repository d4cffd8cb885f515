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
///
/// On PostgreSQL many executors share the store: each registers as a runner and heartbeats
/// (`RunnerLease`), and every process, whether it runs tasks or not, fails the tasks of runners
/// whose lease lapsed ("runner lost: NAME"). A task created, cancelled or restarted by another
/// process reaches this one through `tasksChanged()` (the store's notifications), with the
/// poll as the fallback.
public final class Scheduler: Service, Sendable {
    /// How often the store is checked for tasks nobody rang about (made by another process), and
    /// for running tasks ended elsewhere.
    public static let pollInterval: Duration = .seconds(2)

    private let context: TaskRun.Context
    private let limits: RunLimits
    /// This executor's name in the store: host, process and a per-scheduler suffix, so two
    /// schedulers never share one (tests run several in a process).
    public let runner: String
    private let lease: RunnerLease
    /// Whether this store is shared by other executors, which heartbeats and leases are for.
    private let clustered: Bool
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation
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
                isolation: JobIsolationSetup = .unsandboxed(), logStore: (any JobLogStore)? = nil) throws(RunnerError) {
        context = TaskRun.Context(config: config, store: store, mirrors: mirrors,
                                  workspaces: Workspaces(dataDir: config.dataDir), logs: JobLogs(dataDir: config.dataDir),
                                  logStore: logStore, logger: logger, now: now, serverEnvironment: serverEnvironment,
                                  flowResults: flowResults, callbackBase: callbackBase, isolation: isolation)
        limits = RunLimits(config)
        runner = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(String(UInt32.random(in: 0...UInt32.max), radix: 36))"
        lease = RunnerLease(seconds: config.executor.leaseSeconds)
        clustered = config.storage.postgres != nil
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
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

    /// Tells the scheduler that some process changed a task: it claims, and stops its runs whose
    /// tasks were cancelled or restarted. Bursts of changes are taken as one.
    public func tasksChanged() {
        changed.yield()
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

    /// Whether `run` is running: what `/readyz` reports as the executor.
    public var isRunning: Bool { running.withLock { $0 } }
    private let running = Mutex(false)

    public func run() async throws {
        running.withLock { $0 = true }
        defer { running.withLock { $0 = false } }
        let logger = context.logger
        guard limits.total > 0 else {
            logger.info("executor concurrency is 0: tasks are stored but not run by this process")
            if clustered {
                // Runs no tasks, but presumes lost runners lost like every process on the store.
                let leases = Task { await self.keepLeases(registered: false) }
                try? await gracefulShutdown()
                leases.cancel()
            } else {
                try await gracefulShutdown()
            }
            return
        }
        var leases: Task<Void, Never>?
        var watcher: Task<Void, Never>?
        if clustered {
            // Without the SQLite lock another executor may be running those tasks now: only the
            // tasks of runners whose lease lapsed are failed, by whichever process sees it first.
            do {
                _ = try await context.store.heartbeat(runner: runner, at: context.now())
            } catch {
                logger.error("cannot register this executor in the store; its first claim or heartbeat registers it",
                             metadata: ["runner": "\(runner)", "reason": "\(error)"])
            }
            logger.info("executor registered", metadata: ["runner": "\(runner)", "lease_seconds": "\(lease.seconds)"])
            leases = Task { await self.keepLeases(registered: true) }
            let changes = self.changes
            watcher = Task {
                for await _ in changes {
                    self.ring.yield()
                    await self.stopTakenRuns()
                }
            }
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
            // And every runner registered by an earlier executor's claims is gone (its tasks were
            // just failed), so none stays registered after a kill.
            _ = try await context.store.failLostRunners(heartbeatBefore: Int64.max, requeue: requeue, at: context.now())
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
                // Full: every claim would take the cluster's claim lock for nothing; a run that
                // ends rings again.
                if runs.withLock({ $0.count }) < limits.total { await claim() }
            }
        } onGracefulShutdown: {
            ring.finish()
        }
        ticker.cancel()
        leases?.cancel()
        watcher?.cancel()
        await stopAll()
        do {
            try await context.store.removeRunner(runner)
        } catch {
            logger.warning("cannot remove this executor from the store; others will presume it lost after its lease",
                           metadata: ["runner": "\(runner)", "reason": "\(error)"])
        }
    }

    /// Every heartbeat interval: this runner's heartbeat (when `registered`), its own runs stopped
    /// once its lease has lapsed, and the tasks of other runners whose lease lapsed failed.
    private func keepLeases(registered: Bool) async {
        let logger = context.logger
        let requeue = Set(context.config.workflows.filter(\.requeueInterrupted).map(\.name))
        var lastRecorded = context.now()
        while !Task.isCancelled {
            try? await Task.sleep(for: lease.heartbeatInterval)
            if Task.isCancelled { return }
            if registered {
                let now = context.now()
                let heartbeat: RunnerLease.Heartbeat
                do {
                    heartbeat = try await context.store.heartbeat(runner: runner, at: now) ? .recorded : .unknownRunner
                    lastRecorded = now
                } catch {
                    heartbeat = .failed
                    logger.warning("cannot record this executor's heartbeat", metadata: ["runner": "\(runner)", "reason": "\(error)"])
                }
                if case .stopRuns(let reason) = lease.step(after: heartbeat, lastRecorded: lastRecorded, now: now, runner: runner) {
                    stopAllRuns(.lost(reason: reason), logger: logger)
                }
            }
            do {
                let now = context.now()
                for lost in try await context.store.failLostRunners(heartbeatBefore: lease.lostBefore(now: now), requeue: requeue, at: now) {
                    logger.warning("a task of a lost runner was \(lost.task.status == .created ? "queued again" : "failed")", metadata: [
                        "workflow": "\(lost.task.workflow)", "task": "\(lost.task.taskID)", "reason": "\(RunnerLease.lostReason(lost.runner))",
                    ])
                }
            } catch {
                logger.warning("cannot check the store for lost runners", metadata: ["reason": "\(error)"])
            }
        }
    }

    /// Stops every run of this process without waiting for them (they record their own ends).
    private func stopAllRuns(_ reason: StopReason, logger: Logger) {
        let entries = runs.withLock { Array($0.values) }
        guard !entries.isEmpty else { return }
        logger.error("this executor's lease lapsed: its jobs are stopped, their tasks are failed as lost",
                     metadata: ["runner": "\(runner)", "runs": "\(entries.count)"])
        for entry in entries {
            entry.run.markStopped(reason)
            entry.handle.cancel()
        }
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
        guard !entries.isEmpty else { return }
        let running: Set<RunningAttempt>
        do {
            running = try await context.store.runningAttempts(runner: runner)
        } catch {
            return
        }
        for (key, entry) in entries where !entry.run.hasRecordedEnd {
            // A task that is gone, ended, on another attempt or another runner is no longer this run's.
            // (A run is listed once its claim committed, so the read sees its task running.)
            if !running.contains(RunningAttempt(workflow: key.task.workflow, taskID: key.task.taskID, attempt: key.attempt)) {
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
