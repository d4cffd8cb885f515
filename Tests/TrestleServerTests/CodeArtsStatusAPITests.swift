import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TrestleServer

@Suite("Seed 003 CodeArts pipeline status over a live server")
struct CodeArtsStatusAPITests {
    static let topKeys: Set<String> = ["executor", "status", "outcome", "pipeline_id", "pipeline_name", "build_id", "start_time",
                                       "end_time", "elapsed_time", "detail_url", "parameters", "states"]
    static let stageKeys: Set<String> = ["id", "name", "type", "status", "outcome", "children", "start_time", "end_time", "elapsed_time"]
    static let taskKeys: Set<String> = ["id", "name", "type", "status", "outcome", "start_time", "end_time", "elapsed_time",
                                        "error_code", "error_msg", "detail_url"]
    static let authToken = HTTPField.Name("X-Auth-Token")!

    /// The seed's request: X-Auth-Token, no Authorization header.
    static func get(_ client: any TestClientProtocol, _ path: String, token: String? = TestServer.readToken) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[authToken] = token }
        return try await client.call(.get, path, token: nil, headers: headers)
    }

    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, describing expected: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        let body = try response.object()
        #expect(Set(body.keys) == ["error_msg", "error_code"], sourceLocation: sourceLocation)
        #expect(body["error_code"] as? String == "TRESTLE.\(status.code)", sourceLocation: sourceLocation)
        #expect((body["error_msg"] as? String)?.contains(expected) == true, "\(body)", sourceLocation: sourceLocation)
    }

    @Test("a waiting task answers every key of the seed's example, nulls included, with stages whose children are its jobs")
    func waitingTask() async throws {
        let head = try TestRemotes.shared.get().dyliu.revParse("main")
        try await TestServer.run(configFile: "seeds.yaml") { client in
            try await client.call(.post, AslanAPITests.createPath, json: TestServer.fixture("aslan-create.json"))
            let response = try await Self.get(client, "/v3/pipelines/proxy-workflow-dev/status?build_id=1")
            #expect(response.status == .ok, "\(response.text)")
            let body = try response.object()
            #expect(Set(body.keys) == Self.topKeys)
            #expect(body["pipeline_id"] as? String == "proxy-workflow-dev")
            #expect(body["pipeline_name"] as? String == "proxy-workflow-dev")
            #expect(body["build_id"] as? String == "1")
            #expect(body["executor"] as? String == "scripts")
            #expect(body["status"] as? String == "waiting")
            for key in ["outcome", "start_time", "end_time", "elapsed_time"] {
                #expect(body[key] is NSNull, "\(key)")
            }
            #expect((body["detail_url"] as? String)?.hasSuffix("/v1/projects/detail/proxy/pipelines/multi/proxy-workflow-dev/1") == true)
            let parameters = try #require(body["parameters"] as? [[String: String]])
            #expect(parameters.allSatisfy { Set($0.keys) == ["name", "value"] })
            #expect(parameters.map { $0["name"]! } == ["env_name", "proxy.dyliu.branch", "proxy.dyliu.commit_id"])
            #expect(parameters.map { $0["value"]! } == ["dev", "main", head])

            let states = try #require(body["states"] as? [[String: Any]])
            #expect(states.map { $0["name"] as? String } == ["build", "deploy"])
            #expect(states.map { $0["id"] as? String } == ["stage_1", "stage_2"])
            for stage in states {
                #expect(Set(stage.keys) == Self.stageKeys)
                #expect(stage["type"] as? String == "stage")
                #expect(stage["status"] as? String == "waiting")
                #expect(stage["outcome"] is NSNull)
                let children = try #require(stage["children"] as? [[String: Any]])
                #expect(children.count == 1)
                for child in children {
                    #expect(Set(child.keys) == Self.taskKeys)
                    #expect(child["type"] as? String == "task")
                    #expect(child["status"] as? String == "waiting")
                    for key in ["outcome", "start_time", "end_time", "elapsed_time", "error_code", "error_msg", "detail_url"] {
                        #expect(child[key] is NSNull, "\(key)")
                    }
                }
            }
            #expect((states[0]["children"] as? [[String: Any]])?.first?["name"] as? String == "build-proxy")
            #expect(response.text.contains(#""end_time":null"#))
            #expect(!response.text.contains(#"end_time\""#))
        }
    }

    @Test("without build_id the newest task answers; a cancelled one is completed and aborted")
    func newestTask() async throws {
        try await TestServer.run(configFile: "seeds.yaml") { client in
            for _ in 0..<2 {
                try await client.call(.post, AslanAPITests.createPath, json: TestServer.fixture("aslan-create.json"))
            }
            try await client.call(.delete, AslanAPITests.taskPath(2))
            let body = try await Self.get(client, "/v3/pipelines/proxy-workflow-dev/status").object()
            #expect(body["build_id"] as? String == "2")
            #expect(body["status"] as? String == "completed")
            #expect(body["outcome"] as? String == "aborted")
            #expect(body["end_time"] as? String == "2021-12-14 07:18:37")
            let jobs = ((body["states"] as? [[String: Any]]) ?? []).flatMap { ($0["children"] as? [[String: Any]]) ?? [] }
            #expect(jobs.map { $0["outcome"] as? String } == ["aborted", "aborted"])
            #expect(jobs.map { $0["error_code"] as? String } == ["TRESTLE.JOB_ABORTED", "TRESTLE.JOB_ABORTED"])
            #expect(jobs.allSatisfy { $0["error_msg"] is String })
            let first = try await Self.get(client, "/v3/pipelines/proxy-workflow-dev/status?build_id=1").object()
            #expect(first["status"] as? String == "waiting")
        }
    }

    @Test("bad build_id 400, unknown pipeline or build 404, missing token 401, read-only scope suffices: all as {error_msg, error_code}")
    func errors() async throws {
        try await TestServer.run(configFile: "seeds.yaml") { client in
            try await client.call(.post, AslanAPITests.createPath, json: TestServer.fixture("aslan-create.json"))
            for bad in ["abc", "0", "-3", "1.5"] {
                try Self.expectError(try await Self.get(client, "/v3/pipelines/proxy-workflow-dev/status?build_id=\(bad)"),
                                     .badRequest, describing: "build_id: '\(bad)' is not a task id")
            }
            try Self.expectError(try await Self.get(client, "/v3/pipelines/ghost/status"), .notFound,
                                 describing: "pipeline_id: workflow 'ghost' is not configured (configured: proxy-workflow-dev, empty-workflow)")
            try Self.expectError(try await Self.get(client, "/v3/pipelines/proxy-workflow-dev/status?build_id=9"), .notFound,
                                 describing: "build_id: workflow 'proxy-workflow-dev' has no task 9")
            try Self.expectError(try await Self.get(client, "/v3/pipelines/empty-workflow/status"), .notFound,
                                 describing: "workflow 'empty-workflow' has no tasks yet")
            try Self.expectError(try await Self.get(client, "/v3/pipelines/proxy-workflow-dev/status", token: nil), .unauthorized,
                                 describing: "missing or unknown API token")
            try Self.expectError(try await Self.get(client, "/v3/pipelines/proxy-workflow-dev/status", token: "wrong"), .unauthorized,
                                 describing: "missing or unknown API token")
            try Self.expectError(try await Self.get(client, "/v3/pipelines/proxy-workflow-dev/history"), .notFound,
                                 describing: "no route for GET /v3/pipelines/proxy-workflow-dev/history")
            let bearer = try await client.call(.get, "/v3/pipelines/proxy-workflow-dev/status", token: TestServer.readToken)
            #expect(bearer.status == .ok)
        }
    }
}
