import Hummingbird
import Logging
import Metrics
import TrestleCore
import TrestleGit
import TrestleRunner
import TrestleStore

/// Create, restart and cancel as every seed's routes run them: one path into the store and the
/// scheduler, whichever seed's request asked. Failures come out as the operation's `APIError`.
struct TaskCommands: Sendable {
    let store: any TaskStore
    let mirrors: MirrorSet
    let scheduler: Scheduler
    let now: @Sendable () -> Int64

    /// Resolves the commits of a validated request's branches and merge requests, stores the task
    /// and wakes the scheduler.
    func create(_ request: ValidatedTaskRequest, as operation: SeedOperation, trigger: TaskTrigger,
                logger: Logger) async throws -> TaskRecord {
        var validated = request
        do {
            validated.arguments = try await mirrors.resolveCommits(of: validated.arguments)
        } catch .unknownRefs(let problems) {
            throw APIError.operation(operation, .invalidRequest(problems))
        } catch .fetchFailed(let reason) {
            throw APIError.operation(operation, .sourceUnavailable(reason))
        }
        let record = try await Self.storeCall(operation) {
            try await store.createTask(validated.newTask(trigger: trigger, createTime: now()))
        }
        scheduler.wake()
        Counter(label: "trestle_tasks_created_total", dimensions: [("workflow", record.summary.workflow), ("trigger", trigger.kind.rawValue)])
            .increment()
        logger.info("task created", metadata: [
            "workflow": "\(record.summary.workflow)", "task_id": "\(record.summary.taskID)", "by": "\(trigger.by)",
        ])
        return record
    }

    func restart(workflow: String, taskID: Int64, by trigger: TaskTrigger, logger: Logger) async throws {
        _ = try await Self.storeCall(.restart) {
            try await store.restartTask(workflow: workflow, taskID: taskID, by: trigger, at: now())
        }
        scheduler.wake()
        logger.info("task restarted", metadata: ["workflow": "\(workflow)", "task_id": "\(taskID)"])
    }

    func cancel(workflow: String, taskID: Int64, by trigger: TaskTrigger, logger: Logger) async throws {
        _ = try await Self.storeCall(.cancel) {
            try await store.cancelTask(workflow: workflow, taskID: taskID, by: trigger, at: now())
        }
        scheduler.cancel(TaskKey(workflow: workflow, taskID: taskID))
        logger.info("task cancelled", metadata: ["workflow": "\(workflow)", "task_id": "\(taskID)"])
    }

    /// Who asks, for the task's record: the token's name, and `cli` when the trestle CLI says it sends the request.
    static func trigger(_ request: Request, _ context: TrestleRequestContext, kind: TriggerKind? = nil) -> TaskTrigger {
        TaskTrigger(kind: kind ?? (request.headers[HeaderName.client] == "cli" ? .cli : .api),
                    by: context.token?.name ?? "anonymous")
    }

    /// The task a path names: its `:id` parameter (a positive whole number) and workflow `name`.
    static func address(id idText: String?, workflow: String?) throws(TaskOperationFailure) -> (String, Int64) {
        let idText = idText ?? ""
        guard let taskID = Int64(idText), taskID > 0 else {
            throw .invalidRequest(["task id '\(idText.prefix(40))' is not a positive whole number"])
        }
        guard let workflow, !workflow.isEmpty else {
            throw .invalidRequest(["workflow name is missing from the path"])
        }
        return (workflow, taskID)
    }

    /// Runs a store call, mapping its failures to the operation's seed error (nil: a read).
    static func storeCall<T: Sendable>(_ operation: SeedOperation?, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as APIError {
            throw error
        } catch let failure as TaskOperationFailure {
            guard let operation else { throw APIError.internalFailure(nil, failure.description) }
            throw APIError.operation(operation, failure)
        } catch {
            throw APIError.internalFailure(operation, "\(error)")
        }
    }
}
