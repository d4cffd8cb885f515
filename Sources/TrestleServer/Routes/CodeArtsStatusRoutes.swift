import Hummingbird
import TrestleCore
import TrestleStore

/// Seed 003 (CodeArts "get pipeline status"): `GET /v3/pipelines/{pipeline_id}/status?build_id=`,
/// one task of a workflow (`pipeline_id` the workflow name, `build_id` the task id; the newest
/// task without it) as nested stages and jobs.
struct CodeArtsStatusRoutes: Sendable {
    let store: any TaskStore
    let config: TrestleConfig
    let links: LinkBase
    let now: @Sendable () -> Int64

    func register(on router: Router<TrestleRequestContext>) {
        router.get("v3/pipelines/:pipeline_id/status", use: status)
    }

    @Sendable func status(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let name = context.parameters.get("pipeline_id") ?? ""
        do {
            _ = try WorkflowLookup.workflow(name, field: "pipeline_id", config: config)
        } catch {
            throw APIError.notFound(error.description)
        }
        let record: TaskRecord
        if let text = request.uri.queryParameters["build_id"].map(String.init) {
            guard let taskID = Int64(text), taskID > 0 else {
                throw APIError.paramIllegal("build_id: '\(text.prefix(40))' is not a task id (a positive whole number); leave it out for the newest task")
            }
            guard let found = try await TaskCommands.storeCall(nil, { try await store.task(workflow: name, taskID: taskID) }) else {
                throw APIError.notFound("build_id: workflow '\(name)' has no task \(taskID)")
            }
            record = found
        } else {
            guard let newest = try await TaskCommands.storeCall(nil, { try await store.tasks(workflow: name, limit: 1).first }) else {
                throw APIError.notFound("pipeline_id: workflow '\(name)' has no tasks yet; create one, then ask again")
            }
            record = newest
        }
        return JSONResponse.make(CodeArtsStatusView(record, links: links, now: now()))
    }
}
