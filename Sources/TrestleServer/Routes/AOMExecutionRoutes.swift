import Hummingbird
import TrestleCore
import TrestleStore

/// Seed 004 (AOM "list workflow executions"): `GET /v1/{project_id}/cms/workflow/{workflow_id}/executions`,
/// the tasks of a workflow (`workflow_id` its name, `project_id` its project), newest first.
struct AOMExecutionRoutes: Sendable {
    static let defaultLimit = 50
    static let maxLimit = 200

    let store: any TaskStore
    let config: TrestleConfig
    let links: LinkBase

    func register(on router: Router<TrestleRequestContext>) {
        router.get("v1/:project_id/cms/workflow/:workflow_id/executions", use: executions)
    }

    @Sendable func executions(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let name = context.parameters.get("workflow_id") ?? ""
        let project = context.parameters.get("project_id") ?? ""
        do {
            _ = try WorkflowLookup.workflow(name, field: "workflow_id", project: project, projectField: "project_id",
                                            config: config)
        } catch {
            throw APIError.notFound(error.description)
        }
        // x_enterprise_project_id is accepted and not used: Trestle has no enterprise projects.
        let limit = try Self.limit(request.uri.queryParameters["limit"].map(String.init))
        let records = try await TaskCommands.storeCall(nil) { try await store.tasks(workflow: name, limit: limit) }
        return JSONResponse.make(records.map { AOMExecutionView($0, links: links) })
    }

    static func limit(_ text: String?) throws -> Int {
        guard let text else { return defaultLimit }
        guard let limit = Int(text), (1...maxLimit).contains(limit) else {
            throw APIError.paramIllegal("limit: '\(text.prefix(20))' is not a whole number from 1 to \(maxLimit) (default \(defaultLimit))")
        }
        return limit
    }
}
