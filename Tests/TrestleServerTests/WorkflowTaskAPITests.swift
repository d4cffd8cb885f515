import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TrestleServer

@Suite("Seed 000 workflow task API over a live server")
struct WorkflowTaskAPITests {
    static let commit = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"
    static let statusPath = "/api/directory/workflowTask"
    static let createPath = "/api/directory/workflowTask/create"

    static func taskPath(_ id: Int, _ action: String, workflow: String = "voting-workflow-dev") -> String {
        "/api/directory/workflowTask/id/\(id)/pipelines/\(workflow)/\(action)"
    }

    @Test("a created task is found by its full and its 8-character commit id, with the seed's fields")
    func createThenFind() async throws {
        try await TestServer.run { client in
            let created = try await client.call(.post, Self.createPath, json: TestServer.fixture("create-vote.json"))
            #expect(created.status == .ok)
            let body = try created.object()
            #expect(body["message"] as? String == "success")
            #expect(body["task_id"] as? Int == 1)
            #expect(body["pipeline_name"] as? String == "voting-workflow-dev")

            for query in [Self.commit, String(Self.commit.prefix(8)), Self.commit.uppercased()] {
                let found = try await client.call(.get, "\(Self.statusPath)?commitId=\(query)")
                #expect(found.status == .ok)
                let tasks = try found.array()
                #expect(tasks.count == 1)
                let task = try #require(tasks.first)
                #expect(Set(task.keys) == ["task_id", "create_time", "start_time", "end_time", "status", "url"])
                #expect(found.text.hasPrefix(#"[{"create_time":1639466317,"end_time":0,"start_time":0,"status":"created","task_id":1,"url":""#))
                #expect(task["task_id"] as? Int == 1)
                #expect(task["status"] as? String == "created")
                #expect(task["create_time"] as? Int == 1_639_466_317)
                #expect(task["start_time"] as? Int == 0)
                #expect(task["end_time"] as? Int == 0)
                let url = try #require(task["url"] as? String)
                #expect(url.hasPrefix("http://127.0.0.1:"))
                #expect(url.hasSuffix("/v1/projects/detail/voting/pipelines/multi/voting-workflow-dev/1"))
                #expect(!url.contains(":0/"))
            }
        }
    }

    @Test("a task's url answers with the task's JSON, stages and jobs included")
    func taskURLAnswers() async throws {
        try await TestServer.run { client in
            let created = try await client.call(.post, Self.createPath, json: TestServer.fixture("create-vote.json"))
            let url = try #require(try created.object()["url"] as? String)
            let path = try #require(URL(string: url)?.path)
            let page = try await client.call(.get, path, token: TestServer.readToken)
            #expect(page.status == .ok)
            let task = try page.object()
            #expect(task["task_id"] as? Int == 1)
            #expect(task["env_name"] as? String == "dev")
            #expect(task["status"] as? String == "created")
            let stages = try #require(task["stages"] as? [[String: Any]])
            #expect(stages.map { $0["name"] as? String } == ["build", "deploy"])
            let deployJobs = try #require(stages[1]["jobs"] as? [[String: Any]])
            #expect(deployJobs.map { $0["service_name"] as? String } == ["vote", "result"])
            let targets = try #require(task["targets"] as? [[String: Any]])
            let repos = try #require((targets.first?["build"] as? [String: Any])?["repos"] as? [[String: Any]])
            #expect(repos.first?["commit_id"] as? String == Self.commit)
            #expect(repos.first?["repo_name"] as? String == "voting-app")

            let wrongProject = try await client.call(.get, path.replacingOccurrences(of: "/voting/", with: "/other/"))
            #expect(wrongProject.status == .notFound)
        }
    }

    @Test("cancel, restart and the seed's refusals, with codes 6163 and 6164")
    func cancelAndRestart() async throws {
        try await TestServer.run { client in
            try await client.call(.post, Self.createPath, json: TestServer.fixture("create-vote.json"))

            let earlyRestart = try await client.call(.post, Self.taskPath(1, "restart"))
            #expect(earlyRestart.status == .conflict)
            let refusal = try earlyRestart.object()
            #expect(refusal["code"] as? Int == 6164)
            #expect(refusal["message"] as? String == "重试工作流任务失败")
            #expect(refusal["type"] as? String == "error")
            #expect((refusal["extra"] as? [String: Any])?.isEmpty == true)
            #expect((refusal["description"] as? String)?.contains("only failed, timeout or cancelled") == true)

            let cancel = try await client.call(.post, Self.taskPath(1, "cancel"))
            #expect(cancel.status == .ok)
            #expect(cancel.text == #"{"message":"success"}"#)
            let cancelled = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/voting-workflow-dev")
            let attempt = try #require((try cancelled.object()["attempts"] as? [[String: Any]])?.first)
            #expect(attempt["cancelled_by"] as? String == "scripts")
            let status = try await client.call(.get, "\(Self.statusPath)?commitId=1a2b3c4d")
            #expect(try status.array().first?["status"] as? String == "cancelled")

            let again = try await client.call(.post, Self.taskPath(1, "cancel"))
            #expect(again.status == .conflict)
            #expect(try again.object()["code"] as? Int == 6163)
            #expect(try again.object()["message"] as? String == "取消工作流任务失败")

            let restart = try await client.call(.post, Self.taskPath(1, "restart"))
            #expect(restart.text == #"{"message":"success"}"#)
            let detail = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/voting-workflow-dev")
            let task = try detail.object()
            #expect(task["status"] as? String == "created")
            #expect(task["attempt"] as? Int == 2)
            #expect((task["attempts"] as? [[String: Any]])?.map { $0["status"] as? String } == ["cancelled", "created"])
        }
    }

    @Test("restart and cancel of an unknown task or workflow answer 404 with the seed body")
    func unknownTask() async throws {
        try await TestServer.run { client in
            let cancel = try await client.call(.post, Self.taskPath(42, "cancel"))
            #expect(cancel.status == .notFound)
            let body = try cancel.object()
            #expect(body["code"] as? Int == 6163)
            #expect((body["description"] as? String)?.contains("workflow task 42") == true)
            let restart = try await client.call(.post, Self.taskPath(1, "restart", workflow: "ghost"))
            #expect(restart.status == .notFound)
            #expect(try restart.object()["code"] as? Int == 6164)
        }
    }

    @Test("missing, too short, too long and non-hex commitId values answer 400 with the seed body",
          arguments: ["", "?commitId=", "?commitId=abc", "?commitId=xyz12345", "?commitId=\(String(repeating: "a", count: 41))",
                      "?commitid=1a2b3c4d"])
    func badCommitIDs(query: String) async throws {
        try await TestServer.run { client in
            let response = try await client.call(.get, Self.statusPath + query)
            #expect(response.status == .badRequest)
            #expect(response.text == #"{"errorMsg":"param is illegal!","resultCode":400}"#)
            #expect(response.headers[HTTPField.Name("X-Trestle-Reason")!]?.isEmpty == false)
        }
    }

    @Test("an unknown commit answers an empty list")
    func unknownCommit() async throws {
        try await TestServer.run { client in
            let response = try await client.call(.get, "\(Self.statusPath)?commitId=deadbeef")
            #expect(response.status == .ok)
            #expect(response.text == "[]")
        }
    }

    @Test("bad task ids in the path answer 400 with the seed body", arguments: ["abc", "0", "-1", "99999999999999999999"])
    func badTaskIDs(id: String) async throws {
        try await TestServer.run { client in
            let response = try await client.call(.post, "/api/directory/workflowTask/id/\(id)/pipelines/voting-workflow-dev/cancel")
            #expect(response.status == .badRequest)
            #expect(response.text == #"{"errorMsg":"param is illegal!","resultCode":400}"#)
        }
    }

    @Test("create errors answer 400 with code 6540 and a description naming the input")
    func createErrors() async throws {
        try await TestServer.run { client in
            let cases: [(String, String)] = [
                (#"{"workflow_name":"ghost","env_name":"dev","targets":[]}"#, "workflow 'ghost' is not configured"),
                (#"{"env_name":"dev"}"#, "workflow_name is required"),
                (#"{"workflow_name":"voting-workflow-dev","env_name":"dev"}"#, "at least one of targets and release_images"),
                (#"{"workflow_name":"voting-workflow-dev","env_name":"dev","targets":[{"name":"nope","build":{"repos":[]}}]}"#, "target 'nope'"),
                (#"{"workflow_name":"voting-workflow-dev","env_name":"dev","targets":[{"name":"vote","build":{"repos":[{"repo_name":"x","branch":"m"}]}}]}"#, "repo 'x'"),
                (#"{"workflow_name":"voting-workflow-dev","env_name":"dev","release_images":[{"image":"a:1","service_name":"svc9"}]}"#, "service 'svc9'"),
                (#"{"workflow_name":"voting-workflow-dev","env_name":"dev","targets":[{"name":"vote","build":{"repos":[{"repo_name":"dyliu","branch":"m","pr":"one"}]}}]}"#, "targets[0].build.repos[0].pr: expected a whole number"),
                ("not json", "not valid JSON"),
                ("", "not valid JSON"),
            ]
            for (body, expected) in cases {
                let response = try await client.call(.post, Self.createPath, json: body)
                #expect(response.status == .badRequest, "\(body)")
                let error = try response.object()
                #expect(error["code"] as? Int == 6540)
                #expect(error["message"] as? String == "新建或更新wokflow失败")
                #expect((error["description"] as? String)?.contains(expected) == true, "\(body) → \(error)")
            }
            let none = try await client.call(.get, "\(Self.statusPath)?commitId=1a2b3c4d")
            #expect(none.text == "[]")
        }
    }

    @Test("a body over max_body_bytes answers 413 with a JSON error on every POST route")
    func oversizeBody() async throws {
        try await TestServer.run { client in
            let big = #"{"workflow_name":""# + String(repeating: "x", count: 5000) + #""}"#
            for path in [Self.createPath, Self.taskPath(1, "cancel"), Self.taskPath(1, "restart")] {
                let response = try await client.call(.post, path, json: big)
                #expect(response.status == .contentTooLarge, "\(path)")
                #expect(response.text == #"{"errorMsg":"request body too large!","resultCode":413}"#)
            }
        }
    }

    @Test("a chunked body without Content-Length is cut off at max_body_bytes with a 413")
    func oversizeChunkedBody() async throws {
        try await TestServer.run { client in
            let port = try #require(client.port)
            let body = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-big-\(UUID().uuidString).json")
            defer { try? FileManager.default.removeItem(at: body) }
            try Data((#"{"workflow_name":""# + String(repeating: "x", count: 20_000) + #""}"#).utf8).write(to: body)
            let output = try ProcessOutput.run("/usr/bin/env", [
                "curl", "-s", "-o", "-", "-w", "\n%{http_code}", "-X", "POST",
                "-H", "Authorization: Bearer \(TestServer.triggerToken)", "-H", "Transfer-Encoding: chunked",
                "-H", "Content-Type: application/json", "--data-binary", "@\(body.path)",
                "http://127.0.0.1:\(port)\(Self.createPath)",
            ])
            let lines = output.split(separator: "\n")
            #expect(lines.last == "413")
            #expect(lines.first == #"{"errorMsg":"request body too large!","resultCode":413}"#)
        }
    }

    @Test("healthz answers without auth; an unknown route answers a JSON 404")
    func healthAndNotFound() async throws {
        try await TestServer.run { client in
            let health = try await client.call(.get, "/healthz", token: nil)
            #expect(health.status == .ok)
            #expect(health.text == #"{"status":"ok"}"#)
            let missing = try await client.call(.get, "/api/nothing-here")
            #expect(missing.status == .notFound)
            #expect(try missing.object()["resultCode"] as? Int == 404)
        }
    }
}
