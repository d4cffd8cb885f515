import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TrestleCore
@testable import TrestleServer

/// The web dashboard through a live server, as a browser asks for it: HTML pages, a session
/// cookie from sign-in, forms carrying the session's CSRF token.
@Suite("Web dashboard: sign-in, tasks, a task's page, cancel, live logs")
struct DashboardTests {
    static let html: HTTPFields = [.accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"]

    /// Signs in with `token`; answers the session cookie (`trestle_session=…`).
    static func signIn(_ client: any TestClientProtocol, token: String) async throws -> String {
        let answer = try await client.execute(uri: "/ui/sign-in", method: .post,
                                              headers: [.contentType: "application/x-www-form-urlencoded"],
                                              body: ByteBuffer(string: "token=\(token)&next=%2F"))
        #expect(answer.status == .seeOther)
        let setCookie = try #require(answer.headers[.setCookie])
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/"))
        return try #require(setCookie.split(separator: ";").first.map(String.init))
    }

    static func get(_ client: any TestClientProtocol, _ path: String, cookie: String?) async throws -> TestResponse {
        var headers = html
        if let cookie { headers[.cookie] = cookie }
        return try await client.execute(uri: path, method: .get, headers: headers, body: nil)
    }

    static func post(_ client: any TestClientProtocol, _ path: String, cookie: String, form: String) async throws -> TestResponse {
        try await client.execute(uri: path, method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                                 body: ByteBuffer(string: form))
    }

    static func csrf(in page: String) throws -> String {
        let marker = #"name="csrf" value=""#
        let start = try #require(page.range(of: marker)).upperBound
        return String(page[start...].prefix { $0 != "\"" })
    }

    @Test("a browser without a session is sent to sign-in and back; a wrong token is refused on the page; a good one signs in")
    func signInAndReturn() async throws {
        try await TestServer.run { client in
            let tasks = try await Self.get(client, "/", cookie: nil)
            #expect(tasks.status == .seeOther)
            #expect(tasks.headers[.location] == "/ui/sign-in?next=/")
            let taskLink = try await Self.get(client, "/v1/projects/detail/voting/pipelines/multi/voting-workflow-dev/7", cookie: nil)
            #expect(taskLink.status == .seeOther, "a task's url sends a browser to sign-in, not to a 401: \(taskLink.text)")
            #expect(taskLink.headers[.location]?.hasPrefix("/ui/sign-in?next=/v1/projects/detail/") == true)
            let form = try await Self.get(client, "/ui/sign-in?next=/x", cookie: nil)
            #expect(form.status == .ok && form.text.contains(#"name="token""#) && form.text.contains(#"value="/x""#))

            let refused = try await client.execute(uri: "/ui/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                                   body: ByteBuffer(string: "token=wrong&next=%2F"))
            #expect(refused.status == .unauthorized)
            #expect(refused.text.contains("is not one of the server"), "\(refused.text)")
            #expect(refused.headers[.setCookie] == nil)

            let cookie = try await Self.signIn(client, token: TestServer.readToken)
            let signedIn = try await Self.get(client, "/", cookie: cookie)
            #expect(signedIn.status == .ok, "\(signedIn.text)")
            #expect(signedIn.headers[.contentType] == "text/html; charset=utf-8")
            #expect(signedIn.text.contains("<h1>Tasks</h1>") && signedIn.text.contains("viewer"))
            let forged = try await Self.get(client, "/", cookie: cookie.dropLast(2) + "xx")
            #expect(forged.status == .seeOther, "a cookie whose signature does not match is no session")

            let out = try await Self.post(client, "/ui/sign-out", cookie: cookie, form: "csrf=\(try Self.csrf(in: signedIn.text))")
            #expect(out.status == .seeOther && out.headers[.setCookie]?.contains("Max-Age=0") == true)

            // An API client keeps its JSON at the same url.
            let api = try await client.call(.get, "/v1/projects/detail/voting/pipelines/multi/voting-workflow-dev/7")
            #expect(api.status == .notFound && api.headers[.contentType]?.contains("json") == true)
        }
    }

    @Test("the tasks page lists tasks newest first with their trigger, branch and commit, filters by workflow and status, and pages on")
    func tasksPage() async throws {
        let control = try ExecutorTests.Control()
        try await ExecutorTests.run(control) { client in
            var ids: [Int] = []
            for _ in 0..<3 { ids.append(try await ExecutorTests.create(client, target: "echo")) }
            for id in ids { _ = try await ExecutorTests.wait(client, task: id) }
            let cookie = try await Self.signIn(client, token: TestServer.readToken)
            let page = try await Self.get(client, "/", cookie: cookie).text
            let rows = page.components(separatedBy: #"<tr data-task="runs/"#).dropFirst().map { $0.prefix { $0 != "\"" } }
            #expect(rows == ["3", "2", "1"], "newest first: \(rows)")
            #expect(page.contains(#"<span class="status s-passed">passed</span>"#))
            #expect(page.contains("<td>API</td>") && page.contains("<td>main</td>"))
            #expect(try await Self.get(client, "/?status=failed", cookie: cookie).text.contains("No tasks match these filters"))
            #expect(try await Self.get(client, "/?workflow=runs&status=passed", cookie: cookie).text.contains(#"data-task="runs/2""#))
            let bad = try await Self.get(client, "/?status=done", cookie: cookie)
            #expect(bad.status == .badRequest && bad.text.contains("is not a task status"))
            // Keyset pages: below the second task's key there is only the first.
            let older = try await Self.get(client, "/?before=2", cookie: cookie).text
            #expect(older.contains(#"data-task="runs/1""#) && !older.contains(#"data-task="runs/2""#))
        }
    }

    @Test("a task's url shows a browser its page with the pipeline picture; a trigger token cancels it by form, a read token may not")
    func taskPageAndCancel() async throws {
        let control = try ExecutorTests.Control()
        try await ExecutorTests.run(control) { client in
            let id = try await ExecutorTests.create(client, target: "hang")
            _ = try await ExecutorTests.wait(client, task: id, for: ["running"])
            let url = "/v1/projects/detail/voting/pipelines/multi/runs/\(id)"
            let reader = try await Self.signIn(client, token: TestServer.readToken)
            let readPage = try await Self.get(client, url, cookie: reader)
            #expect(readPage.status == .ok, "\(readPage.text)")
            #expect(readPage.text.contains("<svg") && readPage.text.contains(#"data-job="build-hang""#))
            #expect(!readPage.text.contains(#"id="cancel""#), "a read token sees no Cancel")
            let refused = try await Self.post(client, "/ui/tasks/runs/\(id)/cancel", cookie: reader,
                                              form: "csrf=\(try Self.csrf(in: readPage.text))")
            #expect(refused.status == .forbidden && refused.text.contains("lacks the trigger scope"))

            let trigger = try await Self.signIn(client, token: TestServer.triggerToken)
            let page = try await Self.get(client, url, cookie: trigger).text
            #expect(page.contains(#"id="cancel""#))
            let noToken = try await Self.post(client, "/ui/tasks/runs/\(id)/cancel", cookie: trigger, form: "csrf=forged")
            #expect(noToken.status == .forbidden, "a form without the session's CSRF token is refused")
            let cancelled = try await Self.post(client, "/ui/tasks/runs/\(id)/cancel", cookie: trigger, form: "csrf=\(try Self.csrf(in: page))")
            #expect(cancelled.status == .seeOther)
            let status = try await client.execute(uri: "/ui/tasks/runs/\(id)/status.json", method: .get, headers: [.cookie: trigger], body: nil)
            #expect(try status.object()["status"] as? String == "cancelled")
        }
    }

    @Test("a job's log page streams its output as server-sent events and ends with the job's status; the text downloads")
    func logStream() async throws {
        let control = try ExecutorTests.Control()
        try await ExecutorTests.run(control) { client in
            let id = try await ExecutorTests.create(client, target: "chatty")
            _ = try await ExecutorTests.wait(client, task: id, for: ["running"])
            let cookie = try await Self.signIn(client, token: TestServer.readToken)
            let page = try await Self.get(client, "/ui/tasks/runs/\(id)/jobs/build-chatty", cookie: cookie)
            #expect(page.status == .ok && page.text.contains(#"data-stream="/ui/tasks/runs/\#(id)/jobs/build-chatty/events?attempt=1""#))
            async let events = client.execute(uri: "/ui/tasks/runs/\(id)/jobs/build-chatty/events?attempt=1", method: .get,
                                              headers: [.cookie: cookie], body: nil)
            try control.write("go", "")
            let stream = try await events
            #expect(stream.headers[.contentType] == "text/event-stream")
            #expect(stream.text.contains(#"data: "one\n"#) || stream.text.contains(#"data: "one\n"#.replacingOccurrences(of: "\\n", with: "\\u000a")),
                    "\(stream.text)")
            #expect(stream.text.contains("two") && stream.text.hasSuffix("event: end\ndata: {\"status\":\"passed\"}\n\n"), "\(stream.text)")
            let text = try await client.execute(uri: "/ui/tasks/runs/\(id)/jobs/build-chatty/log.txt", method: .get,
                                                headers: [.cookie: cookie], body: nil)
            #expect(text.text.hasPrefix("one\n") && text.headers[.contentDisposition]?.contains("attachment") == true)
            let unsigned = try await client.execute(uri: "/ui/tasks/runs/\(id)/jobs/build-chatty/events", method: .get, headers: [:], body: nil)
            #expect(unsigned.status == .unauthorized)
        }
    }

    @Test("an admin reads the deliveries and a delivery's page: why it was ignored rule by rule, and its payload; others may not")
    func deliveriesPages() async throws {
        try await TestServer.run { client in
            let sent = try await WebhookReceiverTests.send(client, WebhookReceiverTests.sample("push-skip-ci"))
            let id = try WebhookReceiverTests.deliveryID(sent)
            _ = try await WebhookReceiverTests.processed(client, id)
            let reader = try await Self.signIn(client, token: TestServer.readToken)
            let refused = try await Self.get(client, "/ui/deliveries", cookie: reader)
            #expect(refused.status == .forbidden && refused.text.contains("admin scope"))
            #expect(!(try await Self.get(client, "/", cookie: reader).text.contains("/ui/deliveries")), "no Deliveries link for a reader")

            let admin = try await Self.signIn(client, token: TestServer.opsToken)
            let list = try await Self.get(client, "/ui/deliveries", cookie: admin)
            #expect(list.status == .ok && list.text.contains(#"data-delivery="\#(id)""#) && list.text.contains("ignored"))
            let page = try await Self.get(client, "/ui/deliveries/\(id)", cookie: admin)
            #expect(page.status == .ok)
            #expect(page.text.contains("[skip ci]"), "why it was ignored: \(page.text)")
            #expect(page.text.contains("<td>voting-workflow-dev</td>"), "each rule's decision")
            #expect(page.text.contains("&quot;object_kind&quot; : &quot;push&quot;"), "the payload, pretty-printed and escaped")
            #expect(try await Self.get(client, "/ui/deliveries/999", cookie: admin).status == .notFound)
        }
    }

    @Test("the commit box finds a commit's tasks as the status query does; the workflows page draws their tasks; the mirrors page its fetch")
    func commitSearchWorkflowsAndMirrors() async throws {
        let control = try ExecutorTests.Control()
        try await ExecutorTests.run(control) { client in
            let first = try await ExecutorTests.create(client, target: "echo")
            let second = try await ExecutorTests.create(client, target: "echo")
            let done = try await ExecutorTests.wait(client, task: second)
            _ = try await ExecutorTests.wait(client, task: first)
            let targets = try #require(done["targets"] as? [[String: Any]])
            let build = try #require(targets.first?["build"] as? [String: Any])
            let repos = try #require(build["repos"] as? [[String: Any]])
            let commit = try #require(repos.first?["commit_id"] as? String)
            let cookie = try await Self.signIn(client, token: TestServer.readToken)

            let found = try await Self.get(client, "/?commit=\(commit.prefix(8))", cookie: cookie)
            #expect(found.status == .ok)
            #expect(found.text.contains("2 tasks for commit \(commit.prefix(8))"), "\(found.text)")
            #expect(found.text.contains(#"data-task="runs/\#(first)""#) && found.text.contains(#"data-task="runs/\#(second)""#))
            let bad = try await Self.get(client, "/?commit=xyz", cookie: cookie)
            #expect(bad.status == .badRequest && bad.text.contains("Not a commit"))

            let workflows = try await Self.get(client, "/ui/workflows", cookie: cookie)
            #expect(workflows.status == .ok)
            #expect(workflows.text.contains(#"id="workflow-runs""#) && workflows.text.contains(#"<svg xmlns="http://www.w3.org/2000/svg" class="chart""#))
            #expect(workflows.text.contains("100 % passed"), "both tasks passed")

            let mirrors = try await Self.get(client, "/ui/mirrors", cookie: cookie)
            #expect(mirrors.status == .ok && mirrors.text.contains(#"data-mirror="voting-app""#))
            #expect(mirrors.text.contains("<td class=\"\">ok</td>"), "\(mirrors.text)")
        }
    }

    @Test("the pass rate is over the ten ended tasks up to each one; running tasks are left out")
    func passRates() {
        let task = { (id: Int64, status: TaskStatus) in
            TaskSummary(taskID: id, workflow: "w", project: "p", status: status, createTime: 1, startTime: 1, endTime: 2)
        }
        let tasks = [task(1, .passed), task(2, .failed), task(3, .running), task(4, .passed), task(5, .passed)]
        #expect(WorkflowCharts.passRates(tasks) == [100, 50, 200.0 / 3, 75])
        let twelve = (1...12).map { task(Int64($0), $0 <= 2 ? .failed : .passed) }
        #expect(WorkflowCharts.passRates(twelve).last == 100, "the two failures are out of the last ten")
    }

    @Test("a Rill Flow execution's page draws its DAG and shows each task's status, input and output")
    func flowExecutionPage() async throws {
        try await TestServer.run(configFile: "flow.yaml") { client in
            _ = try await FlowAPITests.add(client, """
                workspace: ws
                dagName: shown
                tasks:
                  - { name: first, category: pass, next: second, inputMappings: [{ source: $.context.n, target: $.input.n }],
                      outputMappings: [{ source: $.output.n, target: $.context.m }] }
                  - { name: second, category: pass, inputMappings: [{ source: $.context.m, target: $.input.m }] }
                """)
            let executionID = try await FlowAPITests.submit(client, "ws:shown", context: #"{"n": 7}"#)
            _ = try await FlowAPITests.poll(client, executionID)
            let cookie = try await Self.signIn(client, token: TestServer.readToken)
            let page = try await Self.get(client, "/v1/projects/detail/ws/pipelines/multi/ws:shown/1", cookie: cookie)
            #expect(page.status == .ok, "\(page.text)")
            #expect(page.text.contains(#"data-from="first" data-to="second""#), "the DAG's edge")
            #expect(page.text.contains(#"<g class="job s-passed" data-job="second">"#))
            #expect(page.text.contains("<code>{&quot;m&quot;:7}</code>"), "second's input: \(page.text)")
            #expect(page.text.contains("Rill Flow execution of <code>ws:shown</code>"))
        }
    }

    @Test("sign-in only ever returns to a path of this server")
    func nextStaysOnThisServer() {
        #expect(DashboardRoutes.safeNext("/v1/projects/detail/p/pipelines/multi/w/1") == "/v1/projects/detail/p/pipelines/multi/w/1")
        for hostile in ["//evil.example", "https://evil.example/", "/\\evil.example", "evil", nil, "/a\nSet-Cookie: x"] {
            #expect(DashboardRoutes.safeNext(hostile) == "/", "\(hostile ?? "nil")")
        }
    }

    @Test("sessions: a cookie signed with another secret, or expired, is no session; a new secret signs everyone out")
    func sessionsAreSignedAndExpire() {
        let sessions = DashboardSessions(secret: Secret("0123456789abcdef0123"), externalURL: "https://ci.example.com")
        let cookie = sessions.cookieValue(tokenName: "scripts", now: 100)
        #expect(sessions.session(cookie: cookie, now: 200) == DashboardSessions.Session(tokenName: "scripts", expires: 100 + DashboardSessions.lifetime))
        #expect(sessions.session(cookie: cookie, now: 100 + DashboardSessions.lifetime) == nil, "expired")
        let other = DashboardSessions(secret: Secret("another-secret-0123456"), externalURL: "https://ci.example.com")
        #expect(other.session(cookie: cookie, now: 200) == nil)
        #expect(sessions.setCookie(cookie).hasSuffix("; Secure"), "https external_url: Secure cookies")
        #expect(sessions.csrfToken(cookie: cookie) != other.csrfToken(cookie: cookie))
    }

    @Test("the pipeline picture: a box per job in its stage's column, edges for needs and from stage to stage, every name escaped")
    func pipelinePicture() {
        let job = { (name: String, status: TaskStatus) in JobRecord(name: name, kind: .shell, target: "", status: status) }
        let stages = [
            StageRecord(name: "build", status: .passed, jobs: [job("build-vote", .passed)]),
            StageRecord(name: "test", status: .running, jobs: [job("unit", .passed), job("package", .running), job("<lint>", .created)]),
        ]
        let needs = ["package": ["unit"]]
        let edges = PipelineSVG.edges(stages, needs: needs).map { "\($0.0)>\($0.1)" }
        #expect(edges == ["build-vote>unit", "build-vote><lint>", "unit>package"])
        let svg = PipelineSVG.render(stages, needs: needs, now: 0)
        #expect(svg.contains(#"<g class="job s-running" data-job="package">"#))
        #expect(svg.contains("&lt;lint&gt;") && !svg.contains("<lint>"))
        #expect(PipelineSVG.layout(stages).map(\.x) == [12, 252, 252, 252])
    }
}
