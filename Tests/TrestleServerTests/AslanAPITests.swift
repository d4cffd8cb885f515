import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TrestleServer

@Suite("Seed 001 aslan API over a live server")
struct AslanAPITests {
    static let createPath = "/api/aslan/workflow/workflowtask"
    static let errorKeys: Set<String> = ["code", "description", "extra", "message", "type"]

    static func taskPath(_ id: Int, workflow: String = "proxy-workflow-dev", project: String? = "proxy") -> String {
        "/api/aslan/workflow/workflowtask/id/\(id)/pipelines/\(workflow)" + (project.map { "?projectName=\($0)" } ?? "")
    }

    static func restartPath(_ id: Int, workflow: String = "proxy-workflow-dev", project: String? = "proxy") -> String {
        "/api/aslan/workflow/workflowtask/id/\(id)/pipelines/\(workflow)/restart" + (project.map { "?projectName=\($0)" } ?? "")
    }

    static func run(_ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        try await TestServer.run(configFile: "seeds.yaml", body)
    }

    /// The seed's error body, to the letter: its five keys, `extra` empty, `type` "error".
    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, code: Int, message: String,
                            describing expected: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        let body = try response.object()
        #expect(Set(body.keys) == errorKeys, sourceLocation: sourceLocation)
        #expect(body["code"] as? Int == code, sourceLocation: sourceLocation)
        #expect(body["message"] as? String == message, sourceLocation: sourceLocation)
        #expect(body["type"] as? String == "error", sourceLocation: sourceLocation)
        #expect((body["extra"] as? [String: Any])?.isEmpty == true, sourceLocation: sourceLocation)
        #expect((body["description"] as? String)?.contains(expected) == true, "\(body)", sourceLocation: sourceLocation)
    }

    @Test("the seed's example create, trailing commas and all, answers pipeline_name and task_id, and seed 000 finds the task by its commit")
    func createFromSeedExample() async throws {
        let head = try TestRemotes.shared.get().dyliu.revParse("main")
        try await Self.run { client in
            let created = try await client.call(.post, "\(Self.createPath)?projectName=proxy", json: TestServer.fixture("aslan-create.json"))
            #expect(created.status == .ok, "\(created.text)")
            #expect(created.text == #"{"pipeline_name":"proxy-workflow-dev","task_id":1}"#)
            let second = try await client.call(.post, Self.createPath, json: TestServer.fixture("aslan-create.json"))
            #expect(second.text == #"{"pipeline_name":"proxy-workflow-dev","task_id":2}"#)

            let found = try await client.call(.get, "/api/directory/workflowTask?commitId=\(head.prefix(8))")
            let tasks = try found.array()
            #expect(tasks.compactMap { $0["task_id"] as? Int } == [2, 1])
            #expect((tasks.first?["url"] as? String)?.hasSuffix("/v1/projects/detail/proxy/pipelines/multi/proxy-workflow-dev/2") == true)
            let detail = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/proxy-workflow-dev").object()
            #expect(detail["env_name"] as? String == "dev")
            #expect((detail["triggered_by"] as? [String: Any])?["name"] as? String == "scripts")
        }
    }

    @Test("a target may bring seed 000's build.repos; an unknown branch is named by its field")
    func createWithBuild() async throws {
        try await Self.run { client in
            let body = #"{"workflow_name":"proxy-workflow-dev","product_tmpl_name":"proxy","namespace":"staging","#
                + #""targets":[{"name":"gateway","service_name":"gateway","product_name":"proxy","build":{"repos":[{"repo_name":"voting-app","branch":"feature"}]}}]}"#
            let created = try await client.call(.post, Self.createPath, json: body)
            #expect(created.text == #"{"pipeline_name":"proxy-workflow-dev","task_id":1}"#)
            let unknown = try await client.call(.post, Self.createPath, json: body.replacingOccurrences(of: "feature", with: "no-such-branch"))
            try Self.expectError(unknown, .badRequest, code: 6542, message: "查询workflow失败",
                                 describing: "targets[0].build.repos[0]: branch 'no-such-branch' is not in repo 'voting-app'")
        }
    }

    @Test("cancel and restart answer the seed's success, and refuse a task in the wrong state with 409, 6163 and 6164")
    func cancelAndRestart() async throws {
        try await Self.run { client in
            try await client.call(.post, Self.createPath, json: TestServer.fixture("aslan-create.json"))
            let early = try await client.call(.post, Self.restartPath(1))
            try Self.expectError(early, .conflict, code: 6164, message: "重试工作流任务失败", describing: "only failed, timeout or cancelled")

            let cancel = try await client.call(.delete, Self.taskPath(1))
            #expect(cancel.status == .ok)
            #expect(cancel.text == #"{"message":"success"}"#)
            let status = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/proxy-workflow-dev").object()
            #expect(status["status"] as? String == "cancelled")

            let again = try await client.call(.delete, Self.taskPath(1, project: nil))
            try Self.expectError(again, .conflict, code: 6163, message: "取消工作流任务失败", describing: "already cancelled")

            let restart = try await client.call(.post, Self.restartPath(1))
            #expect(restart.text == #"{"message":"success"}"#)
            let restarted = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/proxy-workflow-dev").object()
            #expect(restarted["status"] as? String == "created")
            #expect(restarted["attempt"] as? Int == 2)
        }
    }

    @Test("an unknown task, workflow or project answers 404: 6163 for cancel, 6164 for restart, 6542 for create")
    func notFound() async throws {
        try await Self.run { client in
            try await client.call(.post, Self.createPath, json: TestServer.fixture("aslan-create.json"))
            try Self.expectError(try await client.call(.delete, Self.taskPath(42)), .notFound, code: 6163,
                                 message: "取消工作流任务失败", describing: "workflow task 42 of workflow 'proxy-workflow-dev' not found")
            try Self.expectError(try await client.call(.post, Self.restartPath(1, workflow: "ghost")), .notFound, code: 6164,
                                 message: "重试工作流任务失败", describing: "workflow task 1 of workflow 'ghost' not found")
            try Self.expectError(try await client.call(.delete, Self.taskPath(1, project: "other")), .notFound, code: 6163,
                                 message: "取消工作流任务失败", describing: "projectName: workflow 'proxy-workflow-dev' belongs to project 'proxy', not to 'other'")
            try Self.expectError(try await client.call(.post, Self.restartPath(1, project: "other")), .notFound, code: 6164,
                                 message: "重试工作流任务失败", describing: "projectName:")

            let example = try TestServer.fixture("aslan-create.json")
            let cases: [(String, String, String)] = [
                ("", example.replacingOccurrences(of: "proxy-workflow-dev", with: "ghost"), "workflow_name: workflow 'ghost' is not configured"),
                ("?projectName=other", example, "projectName: workflow 'proxy-workflow-dev' belongs to project 'proxy'"),
                ("", example.replacingOccurrences(of: #""product_tmpl_name": "proxy""#, with: #""product_tmpl_name": "nope""#),
                 "product_tmpl_name: workflow 'proxy-workflow-dev' belongs to project 'proxy', not to 'nope'"),
            ]
            for (query, body, expected) in cases {
                try Self.expectError(try await client.call(.post, Self.createPath + query, json: body), .notFound, code: 6542,
                                     message: "查询workflow失败", describing: expected)
            }
            let unchanged = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/proxy-workflow-dev").object()
            #expect(unchanged["status"] as? String == "created")
        }
    }

    @Test("a bad create body or task id answers 400 in the seed's shape, naming the input in seed 001's words")
    func badRequests() async throws {
        try await Self.run { client in
            let cases: [(String, String)] = [
                (#"{"workflow_name":"proxy-workflow-dev","product_tmpl_name":"proxy","targets":[{"name":"proxy"}]}"#, "namespace is required"),
                (#"{"workflow_name":"proxy-workflow-dev","product_tmpl_name":"proxy","namespace":"prod","targets":[{"name":"proxy"}]}"#,
                 "namespace: env 'prod' is not allowed for workflow 'proxy-workflow-dev'"),
                (#"{"workflow_name":"proxy-workflow-dev","product_tmpl_name":"proxy","namespace":"dev"}"#, "targets is required"),
                (#"{"workflow_name":"proxy-workflow-dev","product_tmpl_name":"proxy","namespace":"dev","targets":[{"name":"nope"}]}"#,
                 "targets[0].name: target 'nope' is not a target of workflow 'proxy-workflow-dev'"),
                (#"{"workflow_name":"proxy-workflow-dev","namespace":"dev","targets":[{"name":"proxy"}]}"#, "product_tmpl_name is required"),
                (#"{"product_tmpl_name":"proxy"}"#, "workflow_name is required"),
                ("not json", "not valid JSON"),
            ]
            for (body, expected) in cases {
                try Self.expectError(try await client.call(.post, Self.createPath, json: body), .badRequest, code: 6542,
                                     message: "查询workflow失败", describing: expected)
            }
            try Self.expectError(try await client.call(.delete, "/api/aslan/workflow/workflowtask/id/abc/pipelines/proxy-workflow-dev"),
                                 .badRequest, code: 6163, message: "取消工作流任务失败", describing: "task id 'abc' is not a positive whole number")
            try Self.expectError(try await client.call(.post, "/api/aslan/workflow/workflowtask/id/0/pipelines/proxy-workflow-dev/restart"),
                                 .badRequest, code: 6164, message: "重试工作流任务失败", describing: "task id '0'")
        }
    }

    @Test("auth failures answer the code shape with the HTTP status as code, on every aslan route")
    func authFailures() async throws {
        try await Self.run { client in
            for (method, path) in [(HTTPRequest.Method.post, Self.createPath), (.delete, Self.taskPath(1)), (.post, Self.restartPath(1))] {
                let missing = try await client.call(method, path, token: nil)
                try Self.expectError(missing, .unauthorized, code: 401, message: "auth failed!", describing: "missing or unknown API token")
                let wrong = try await client.call(method, path, token: "not-a-token")
                #expect(wrong.status == .unauthorized)
                #expect(!wrong.text.contains("not-a-token"))
                let readOnly = try await client.call(method, path, token: TestServer.readToken)
                try Self.expectError(readOnly, .forbidden, code: 403, message: "permission denied!", describing: "lacks the 'trigger' scope")
            }
            let unknownRoute = try await client.call(.get, "/api/aslan/nothing")
            try Self.expectError(unknownRoute, .notFound, code: 404, message: "not found!", describing: "no route for GET /api/aslan/nothing")
        }
    }

    @Test("a create body over server.max_body_bytes answers 413 in the code shape, naming the limit")
    func oversizedCreateBody() async throws {
        try await Self.run { client in
            let padding = String(repeating: "x", count: 5000)
            let tooLarge = try await client.call(.post, Self.createPath, json: #"{"workflow_name":"\#(padding)"}"#)
            try Self.expectError(tooLarge, .contentTooLarge, code: 413, message: "request body too large!",
                                 describing: "request body exceeds server.max_body_bytes (4096 bytes)")
        }
    }
}
