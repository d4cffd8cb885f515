import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TrestleCore
import TrestleGit
import TrestleRunner
import TrestleStore

/// Seed 000's workflow-task API, plus each task's own page at its url.
struct WorkflowTaskRoutes: Sendable {
    /// The most tasks one commitId query answers with, newest first.
    static let statusQueryLimit = 500
    /// How many of a repo's most recently built commits a covering query checks for descent.
    static let coveringCandidates = 200

    let store: any TaskStore
    let mirrors: MirrorSet
    let config: TrestleConfig
    let links: LinkBase
    let commands: TaskCommands
    /// The dashboard's page of a task, for a browser at the task's `url`.
    var browserPage: (@Sendable (Request, String, Int64) async throws -> Response)?

    func register(on router: Router<TrestleRequestContext>) {
        let api = router.group("api/directory/workflowTask")
        api.get(use: status)
        api.post("create", use: create)
        api.get("id/:id/pipelines/:name", use: detail)
        api.post("id/:id/pipelines/:name/restart", use: restart)
        api.post("id/:id/pipelines/:name/cancel", use: cancel)
        router.get("v1/projects/detail/:project/pipelines/multi/:name/:id", use: page)
    }

    @Sendable func status(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        guard let text = query["commitId"].map(String.init), !text.isEmpty else {
            throw APIError.paramIllegal("commitId is required: GET /api/directory/workflowTask?commitId=<full id or first 8 chars>")
        }
        let prefix: CommitPrefix
        do {
            prefix = try CommitPrefix(parsing: text)
        } catch {
            throw APIError.paramIllegal(error.description)
        }
        let covering: Bool
        switch query["covering"].map(String.init) {
        case nil, "false": covering = false
        case "true": covering = true
        case let other?: throw APIError.paramIllegal("covering: '\(other.prefix(20))' is not true or false")
        }
        let summaries = try await TaskCommands.storeCall(nil) {
            try await Self.statusSummaries(prefix, covering: covering, store: store, mirrors: mirrors, logger: context.logger)
        }
        return JSONResponse.make(summaries.map { TaskStatusView($0, url: links.taskURL($0)) })
    }

    /// The tasks of a commit as the status query finds them (the dashboard's commit search too).
    /// A prefix is resolved against the mirrors first, so it finds the tasks of the commit git
    /// names; a prefix no mirror knows falls back to the store's index (webhooks can name commits
    /// before any fetch). A full id needs no resolving unless descendants are asked for.
    static func statusSummaries(_ prefix: CommitPrefix, covering: Bool, store: any TaskStore, mirrors: MirrorSet,
                                logger: Logger) async throws -> [TaskSummary] {
        guard !prefix.isFullID || covering else {
            return try await store.tasks(commitPrefix: prefix, limit: Self.statusQueryLimit)
        }
        let result = await mirrors.lookup(prefix)
        for failure in result.failures {
            logger.warning("mirror lookup failed; answering from the store", metadata: ["reason": "\(failure)"])
        }
        switch result.lookup {
        case .ambiguous(let reason):
            throw APIError.paramIllegal(reason)
        case .unknown:
            return try await store.tasks(commitPrefix: prefix, limit: Self.statusQueryLimit)
        case .commit(let commit, let repos):
            guard covering else {
                return try await store.tasks(commitPrefix: try CommitPrefix(parsing: commit.hex), limit: Self.statusQueryLimit)
            }
            var candidates: [CommitID] = []
            for repo in repos {
                candidates += try await store.commits(builtFrom: repo, limit: Self.coveringCandidates)
            }
            let descendants = await mirrors.descendants(of: commit, among: candidates, inRepos: repos)
            return try await store.tasks(commits: [commit] + descendants, limit: Self.statusQueryLimit)
        }
    }

    @Sendable func create(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let body = try await RequestBodyReader.collect(request, server: config.server)
        let parsed: CreateTaskRequest
        do {
            parsed = try JSONDecoder().decode(CreateTaskRequest.self, from: body)
        } catch {
            throw APIError.operation(.create, .invalidRequest([RequestBodyReader.describe(error)]))
        }
        let validated: ValidatedTaskRequest
        do {
            validated = try CreateTaskValidation.validate(parsed, config: config)
        } catch {
            throw APIError.operation(.create, error)
        }
        let record = try await commands.create(validated, as: .create, trigger: TaskCommands.trigger(request, context),
                                               logger: context.logger)
        return JSONResponse.make(CreatedTaskView(
            task_id: record.summary.taskID, pipeline_name: record.summary.workflow,
            url: links.taskURL(record.summary)))
    }

    @Sendable func restart(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let (workflow, taskID) = try taskAddress(context)
        try await commands.restart(workflow: workflow, taskID: taskID,
                                   by: TaskCommands.trigger(request, context, kind: .restart),
                                   logger: context.logger)
        return JSONResponse.make(SuccessView())
    }

    @Sendable func cancel(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let (workflow, taskID) = try taskAddress(context)
        try await commands.cancel(workflow: workflow, taskID: taskID,
                                  by: TaskCommands.trigger(request, context),
                                  logger: context.logger)
        return JSONResponse.make(SuccessView())
    }

    @Sendable func detail(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let (workflow, taskID) = try taskAddress(context)
        return try await taskPage(workflow: workflow, taskID: taskID, project: nil)
    }

    @Sendable func page(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let (workflow, taskID) = try taskAddress(context)
        // A browser (no API token, asking for HTML) gets the dashboard's page of the task.
        if context.token == nil, let browserPage {
            return try await browserPage(request, workflow, taskID)
        }
        return try await taskPage(workflow: workflow, taskID: taskID, project: context.parameters.get("project"))
    }

    /// A task's `url` (`LinkBase.taskURL`): the JSON detail for API clients, the page for browsers.
    static func isTaskPage(_ path: String) -> Bool {
        path.hasPrefix("/v1/projects/detail/")
    }

    private func taskPage(workflow: String, taskID: Int64, project: String?) async throws -> Response {
        let record = try await TaskCommands.storeCall(nil) { try await store.task(workflow: workflow, taskID: taskID) }
        guard let record, project == nil || project == record.summary.project else {
            throw APIError.routeNotFound("task \(taskID) of workflow '\(workflow)'")
        }
        let commitStatus = try await TaskCommands.storeCall(nil) { try await store.commitStatus(workflow: workflow, taskID: taskID) }
        return JSONResponse.make(TaskDetailView(record, url: links.taskURL(record.summary), commitStatus: commitStatus))
    }

    private func taskAddress(_ context: TrestleRequestContext) throws -> (String, Int64) {
        do {
            return try TaskCommands.address(id: context.parameters.get("id"), workflow: context.parameters.get("name"))
        } catch {
            throw APIError.paramIllegal(error.description)
        }
    }
}
