import TrestleCore

/// Async flow tasks waiting for their result, in a store several processes share: the callback
/// URL or finish.json may reach any node, while the task waits on the worker that called its
/// function. (One SQLite process holds its waits in memory: `FlowResults` alone.)
public protocol FlowResultStore: Sendable {
    /// Records that the task of `execution` waits for a result, reported with `token` through the
    /// callback URL; replaces an earlier wait of the same task (a retry).
    func awaitFlowResult(execution: String, task: String, token: String) async throws

    /// Records `result` for the waiting task, if one waits without a result yet and `accepts` its
    /// token (the callback URL's check; finish.json, authenticated otherwise, accepts any). False
    /// when none waits.
    func recordFlowResult(execution: String, task: String, result: FlowTaskResult,
                          accepts: @escaping @Sendable (String) -> Bool) async throws -> Bool

    /// The result recorded for the waiting task, if any yet.
    func flowResult(execution: String, task: String) async throws -> FlowTaskResult?

    /// The task stopped waiting (its result taken, its time out, or its run stopped).
    func endFlowWait(execution: String, task: String) async throws
}
