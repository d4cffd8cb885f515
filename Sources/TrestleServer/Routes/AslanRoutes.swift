import Foundation
import Hummingbird
import TrestleCore

/// Seed 001 (Zadig v1.7.1 "aslan"): create, restart and cancel on the older paths, each checked
/// against `?projectName=`, run by the same commands as seed 000's routes.
struct AslanRoutes: Sendable {
    let config: TrestleConfig
    let commands: TaskCommands

    func register(on router: Router<TrestleRequestContext>) {
        let api = router.group("api/aslan/workflow/workflowtask")
        api.post(use: create)
        api.post("id/:id/pipelines/:pipeline/restart", use: restart)
        api.delete("id/:id/pipelines/:pipeline", use: cancel)
    }

    @Sendable func create(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let body = try await RequestBodyReader.collect(request, server: config.server)
        let validated: ValidatedTaskRequest
        do {
            validated = try validate(body, projectName: projectName(request))
        } catch {
            throw APIError.operation(.aslanCreate, error)
        }
        let record = try await commands.create(validated, as: .aslanCreate, trigger: TaskCommands.trigger(request, context),
                                               logger: context.logger)
        return JSONResponse.make(AslanCreatedView(pipeline_name: record.summary.workflow, task_id: record.summary.taskID))
    }

    @Sendable func restart(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let (workflow, taskID) = try address(request, context, for: .restart)
        try await commands.restart(workflow: workflow, taskID: taskID,
                                   by: TaskCommands.trigger(request, context, kind: .restart),
                                   logger: context.logger)
        return JSONResponse.make(SuccessView())
    }

    @Sendable func cancel(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let (workflow, taskID) = try address(request, context, for: .cancel)
        try await commands.cancel(workflow: workflow, taskID: taskID,
                                  by: TaskCommands.trigger(request, context),
                                  logger: context.logger)
        return JSONResponse.make(SuccessView())
    }

    /// The body decoded, mapped onto seed 000's create and validated as it is.
    private func validate(_ body: Data, projectName: String?) throws(TaskOperationFailure) -> ValidatedTaskRequest {
        let parsed: AslanCreateRequest
        do {
            parsed = try AslanCreateRequest.decode(body)
        } catch {
            throw .invalidRequest([RequestBodyReader.describe(error)])
        }
        let mapped = try AslanCreateMapping.createRequest(parsed, projectName: projectName, config: config)
        do {
            return try CreateTaskValidation.validate(mapped, config: config)
        } catch {
            throw AslanCreateMapping.renamingFields(error)
        }
    }

    /// The task the path names; a `projectName` other than its workflow's project finds no task.
    private func address(_ request: Request, _ context: TrestleRequestContext,
                         for operation: SeedOperation) throws -> (String, Int64) {
        do {
            let (workflow, taskID) = try TaskCommands.address(id: context.parameters.get("id"),
                                                              workflow: context.parameters.get("pipeline"))
            if let project = projectName(request), config.workflow(named: workflow) != nil {
                _ = try WorkflowLookup.workflow(workflow, field: "pipeline", project: project, config: config)
            }
            return (workflow, taskID)
        } catch {
            throw APIError.operation(operation, error)
        }
    }

    private func projectName(_ request: Request) -> String? {
        request.uri.queryParameters["projectName"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }
}
