/// The operations of seeds 000 and 001 and the error codes and messages they give for them.
/// Restart and cancel have one code in both seeds; seed 001's create has its own.
public enum SeedOperation: Sendable, Hashable {
    case create
    case restart
    case cancel
    /// Seed 001's `POST /api/aslan/workflow/workflowtask`.
    case aslanCreate

    public var code: Int {
        switch self {
        case .cancel: 6163
        case .restart: 6164
        case .create: 6540
        case .aslanCreate: 6542
        }
    }

    /// The seed's `message` for a failed operation, spelled as the seed spells it.
    public var message: String {
        switch self {
        case .cancel: "取消工作流任务失败"
        case .restart: "重试工作流任务失败"
        case .create: "新建或更新wokflow失败"
        case .aslanCreate: "查询workflow失败"
        }
    }
}

/// Why a task operation failed; the server maps it to the seed's body and an HTTP status.
public enum TaskOperationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    case taskNotFound(workflow: String, taskID: Int64)
    /// No such workflow, or not in the project the request names; the text says which and what exists.
    case workflowNotFound(String)
    case illegalTransition(workflow: String, taskID: Int64, IllegalTransition)
    case invalidRequest([String])
    /// A source the operation needs (a repo's remote) could not be reached; retrying later may work.
    case sourceUnavailable(String)

    public var description: String {
        switch self {
        case .taskNotFound(let workflow, let taskID):
            "workflow task \(taskID) of workflow '\(workflow)' not found"
        case .illegalTransition(let workflow, let taskID, let transition):
            "workflow task \(taskID) of workflow '\(workflow)': \(transition)"
        case .workflowNotFound(let reason):
            reason
        case .invalidRequest(let problems):
            problems.joined(separator: "; ")
        case .sourceUnavailable(let reason):
            "\(reason); check the repo's url and credentials, then retry"
        }
    }
}
