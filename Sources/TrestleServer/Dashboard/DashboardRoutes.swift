import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import TrestleCore
import TrestleGit
import TrestleRunner
import TrestleStore

/// The web dashboard: server-rendered pages over the same store and commands as the API, for a
/// browser signed in with an API token (a session cookie) or, with `ui.public_read`, anyone.
///
/// - `/`: tasks, newest first across workflows, filtered by workflow and status, a page at a time;
/// - a task's own `url` (asked for as text/html): its arguments, attempts, pipeline picture,
///   jobs, and Cancel or Restart for tokens that may;
/// - `/ui/tasks/<workflow>/<id>/jobs/<job>`: a job's log, streamed live (server-sent events).
struct DashboardRoutes: Sendable {
    static let pageSize = 50

    let config: TrestleConfig
    let store: any TaskStore
    let mirrors: MirrorSet
    let links: LinkBase
    let commands: TaskCommands
    let logs: JobLogSource
    let auth: DashboardAuth
    let templates: DashboardTemplates
    let now: @Sendable () -> Int64

    /// Paths the dashboard authenticates itself (sessions, not API tokens).
    static func isDashboardPath(_ path: String) -> Bool {
        path == "/" || path.hasPrefix("/ui/")
    }

    func register(on router: Router<TrestleRequestContext>) {
        router.get("/", use: tasks)
        router.get("ui/sign-in", use: signInPage)
        router.post("ui/sign-in", use: signIn)
        router.post("ui/sign-out", use: signOut)
        router.get("ui/assets/dashboard.css") { _, _ in Self.asset(PackageResources.dashboard_css, type: "text/css; charset=utf-8") }
        router.get("ui/assets/dashboard.js") { _, _ in Self.asset(PackageResources.dashboard_js, type: "text/javascript; charset=utf-8") }
        router.get("ui/tasks/:workflow/:id/status.json", use: taskStatus)
        router.post("ui/tasks/:workflow/:id/cancel") { request, context in try await act(request, context, cancel: true) }
        router.post("ui/tasks/:workflow/:id/restart") { request, context in try await act(request, context, cancel: false) }
        router.get("ui/tasks/:workflow/:id/jobs/:job", use: logPage)
        router.get("ui/tasks/:workflow/:id/jobs/:job/events", use: logEvents)
        router.get("ui/tasks/:workflow/:id/jobs/:job/log.txt", use: logText)
        registerDeliveries(on: router)
        registerConfigPages(on: router)
    }

    // MARK: Sign-in

    @Sendable func signInPage(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let next = Self.safeNext(request.uri.queryParameters["next"].map(String.init))
        return page("sign-in", ["title": "Sign in", "next": next], viewer: nil)
    }

    @Sendable func signIn(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let form = try await Self.form(request, server: config.server)
        let next = Self.safeNext(form["next"])
        guard let presented = form["token"], !presented.isEmpty,
              let token = TokenAuthenticator(tokens: config.auth.tokens).authenticate(presented) else {
            context.logger.notice("dashboard sign-in refused: the token matches none of auth.tokens")
            return page("sign-in", ["title": "Sign in", "next": next,
                                    "error": "That token is not one of the server's API tokens; check it and try again."],
                        viewer: nil, status: .unauthorized)
        }
        let cookie = auth.sessions.cookieValue(tokenName: token.name, now: now())
        context.logger.info("dashboard sign-in", metadata: ["token": "\(token.name)"])
        return Response(status: .seeOther, headers: [.location: next, .setCookie: auth.sessions.setCookie(cookie)])
    }

    @Sendable func signOut(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        let form = try await Self.form(request, server: config.server)
        guard auth.acceptsForm(request, csrf: form["csrf"]) else { return forbiddenForm() }
        return Response(status: .seeOther, headers: [.location: "/ui/sign-in", .setCookie: auth.sessions.clearCookie()])
    }

    // MARK: Tasks

    @Sendable func tasks(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard let viewer = auth.viewer(request) else { return signInFirst(request) }
        let query = request.uri.queryParameters
        let workflow = query["workflow"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let statusText = query["status"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let status = statusText.flatMap(TaskStatus.init(rawValue:))
        if statusText != nil, status == nil {
            return message("Unknown status", "'\(statusText ?? "")' is not a task status; use one of "
                + TaskStatus.allCases.map(\.rawValue).joined(separator: ", ") + ".", viewer: viewer, status: .badRequest)
        }
        let before = query["before"].flatMap { Int64(String($0)) }
        let branch = query["branch"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        let commit = query["commit"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
        var notice: String?
        let entries: [TaskListEntry]
        if let commit {
            // As the API's status query resolves it: the mirrors first, then the store's index.
            let prefix: CommitPrefix
            do {
                prefix = try CommitPrefix(parsing: commit)
            } catch {
                return message("Not a commit", error.description, viewer: viewer, status: .badRequest)
            }
            let found: [TaskSummary]
            do {
                found = try await WorkflowTaskRoutes.statusSummaries(prefix, covering: false, store: store, mirrors: mirrors,
                                                                     logger: context.logger)
            } catch let error as APIError {
                return message("Which commit?", error.reason, viewer: viewer, status: .badRequest)
            }
            var listed: [TaskListEntry] = []
            for summary in found.prefix(Self.pageSize) {
                guard let record = try await store.task(workflow: summary.workflow, taskID: summary.taskID) else { continue }
                listed.append(TaskListEntry(key: 0, summary: record.summary, trigger: record.trigger, attempt: record.attempt,
                                            arguments: record.arguments, origin: record.origin))
            }
            entries = listed
            notice = "\(found.count) task\(found.count == 1 ? "" : "s") for commit \(prefix.hex)"
                + (found.count > Self.pageSize ? " (the newest \(Self.pageSize) shown)" : "")
        } else {
            entries = try await store.taskList(TaskListQuery(workflow: workflow, status: status, branch: branch, before: before,
                                                             limit: Self.pageSize))
        }
        let time = now()
        let rows: [[String: Any]] = entries.map { entry in
            [
                "workflow": entry.summary.workflow, "taskID": entry.summary.taskID, "url": links.taskURL(entry.summary),
                "status": entry.summary.status.rawValue, "attempt": entry.attempt, "retried": entry.attempt > 1,
                "trigger": DashboardFormat.trigger(kind: entry.trigger.kind, origin: entry.origin, arguments: entry.arguments),
                "branch": DashboardFormat.branch(entry.arguments), "commit": DashboardFormat.commit(entry.arguments),
                "created": DashboardFormat.time(entry.summary.createTime),
                "duration": DashboardFormat.duration(start: entry.summary.startTime, end: entry.summary.endTime, now: time),
            ]
        }
        var next: String?
        if commit == nil, entries.count == Self.pageSize, let last = entries.last {
            var items = [URLQueryItem(name: "before", value: String(last.key))]
            if let workflow { items.append(URLQueryItem(name: "workflow", value: workflow)) }
            if let status { items.append(URLQueryItem(name: "status", value: status.rawValue)) }
            if let branch { items.append(URLQueryItem(name: "branch", value: branch)) }
            var components = URLComponents()
            components.queryItems = items
            next = "/" + (components.string ?? "")
        }
        let workflows = (config.workflows.map(\.name)).map { ["name": $0, "selected": $0 == workflow] as [String: Any] }
        let statuses = TaskStatus.allCases.map { ["name": $0.rawValue, "selected": $0 == status] as [String: Any] }
        var view: [String: Any] = ["title": "Tasks", "rows": rows, "workflows": workflows, "statuses": statuses,
                                   "filtered": workflow != nil || status != nil || branch != nil || commit != nil, "commit": commit ?? "",
                                   "branch": branch ?? ""]
        if let next { view["next"] = next }
        if let notice { view["notice"] = notice }
        return page("tasks", view, viewer: viewer)
    }

    /// A task's page, at its own `url`, for a browser.
    func taskPage(_ request: Request, workflow: String, taskID: Int64) async throws -> Response {
        guard let viewer = auth.viewer(request) else { return signInFirst(request) }
        guard let record = try await store.task(workflow: workflow, taskID: taskID) else {
            return message("No such task", "Workflow '\(workflow)' has no task \(taskID).", viewer: viewer, status: .notFound)
        }
        let shownNumber = request.uri.queryParameters["attempt"].flatMap { Int(String($0)) } ?? record.attempt
        guard let shown = record.attempts.first(where: { $0.number == shownNumber }) else {
            return message("No such attempt", "Task \(taskID) has attempts 1 to \(record.attempt).", viewer: viewer, status: .notFound)
        }
        let time = now()
        let base = Self.taskBase(workflow: workflow, taskID: taskID)
        var jobs: [[String: Any]] = []
        for stage in shown.stages {
            for job in stage.jobs {
                jobs.append(["name": job.name, "stage": stage.name, "status": job.status.rawValue,
                             "duration": DashboardFormat.duration(start: job.startTime, end: job.endTime, now: time),
                             "error": job.error ?? "",
                             "logURL": "\(base)/jobs/\(TaskLinks.escape(job.name))?attempt=\(shown.number)"])
            }
        }
        var repos: [[String: Any]] = []
        for target in record.arguments.targets {
            for repo in target.build.repos {
                repos.append(["target": target.name, "repo": repo.repoName, "ref": repo.pr > 0 ? "!\(repo.pr)" : repo.branch,
                              "commit": repo.commitID?.hex ?? ""])
            }
        }
        let images = record.arguments.releaseImages.map { ["service": $0.serviceName, "image": $0.image] }
        let status = record.summary.status
        // A Rill Flow execution: its DAG's edges are the descriptor's, and each task shows its input and output.
        let flow = config.workflow(named: workflow) == nil ? try await store.flowExecution(workflow: workflow, taskID: taskID) : nil
        if let flow {
            for index in jobs.indices {
                guard let name = jobs[index]["name"] as? String, let values = flow.values[name] else { continue }
                jobs[index]["input"] = values.input.map { JSONText.compact($0) } ?? ""
                jobs[index]["output"] = values.output.map { JSONText.compact($0) } ?? ""
            }
        }
        let edges = flow?.descriptor.rules.needs ?? needs(of: workflow)
        let view: [String: Any] = [
            "title": "\(workflow) #\(taskID)", "workflow": workflow, "taskID": taskID, "project": record.summary.project,
            "env": record.env, "status": status.rawValue,
            "trigger": DashboardFormat.trigger(kind: record.trigger.kind, origin: record.origin, arguments: record.arguments),
            "triggeredBy": record.trigger.by, "created": DashboardFormat.time(record.summary.createTime),
            "duration": DashboardFormat.duration(start: record.summary.startTime, end: record.summary.endTime, now: time),
            "canCancel": viewer.allows(.trigger) && !status.isFinal,
            "canRestart": viewer.allows(.trigger) && status.isFinal && status != .passed,
            "actionBase": base, "csrf": viewer.csrf, "statusURL": "\(base)/status.json", "repos": repos, "images": images,
            "attempts": record.attempts.map { ["number": $0.number, "status": $0.status.rawValue, "shown": $0.number == shown.number] },
            "attempt": shown.number, "svg": PipelineSVG.render(shown.stages, needs: edges, now: time), "jobs": jobs,
            "flow": flow.map { ["context": JSONText.compact($0.context), "descriptor": $0.descriptorID] } ?? false,
        ]
        return page("task", view, viewer: viewer)
    }

    @Sendable func taskStatus(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard auth.viewer(request) != nil else { return Response(status: .unauthorized) }
        let (workflow, taskID) = try address(context)
        guard let record = try await store.task(workflow: workflow, taskID: taskID) else { return Response(status: .notFound) }
        struct View: Encodable {
            struct Job: Encodable { let name: String; let status: String }
            let status: String
            let attempt: Int
            let jobs: [Job]
        }
        return JSONResponse.make(View(status: record.summary.status.rawValue, attempt: record.attempt,
                                      jobs: record.currentStages.flatMap(\.jobs).map { View.Job(name: $0.name, status: $0.status.rawValue) }))
    }

    /// Cancel or Restart from a task page's form.
    private func act(_ request: Request, _ context: TrestleRequestContext, cancel: Bool) async throws -> Response {
        guard let viewer = auth.viewer(request), let token = viewer.token else { return signInFirst(request) }
        let form = try await Self.form(request, server: config.server)
        guard auth.acceptsForm(request, csrf: form["csrf"]) else { return forbiddenForm() }
        guard token.allows(.trigger) else {
            return message("Not allowed", "Token '\(token.name)' may read but not \(cancel ? "cancel" : "restart") tasks (it lacks the trigger scope).",
                           viewer: viewer, status: .forbidden)
        }
        let (workflow, taskID) = try address(context)
        let trigger = TaskTrigger(kind: cancel ? .api : .restart, by: token.name)
        do {
            if cancel {
                try await commands.cancel(workflow: workflow, taskID: taskID, by: trigger, logger: context.logger)
            } else {
                try await commands.restart(workflow: workflow, taskID: taskID, by: trigger, logger: context.logger)
            }
        } catch let error as APIError {
            return message(cancel ? "Not cancelled" : "Not restarted", error.reason, viewer: viewer, status: .conflict)
        }
        guard let record = try await store.task(workflow: workflow, taskID: taskID) else { return Response(status: .notFound) }
        // The page's script posts for JSON and updates itself; a plain form goes back to the task.
        if request.headers[.accept]?.contains("application/json") == true {
            return JSONResponse.make(["status": record.summary.status.rawValue])
        }
        return Response(status: .seeOther, headers: [.location: links.taskURL(record.summary)])
    }

    // MARK: Logs

    @Sendable func logPage(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard let viewer = auth.viewer(request) else { return signInFirst(request) }
        let (workflow, taskID) = try address(context)
        let job = context.parameters.get("job") ?? ""
        guard let (record, attempt, status) = try await jobOf(workflow: workflow, taskID: taskID, job: job, request: request) else {
            return message("No such job", "Task \(taskID) of '\(workflow)' has no job '\(job)' in that attempt.", viewer: viewer, status: .notFound)
        }
        let base = "\(Self.taskBase(workflow: workflow, taskID: taskID))/jobs/\(TaskLinks.escape(job))"
        return page("log", [
            "title": "\(job) · \(workflow) #\(taskID)", "workflow": workflow, "taskID": taskID, "job": job, "attempt": attempt,
            "status": status.rawValue, "taskURL": links.taskURL(record.summary) + "?attempt=\(attempt)",
            "streamURL": "\(base)/events?attempt=\(attempt)", "downloadURL": "\(base)/log.txt?attempt=\(attempt)",
        ], viewer: viewer)
    }

    /// The log as server-sent events: each message a JSON string of output, then `end` with the
    /// job's status once it has ended.
    @Sendable func logEvents(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard auth.viewer(request) != nil else { return Response(status: .unauthorized) }
        let (workflow, taskID) = try address(context)
        let job = context.parameters.get("job") ?? ""
        guard let (_, attempt, _) = try await jobOf(workflow: workflow, taskID: taskID, job: job, request: request) else {
            return Response(status: .notFound)
        }
        let (store, logs) = (store, logs)
        let body = ResponseBody { writer in
            let stream = JobLogStream(store: store, source: logs)
            try await stream.send(workflow: workflow, taskID: taskID, attempt: attempt, jobs: [job], follow: true) { data in
                let text = String(decoding: data, as: UTF8.self)
                try await writer.write(ByteBuffer(string: "data: \(JSONText.compact(.string(text)))\n\n"))
            }
            let ended = try await store.task(workflow: workflow, taskID: taskID)?
                .attempts.first { $0.number == attempt }?.stages.flatMap(\.jobs).first { $0.name == job }?.status
            try await writer.write(ByteBuffer(string: "event: end\ndata: {\"status\":\"\(ended?.rawValue ?? "created")\"}\n\n"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"], body: body)
    }

    @Sendable func logText(_ request: Request, context: TrestleRequestContext) async throws -> Response {
        guard auth.viewer(request) != nil else { return signInFirst(request) }
        let (workflow, taskID) = try address(context)
        let job = context.parameters.get("job") ?? ""
        guard let (_, attempt, _) = try await jobOf(workflow: workflow, taskID: taskID, job: job, request: request) else {
            return Response(status: .notFound)
        }
        let (store, logs) = (store, logs)
        let body = ResponseBody { writer in
            try await JobLogStream(store: store, source: logs).send(workflow: workflow, taskID: taskID, attempt: attempt,
                                                                    jobs: [job], follow: false) { try await writer.write(ByteBuffer(bytes: $0)) }
            try await writer.finish(nil)
        }
        let filename = "\(workflow)-\(taskID)-\(attempt)-\(job).log".filter { $0.isLetter || $0.isNumber || "-_.".contains($0) }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8",
                                               .contentDisposition: "attachment; filename=\"\(filename)\""], body: body)
    }

    // MARK: Helpers

    private func jobOf(workflow: String, taskID: Int64, job: String, request: Request) async throws -> (TaskRecord, Int, TaskStatus)? {
        guard let record = try await store.task(workflow: workflow, taskID: taskID) else { return nil }
        let attempt = request.uri.queryParameters["attempt"].flatMap { Int(String($0)) } ?? record.attempt
        guard let status = record.attempts.first(where: { $0.number == attempt })?.stages.flatMap(\.jobs)
            .first(where: { $0.name == job })?.status else { return nil }
        return (record, attempt, status)
    }

    private func needs(of workflow: String) -> [String: [String]] {
        guard let config = config.workflow(named: workflow) else { return [:] }
        return JobRules(config).needs
    }

    private func address(_ context: TrestleRequestContext) throws -> (String, Int64) {
        do {
            return try TaskCommands.address(id: context.parameters.get("id"), workflow: context.parameters.get("workflow"))
        } catch {
            throw APIError.paramIllegal(error.description)
        }
    }

    static func taskBase(workflow: String, taskID: Int64) -> String {
        "/ui/tasks/\(TaskLinks.escape(workflow))/\(taskID)"
    }

    func page(_ name: String, _ view: [String: Any], viewer: DashboardViewer?, status: HTTPResponse.Status = .ok) -> Response {
        var view = view
        view["viewer"] = viewer?.view ?? false
        view["admin"] = viewer?.allows(.admin) == true
        let html = templates.render(name, view)
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                                                  HTTPField.Name("X-Frame-Options")!: "DENY",
                                                  HTTPField.Name("Content-Security-Policy")!: "default-src 'self'; style-src 'self'; img-src 'self' data:"],
                        body: ResponseBody(byteBuffer: ByteBuffer(string: html)))
    }

    func message(_ title: String, _ text: String, viewer: DashboardViewer?, status: HTTPResponse.Status) -> Response {
        page("message", ["title": title, "message": text], viewer: viewer, status: status)
    }

    private func forbiddenForm() -> Response {
        message("Form expired", "This form does not belong to your session (signed out, or sent from another page); reload and try again.",
                viewer: nil, status: .forbidden)
    }

    /// A browser without a session goes to sign-in, and comes back here afterwards.
    func signInFirst(_ request: Request) -> Response {
        let back = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "next", value: back)]
        return Response(status: .seeOther, headers: [.location: "/ui/sign-in" + (components.string ?? "")])
    }

    /// Only a path of this server: never another origin (`//host`, `https://…`).
    static func safeNext(_ next: String?) -> String {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.hasPrefix("/\\"),
              !next.contains(where: { $0.isNewline }) else { return "/" }
        return next
    }

    static func form(_ request: Request, server: ServerConfig) async throws -> [String: String] {
        let body = try await RequestBodyReader.collect(request, server: server)
        var components = URLComponents()
        components.percentEncodedQuery = String(decoding: body, as: UTF8.self).replacingOccurrences(of: "+", with: "%20")
        var fields: [String: String] = [:]
        for item in components.queryItems ?? [] where fields[item.name] == nil { fields[item.name] = item.value ?? "" }
        return fields
    }

    private static func asset(_ bytes: [UInt8], type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "public, max-age=300"],
                 body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
