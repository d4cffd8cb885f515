import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TrestleServer

@Suite("Seed 004 AOM workflow executions over a live server")
struct AOMExecutionAPITests {
    static let path = "/v1/proxy/cms/workflow/proxy-workflow-dev/executions"
    static let executionKeys: Set<String> = ["workflow_id", "execution_id", "status", "begin_time", "end_time", "last_update_time",
                                             "created_by", "approve_user_name_list", "project_id", "workflow_edit_time",
                                             "execution_result_list"]
    static let nodeKeys: Set<String> = ["node_id", "begin_time", "end_time", "function_execution_id", "output", "status"]

    static func get(_ client: any TestClientProtocol, _ path: String, token: String? = TestServer.readToken) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[CodeArtsStatusAPITests.authToken] = token }
        return try await client.call(.get, path, token: nil, headers: headers)
    }

    static func expectError(_ response: TestResponse, _ status: HTTPResponse.Status, code: String, describing expected: String,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(response.status == status, "\(response.text)", sourceLocation: sourceLocation)
        let body = try response.object()
        #expect(Set(body.keys) == ["error_code", "error_msg", "http_code"], sourceLocation: sourceLocation)
        #expect(body["error_code"] as? String == code, sourceLocation: sourceLocation)
        #expect(body["http_code"] as? Int == Int(status.code), sourceLocation: sourceLocation)
        #expect((body["error_msg"] as? String)?.contains(expected) == true, "\(body)", sourceLocation: sourceLocation)
    }

    @Test("the history is a JSON array, newest first, with the seed's keys, AOM status words and times in Unix seconds")
    func history() async throws {
        try await TestServer.run(configFile: "seeds.yaml") { client in
            for _ in 0..<3 {
                try await client.call(.post, AslanAPITests.createPath, json: TestServer.fixture("aslan-create.json"))
            }
            try await client.call(.delete, AslanAPITests.taskPath(2))
            let response = try await Self.get(client, Self.path + "?x_enterprise_project_id=0")
            #expect(response.status == .ok, "\(response.text)")
            let executions = try response.array()
            #expect(executions.map { $0["execution_id"] as? String } == ["3", "2", "1"])
            #expect(executions.map { $0["status"] as? String } == ["waiting", "cancelled", "waiting"])
            for execution in executions {
                #expect(Set(execution.keys) == Self.executionKeys)
                #expect(execution["workflow_id"] as? String == "proxy-workflow-dev")
                #expect(execution["project_id"] as? String == "proxy")
                #expect(execution["created_by"] as? String == "scripts")
                #expect(execution["begin_time"] as? Int == 1_639_466_317)
                #expect(execution["last_update_time"] as? Int == 1_639_466_317)
                #expect(execution["workflow_edit_time"] as? Int == 0)
                #expect((execution["approve_user_name_list"] as? [Any])?.isEmpty == true)
                let nodes = try #require(execution["execution_result_list"] as? [[String: Any]])
                #expect(nodes.map { $0["node_id"] as? String } == ["build-proxy", "deploy-proxy"])
                for node in nodes {
                    #expect(Set(node.keys) == Self.nodeKeys)
                    let output = try #require(node["output"] as? [String: Any])
                    #expect(Set(output.keys) == ["stage", "type", "service_name", "image", "error", "log_url"])
                }
            }
            #expect(executions[0]["end_time"] as? Int == 0)
            #expect(executions[1]["end_time"] as? Int == 1_639_466_317)
            let cancelledNodes = try #require(executions[1]["execution_result_list"] as? [[String: Any]])
            #expect(cancelledNodes.map { $0["status"] as? String } == ["cancelled", "cancelled"])
            #expect(cancelledNodes.first?["function_execution_id"] as? String == "2-1-build-proxy")
            #expect(((cancelledNodes.first?["output"] as? [String: Any])?["log_url"] as? String)?
                .hasSuffix("/api/directory/workflowTask/id/2/pipelines/proxy-workflow-dev/logs?job=build-proxy") == true)

            let limited = try await Self.get(client, Self.path + "?limit=2").array()
            #expect(limited.map { $0["execution_id"] as? String } == ["3", "2"])
            let empty = try await Self.get(client, "/v1/proxy/cms/workflow/empty-workflow/executions")
            #expect(empty.text == "[]")
        }
    }

    @Test("bad limits 400, another project or unknown workflow 404, no token 401 with the seed's code: all as {error_code, error_msg, http_code}")
    func errors() async throws {
        try await TestServer.run(configFile: "seeds.yaml") { client in
            for bad in ["0", "201", "abc", "-1"] {
                try Self.expectError(try await Self.get(client, Self.path + "?limit=\(bad)"), .badRequest, code: "TRESTLE.400",
                                     describing: "limit: '\(bad)' is not a whole number from 1 to 200")
            }
            try Self.expectError(try await Self.get(client, "/v1/other/cms/workflow/proxy-workflow-dev/executions"), .notFound,
                                 code: "TRESTLE.404", describing: "project_id: workflow 'proxy-workflow-dev' belongs to project 'proxy', not to 'other'")
            try Self.expectError(try await Self.get(client, "/v1/proxy/cms/workflow/ghost/executions"), .notFound,
                                 code: "TRESTLE.404", describing: "workflow_id: workflow 'ghost' is not configured")
            try Self.expectError(try await Self.get(client, Self.path, token: nil), .unauthorized, code: "AOM.31009004",
                                 describing: "missing or unknown API token")
            try Self.expectError(try await Self.get(client, "/v1/proxy/cms/nothing"), .notFound, code: "TRESTLE.404",
                                 describing: "no route for GET /v1/proxy/cms/nothing")
            // Seed 000's task pages under /v1/projects keep seed 000's shape.
            let page = try await client.call(.get, "/v1/projects/detail/proxy/pipelines/multi/proxy-workflow-dev/9", token: nil)
            #expect(page.text == #"{"errorMsg":"auth failed!","resultCode":401}"#)
        }
    }
}
