import Dispatch
import Logging
import PostgresNIO
import TrestleCore
import TrestleStore

/// The PostgreSQL engine: a pooled `PostgresClient` (postgres-nio), the schema migrated at start
/// under an advisory lock, and the store's roles as SQL. The decisions are `TrestleCore`'s, as
/// for SQLite; this type only reads and writes.
///
/// Every role of `TaskStore`, passing the same contract tests as SQLite's.
public final class PostgresTaskStore: Sendable {
    let client: PostgresClient
    let logger: Logger
    /// Answers to the status query, kept while `listening` hears of every task change.
    public let statusCache = StatusAnswerCache()
    /// Told of every task change any process commits, as it is heard (the executors' wake-ups).
    private let observers = TaskChangeObservers()
    private let running: Task<Void, Never>
    private let listening: Task<Void, Never>?

    /// Connects with `url` (`postgres://…?sslmode=…`), at most `poolSize` connections, and migrates
    /// (unless told not to: `trestle migrate` and tests' admin connections).
    public init(url: String, poolSize: Int = 16, migrating: Bool = true,
                logger: Logger = Logger(label: "trestle.postgres")) async throws {
        let client = PostgresClient(configuration: try PostgresURL.configuration(url, poolSize: poolSize),
                                    backgroundLogger: logger)
        self.client = client
        self.logger = logger
        // The pool serves leases once run() has begun; waiting for the task to start it keeps the
        // first query from racing it (postgres-nio warns when a lease comes first).
        let (started, signal) = AsyncStream.makeStream(of: Void.self)
        running = Task {
            signal.finish()
            await client.run()
        }
        for await _ in started {}
        await Task.yield()
        guard migrating else {
            listening = nil
            return
        }
        do {
            let applied = try await PostgresMigrations.apply(client, logger: logger)
            if !applied.isEmpty {
                logger.info("PostgreSQL store migrated", metadata: ["versions": "\(applied)"])
            }
        } catch {
            running.cancel()
            throw StoreError(operation: "open PostgreSQL store at \(PostgresURL.redacted(url))", detail: "\(String(reflecting: error))")
        }
        // The listener holds one pooled connection for good; a pool of one serves queries only.
        let cache = statusCache
        let observers = observers
        listening = poolSize < 2 ? nil : Task {
            await PostgresTaskChanges.listen(client, cache: cache, logger: logger, heard: { observers.tell() })
        }
    }

    /// Calls `observer` whenever a task is created or changes status in any process on this
    /// database: a cancel or restart through another node, a task created there. Not called while
    /// the listener is down; pollers cover that.
    public func observeTaskChanges(_ observer: @escaping @Sendable () -> Void) {
        observers.add(observer)
    }

    /// Runs one statement of the admin's own (never built from input).
    public func execute(_ sql: String) async throws {
        let logger = logger
        try await read("run \(sql.prefix(40))") { connection in
            try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
        }
    }

    public func close() async throws {
        listening?.cancel()
        await listening?.value
        running.cancel()
        await running.value
    }

    /// `body` in a transaction. When `changesTasks` says its result created a task or changed one's
    /// status, every process is told (a `NOTIFY` committed with it) and this one's kept status
    /// answers are dropped before the result is returned, so a caller reads its own write.
    func transaction<T: Sendable>(_ operation: String, changesTasks: @escaping @Sendable (T) -> Bool = { _ in false },
                                  _ body: (PostgresConnection) async throws -> T) async throws -> T {
        let logger = logger
        do {
            let result = try await client.withTransaction(logger: logger) { connection in
                let result = try await body(connection)
                if changesTasks(result) { try await PostgresTaskChanges.announce(on: connection, logger: logger) }
                return result
            }
            if changesTasks(result) { statusCache.invalidate() }
            return result
        } catch let failure as TaskOperationFailure {
            throw failure
        } catch let error as StoreError {
            throw error
        } catch let error as PostgresTransactionError {
            if let failure = error.closureError as? TaskOperationFailure { throw failure }
            if let failure = error.closureError as? StoreError { throw failure }
            throw StoreError(operation: operation, detail: String(reflecting: error))
        } catch {
            throw StoreError(operation: operation, detail: String(reflecting: error))
        }
    }

    func read<T: Sendable>(_ operation: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        try await autocommit(operation, body)
    }

    /// `body` on a pooled connection without a transaction: each statement commits on its own.
    func autocommit<T: Sendable>(_ operation: String, _ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withConnection { connection in try await body(connection) }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(operation: operation, detail: String(reflecting: error))
        }
    }
}

extension PostgresTaskStore: TaskRecordStore {
    public func createTask(_ task: NewTask) async throws -> TaskRecord {
        let logger = logger
        return try await transaction("create a task of \(task.workflow)", changesTasks: { _ in true }) { connection in
            let (pk, _) = try await PostgresTaskRows.insert(task, on: connection, logger: logger)
            return try await PostgresTaskRows.load(pk: pk, on: connection, logger: logger)
        }
    }

    public func createTasks(_ tasks: [NewTask]) async throws {
        let logger = logger
        try await transaction("create \(tasks.count) tasks", changesTasks: { _ in true }) { connection in
            _ = try await PostgresTaskRows.insert(tasks, on: connection, logger: logger)
        }
    }

    public func tasks(commitPrefix prefix: CommitPrefix, limit: Int) async throws -> [TaskSummary] {
        if let kept = statusCache.answer(prefix, limit: limit) { return kept }
        let generation = statusCache.generation()
        let answer = try await queryTasks(commitPrefix: prefix, limit: limit)
        if let generation { statusCache.remember(answer, for: prefix, limit: limit, readAt: generation) }
        return answer
    }

    private func queryTasks(commitPrefix prefix: CommitPrefix, limit: Int) async throws -> [TaskSummary] {
        do {
            var summaries: [TaskSummary] = []
            var previous: Int64?
            for try await row in try await client.execute(TasksByCommitPrefix(prefix: prefix, limit: limit)) {
                // A task that built two commits sharing a prefix comes twice, side by side.
                if row.pk == previous { continue }
                previous = row.pk
                summaries.append(row.summary)
            }
            return summaries
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(operation: "find tasks by commit \(prefix)", detail: String(reflecting: error))
        }
    }

    public func tasks(commits: [CommitID], limit: Int) async throws -> [TaskSummary] {
        guard !commits.isEmpty else { return [] }
        let logger = logger
        return try await read("find tasks by \(commits.count) commits") { connection in
            try await PostgresTaskRows.summaries(connection.query("""
                SELECT DISTINCT t.id, t.task_id, t.workflow, t.project, t.status, t.create_time, t.start_time, t.end_time
                FROM task_commits c JOIN tasks t ON t.id = c.task_pk
                WHERE c.commit_id = ANY(\(commits.map(\.hex)))
                ORDER BY t.create_time DESC, t.id DESC
                LIMIT \(limit)
                """, logger: logger))
        }
    }

    public func commits(builtFrom repo: String, limit: Int) async throws -> [CommitID] {
        let logger = logger
        return try await read("find commits built from repo \(repo)") { connection in
            var seen = Set<CommitID>()
            var found: [CommitID] = []
            for try await hex in try await connection.query("""
                SELECT commit_id FROM repo_commits WHERE repo_name = \(repo) ORDER BY task_pk DESC
                """, logger: logger).decode(String.self) {
                guard found.count < limit else { break }
                if let commit = CommitID(hex), seen.insert(commit).inserted { found.append(commit) }
            }
            return found
        }
    }

    public func task(workflow: String, taskID: Int64) async throws -> TaskRecord? {
        let logger = logger
        return try await read("read task \(taskID) of \(workflow)") { connection in
            guard let pk = try await PostgresTaskRows.primaryKey(workflow: workflow, taskID: taskID, on: connection, logger: logger) else {
                return nil
            }
            return try await PostgresTaskRows.load(pk: pk, on: connection, logger: logger)
        }
    }

    public func tasks(workflow: String, limit: Int) async throws -> [TaskRecord] {
        let logger = logger
        return try await read("read the tasks of \(workflow)") { connection in
            var keys: [Int64] = []
            for try await pk in try await connection.query("""
                SELECT id FROM tasks WHERE workflow = \(workflow) ORDER BY task_id DESC LIMIT \(max(limit, 0))
                """, logger: logger).decode(Int64.self) { keys.append(pk) }
            var records: [TaskRecord] = []
            for pk in keys { records.append(try await PostgresTaskRows.load(pk: pk, on: connection, logger: logger)) }
            return records
        }
    }

    public func cancelTask(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64) async throws -> TaskRecord {
        let logger = logger
        return try await transaction("cancel task \(taskID) of \(workflow)", changesTasks: { _ in true }) { connection in
            try await PostgresTaskRows.cancel(workflow: workflow, taskID: taskID, by: trigger, at: time, on: connection, logger: logger)
        }
    }

    public func restartTask(workflow: String, taskID: Int64, by trigger: TaskTrigger, at time: Int64) async throws -> TaskRecord {
        let logger = logger
        return try await transaction("restart task \(taskID) of \(workflow)", changesTasks: { _ in true }) { connection in
            try await PostgresTaskRows.restart(workflow: workflow, taskID: taskID, by: trigger, at: time, on: connection, logger: logger)
        }
    }
}

extension PostgresTaskStore: RunStore {
    public func claimTasks(_ limits: RunLimits, runner: String, at time: Int64) async throws -> [TaskRecord] {
        let logger = logger
        return try await transaction("claim tasks to run", changesTasks: { !$0.isEmpty }) { connection in
            try await PostgresRunRows.claim(limits, runner: runner, at: time, on: connection, logger: logger)
        }
    }

    public func recordProgress(workflow: String, taskID: Int64, attempt: Int, stages: [StageRecord], changes: StageChanges?,
                               ending: TaskStatus?, at time: Int64) async throws -> Bool {
        let logger = logger
        return try await transaction("record the progress of task \(taskID) of \(workflow)", changesTasks: { $0 && ending != nil }) { connection in
            try await PostgresRunRows.record(workflow: workflow, taskID: taskID, attempt: attempt, stages: stages, changes: changes,
                                             ending: ending, at: time, on: connection, logger: logger)
        }
    }

    public func failInterruptedTasks(runner: String?, reason: String, requeue: Set<String>, at time: Int64) async throws -> [TaskSummary] {
        let logger = logger
        return try await transaction("fail interrupted tasks", changesTasks: { !$0.isEmpty }) { connection in
            try await PostgresRunRows.failInterrupted(runner: runner, reason: reason, requeue: requeue, at: time,
                                                      on: connection, logger: logger)
        }
    }

    public func heartbeat(runner: String, at time: Int64) async throws -> Bool {
        let logger = logger
        return try await autocommit("record the heartbeat of runner \(runner)") { connection in
            try await PostgresRunRows.heartbeat(runner: runner, at: time, on: connection, logger: logger)
        }
    }

    public func removeRunner(_ runner: String) async throws {
        let logger = logger
        try await autocommit("remove runner \(runner)") { connection in
            try await connection.query("DELETE FROM runners WHERE name = \(runner)", logger: logger)
        }
    }

    public func runningAttempts(runner: String) async throws -> Set<RunningAttempt> {
        let logger = logger
        return try await read("read the tasks running for runner \(runner)") { connection in
            var attempts = Set<RunningAttempt>()
            for try await (workflow, taskID, attempt) in try await connection.query("""
                SELECT workflow, task_id, attempt FROM tasks WHERE status = 'running' AND runner = \(runner)
                """, logger: logger).decode((String, Int64, Int).self) {
                attempts.insert(RunningAttempt(workflow: workflow, taskID: taskID, attempt: attempt))
            }
            return attempts
        }
    }

    public func failLostRunners(heartbeatBefore before: Int64, requeue: Set<String>, at time: Int64) async throws -> [LostTask] {
        let logger = logger
        return try await transaction("fail the tasks of lost runners", changesTasks: { !$0.isEmpty }) { connection in
            try await PostgresRunRows.failLost(heartbeatBefore: before, requeue: requeue, at: time, on: connection, logger: logger)
        }
    }
}

extension PostgresTaskStore: GitLabOutboxStore {
    public func dueCommitStatuses(now: Int64, limit: Int, claimingUntil: Int64?) async throws -> [CommitStatusSend] {
        let logger = logger
        return try await transaction("read due commit statuses") { connection in
            try await PostgresOutboxRows.due(now: now, limit: limit, claimingUntil: claimingUntil, on: connection, logger: logger)
        }
    }

    public func commitStatusSent(_ send: CommitStatusSend, error: String?, retryAt: Int64?) async throws {
        let logger = logger
        try await transaction("record a commit status send") { connection in
            try await PostgresOutboxRows.sent(send, error: error, retryAt: retryAt, on: connection, logger: logger)
        }
    }

    public func dueMergeRequestNotes(now: Int64, limit: Int, claimingUntil: Int64?) async throws -> [MergeRequestNoteSend] {
        let logger = logger
        return try await transaction("read due merge request notes") { connection in
            try await PostgresOutboxRows.dueNotes(now: now, limit: limit, claimingUntil: claimingUntil, on: connection, logger: logger)
        }
    }

    public func mergeRequestNoteSent(_ send: MergeRequestNoteSend, noteID: Int?, error: String?, retryAt: Int64?) async throws {
        let logger = logger
        try await transaction("record a merge request note send") { connection in
            try await PostgresOutboxRows.noteSent(send, noteID: noteID, error: error, retryAt: retryAt, on: connection, logger: logger)
        }
    }

    public func commitStatus(workflow: String, taskID: Int64) async throws -> CommitStatusRecord? {
        let logger = logger
        return try await read("read the commit status of task \(taskID) of \(workflow)") { connection in
            guard let pk = try await PostgresTaskRows.primaryKey(workflow: workflow, taskID: taskID, on: connection, logger: logger) else {
                return nil
            }
            return try await PostgresOutboxRows.record(pk: pk, on: connection, logger: logger)
        }
    }
}

extension PostgresTaskStore: DeliveryStore {
    /// Two batches committing at once keep the cores busy while each waits on its round trip and
    /// fsync, and leave each batch large: the database's cost is mostly per statement, and under
    /// `make bench` two writers ingested more than one, four or eight.
    public var inboxWriters: Int { 2 }

    /// One statement, atomic on its own: no transaction around it, one round trip per batch.
    public func recordDeliveries(_ deliveries: [NewDelivery]) async throws -> [DeliveryReceipt] {
        let logger = logger
        return try await autocommit("record \(deliveries.count) webhook deliveries") { connection in
            try await PostgresDeliveryRows.record(deliveries, on: connection, logger: logger)
        }
    }

    /// The inbox's writer thread is not on the cooperative pool, so it may wait here for the
    /// asynchronous write: one transaction per batch, the group commit.
    public func recordDeliveriesBlocking(_ deliveries: [NewDelivery]) throws -> [DeliveryReceipt] {
        let result = BlockingResult<[DeliveryReceipt]>()
        Task {
            do {
                result.set(.success(try await self.recordDeliveries(deliveries)))
            } catch {
                result.set(.failure(error))
            }
        }
        return try result.wait().get()
    }

    public func pendingDeliveries(limit: Int, dueAt now: Int64, claimingUntil: Int64?) async throws -> [StoredDelivery] {
        let logger = logger
        guard let claimingUntil else {
            return try await read("read pending webhook deliveries") { connection in
                try await PostgresDeliveryRows.pending(limit: limit, dueAt: now, on: connection, logger: logger)
            }
        }
        return try await transaction("claim pending webhook deliveries") { connection in
            try await PostgresDeliveryRows.claim(limit: limit, dueAt: now, until: claimingUntil, on: connection, logger: logger)
        }
    }

    public func deliveryBacklog() async throws -> DeliveryBacklog {
        let logger = logger
        return try await read("read the webhook backlog") { connection in
            var backlog = DeliveryBacklog(pending: 0, oldestReceivedTime: nil)
            for try await (count, oldest) in try await connection.query("""
                SELECT count(*)::BIGINT, min(d.received_time) FROM webhook_pending p JOIN webhook_deliveries d ON d.id = p.delivery_id
                """, logger: logger).decode((Int64, Int64?).self) {
                backlog = DeliveryBacklog(pending: Int(count), oldestReceivedTime: oldest)
            }
            return backlog
        }
    }

    public func postponeDelivery(id: Int64, attempts: DeliveryAttempts) async throws {
        let logger = logger
        try await transaction("postpone webhook delivery \(id)") { connection in
            try await PostgresDeliveryRows.postpone(id: id, attempts: attempts, on: connection, logger: logger)
        }
    }

    public func completeDeliveries(_ completions: [DeliveryCompletion], at time: Int64) async throws -> [DeliveryOutcome] {
        let logger = logger
        // Only a delivery that made a task changes any (an older one it cancels goes with a new one);
        // one coalesced into an earlier build leaves every status as it was.
        return try await transaction("complete \(completions.count) webhook deliveries",
                                     changesTasks: { outcomes in outcomes.contains { !$0.tasks.isEmpty } }) { connection in
            try await PostgresDeliveryRows.lockBuilds(of: completions, on: connection, logger: logger)
            var outcomes: [DeliveryOutcome] = []
            for completion in completions {
                outcomes.append(try await PostgresDeliveryRows.complete(id: completion.id, outcome: completion.outcome,
                                                                        tasks: completion.tasks, at: time, on: connection, logger: logger))
            }
            return outcomes
        }
    }

    public func deliveries(limit: Int) async throws -> [DeliverySummary] {
        let logger = logger
        return try await read("read recent webhook deliveries") { connection in
            try await PostgresDeliveryRows.recent(limit: limit, on: connection, logger: logger)
        }
    }

    public func delivery(id: Int64) async throws -> StoredDelivery? {
        let logger = logger
        return try await read("read webhook delivery \(id)") { connection in
            try await PostgresDeliveryRows.load(id: id, on: connection, logger: logger)
        }
    }
}

/// One value handed from an async task to a thread waiting for it.
private final class BlockingResult<Value: Sendable>: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private var value: Result<Value, any Error>?

    func set(_ value: Result<Value, any Error>) {
        self.value = value
        ready.signal()
    }

    func wait() -> Result<Value, any Error> {
        ready.wait()
        return value ?? .failure(StoreError(operation: "wait for a write", detail: "no result"))
    }
}

extension PostgresTaskStore: FlowStore {
    public func saveFlowDescriptor(_ descriptor: StoredFlowDescriptor) async throws {
        let logger = logger
        try await transaction("store flow descriptor \(descriptor.id)") { connection in
            try await PostgresFlowRows.save(descriptor, on: connection, logger: logger)
        }
    }

    public func flowDescriptor(id: String) async throws -> StoredFlowDescriptor? {
        let logger = logger
        return try await read("read flow descriptor \(id)") { connection in
            try await PostgresFlowRows.descriptor(id: id, on: connection, logger: logger)
        }
    }

    public func createFlowExecution(_ task: NewTask, execution: FlowExecution) async throws -> TaskRecord {
        let logger = logger
        return try await transaction("create an execution of flow \(task.workflow)", changesTasks: { _ in true }) { connection in
            try await PostgresFlowRows.create(task, execution: execution, on: connection, logger: logger)
        }
    }

    public func flowExecution(workflow: String, taskID: Int64) async throws -> FlowExecution? {
        let logger = logger
        return try await read("read execution \(taskID) of flow \(workflow)") { connection in
            try await PostgresFlowRows.execution(workflow: workflow, taskID: taskID, on: connection, logger: logger)
        }
    }

    public func recordFlowTaskInput(workflow: String, taskID: Int64, task: String, input: JSONValue, tries: Int) async throws {
        let logger = logger
        try await transaction("record the input of \(task) in execution \(taskID) of \(workflow)") { connection in
            try await PostgresFlowRows.recordInput(workflow: workflow, taskID: taskID, task: task, input: input, tries: tries,
                                                   on: connection, logger: logger)
        }
    }

    public func recordFlowTaskOutput(workflow: String, taskID: Int64, task: String, output: JSONValue?, context: JSONValue,
                                     contextVersion: Int64) async throws {
        let logger = logger
        try await transaction("record the output of \(task) in execution \(taskID) of \(workflow)") { connection in
            try await PostgresFlowRows.recordOutput(workflow: workflow, taskID: taskID, task: task, output: output, context: context,
                                                    contextVersion: contextVersion, on: connection, logger: logger)
        }
    }

    public func recordFlowCallback(workflow: String, taskID: Int64, state: String) async throws {
        let logger = logger
        try await transaction("record the callback of execution \(taskID) of \(workflow)") { connection in
            try await PostgresFlowRows.recordCallback(workflow: workflow, taskID: taskID, state: state, on: connection, logger: logger)
        }
    }
}

extension PostgresTaskStore: TaskStore {}

extension PostgresTaskStore: JobLogStore {
    public func appendJobLog(_ key: JobLogKey, chunk: JobLogChunk) async throws {
        let logger = logger
        try await autocommit("append to the log of job \(key.job) of task \(key.taskID) of \(key.workflow)") { connection in
            try await PostgresJobLogRows.append(key, chunk: chunk, on: connection, logger: logger)
        }
    }

    public func jobLog(_ key: JobLogKey, from offset: Int64, limit: Int) async throws -> [JobLogChunk] {
        let logger = logger
        return try await read("read the log of job \(key.job) of task \(key.taskID) of \(key.workflow)") { connection in
            try await PostgresJobLogRows.read(key, from: offset, limit: limit, on: connection, logger: logger)
        }
    }
}

extension PostgresTaskStore: FlowResultStore {
    public func awaitFlowResult(execution: String, task: String, token: String) async throws {
        let logger = logger
        try await autocommit("record that flow task \(task) of \(execution) waits for its result") { connection in
            try await PostgresFlowWaitRows.wait(execution: execution, task: task, token: token, on: connection, logger: logger)
        }
    }

    public func recordFlowResult(execution: String, task: String, result: FlowTaskResult,
                                 accepts: @escaping @Sendable (String) -> Bool) async throws -> Bool {
        let logger = logger
        return try await transaction("record the result of flow task \(task) of \(execution)") { connection in
            try await PostgresFlowWaitRows.record(execution: execution, task: task, result: result, accepts: accepts,
                                                  on: connection, logger: logger)
        }
    }

    public func flowResult(execution: String, task: String) async throws -> FlowTaskResult? {
        let logger = logger
        return try await read("read the result of flow task \(task) of \(execution)") { connection in
            try await PostgresFlowWaitRows.result(execution: execution, task: task, on: connection, logger: logger)
        }
    }

    public func endFlowWait(execution: String, task: String) async throws {
        let logger = logger
        try await autocommit("end the wait of flow task \(task) of \(execution)") { connection in
            try await PostgresFlowWaitRows.end(execution: execution, task: task, on: connection, logger: logger)
        }
    }
}

extension PostgresTaskStore {
    public func taskList(_ query: TaskListQuery) async throws -> [TaskListEntry] {
        let logger = logger
        return try await read("read the task list") { connection in
            try await PostgresTaskRows.list(query, on: connection, logger: logger)
        }
    }
}
