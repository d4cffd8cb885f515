import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TrestleCore
import TrestleRunner
import TrestleStore

/// `GET /api/directory/workflowTask/id/:id/pipelines/:name/logs`: a task's job logs as text.
/// `?job=NAME` picks one job (default: every job of the attempt, in order, each under a header),
/// `?attempt=N` an earlier attempt, and `follow=true` keeps the answer open, sending output as it
/// is written, until the jobs have ended.
struct JobLogRoutes: Sendable {
    let store: any TaskStore
    let source: JobLogSource

    func register(on router: Router<TrestleRequestContext>) {
        router.get("api/directory/workflowTask/id/:id/pipelines/:name/logs", use: logs)
    }

    @Sendable func logs(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let idText = context.parameters.get("id") ?? ""
        guard let taskID = Int64(idText), taskID > 0 else {
            throw APIError.paramIllegal("task id '\(idText.prefix(40))' is not a positive whole number")
        }
        let workflow = context.parameters.get("name") ?? ""
        let query = request.uri.queryParameters
        guard let task = try await load(workflow: workflow, taskID: taskID) else {
            throw APIError.routeNotFound("task \(taskID) of workflow '\(workflow.prefix(80))'")
        }
        var attempt = task.attempt
        if let text = query["attempt"] {
            guard let number = Int(String(text)), task.attempts.contains(where: { $0.number == number }) else {
                throw APIError.paramIllegal("attempt '\(String(text).prefix(20))' is not an attempt of this task (1 to \(task.attempt))")
            }
            attempt = number
        }
        let jobs = JobLogStream.jobs(of: task, attempt: attempt)
        var chosen = jobs
        if let name = query["job"].map(String.init) {
            guard jobs.contains(name) else {
                throw APIError.paramIllegal("job '\(name.prefix(80))' is not in attempt \(attempt); its jobs are \(jobs.joined(separator: ", "))")
            }
            chosen = [name]
        }
        let followText = query["follow"].map(String.init) ?? "false"
        guard followText == "true" || followText == "false" else {
            throw APIError.paramIllegal("follow must be true or false, not '\(followText.prefix(20))'")
        }
        let follow = followText == "true"
        let stream = JobLogStream(store: store, source: source)
        let (selected, selectedAttempt) = (chosen, attempt)
        let body = ResponseBody { writer in
            try await stream.send(workflow: workflow, taskID: taskID, attempt: selectedAttempt, jobs: selected, follow: follow) {
                try await writer.write(ByteBuffer(bytes: $0))
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: body)
    }

    private func load(workflow: String, taskID: Int64) async throws -> TaskRecord? {
        do {
            return try await store.task(workflow: workflow, taskID: taskID)
        } catch {
            throw APIError.internalFailure(nil, "\(error)")
        }
    }
}
