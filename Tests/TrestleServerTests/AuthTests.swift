import HTTPTypes
import HummingbirdTesting
import Testing
import TrestleServer

@Suite("Authentication on every route")
struct AuthTests {
    static let routes: [(HTTPRequest.Method, String)] = [
        (.get, "/api/directory/workflowTask?commitId=1a2b3c4d"),
        (.post, "/api/directory/workflowTask/create"),
        (.post, "/api/directory/workflowTask/id/1/pipelines/voting-workflow-dev/restart"),
        (.post, "/api/directory/workflowTask/id/1/pipelines/voting-workflow-dev/cancel"),
        (.get, "/api/directory/workflowTask/id/1/pipelines/voting-workflow-dev"),
        (.get, "/v1/projects/detail/voting/pipelines/multi/voting-workflow-dev/1"),
    ]
    static let authFailed = #"{"errorMsg":"auth failed!","resultCode":401}"#

    @Test("no token, a wrong token and a malformed header answer the seed's 401 on every route")
    func missingOrWrongToken() async throws {
        try await TestServer.run { client in
            for (method, path) in Self.routes {
                let none = try await client.call(method, path, token: nil)
                #expect(none.status == .unauthorized, "\(method) \(path)")
                #expect(none.text == Self.authFailed)
                let wrong = try await client.call(method, path, token: "not-a-token")
                #expect(wrong.status == .unauthorized, "\(method) \(path)")
                #expect(wrong.text == Self.authFailed)
                let basic = try await client.call(method, path, token: nil,
                                                  headers: [.authorization: "Basic \(TestServer.triggerToken)"])
                #expect(basic.status == .unauthorized)
                #expect(basic.text == Self.authFailed)
            }
        }
    }

    @Test("a read-only token reads but cannot create, restart or cancel")
    func readScope() async throws {
        try await TestServer.run { client in
            for (method, path) in Self.routes {
                let response = try await client.call(method, path, token: TestServer.readToken)
                if method == .get {
                    #expect(response.status != .unauthorized && response.status != .forbidden, "\(path)")
                } else {
                    #expect(response.status == .forbidden, "\(path)")
                    #expect(response.text == #"{"errorMsg":"permission denied!","resultCode":403}"#)
                }
            }
        }
    }

    @Test("X-Auth-Token works like a bearer token, and a token configured by SHA-256 is accepted")
    func alternativeHeaderAndHashedToken() async throws {
        try await TestServer.run { client in
            let viaHeader = try await client.call(.get, "/api/directory/workflowTask?commitId=1a2b3c4d", token: nil,
                                                  headers: [HTTPField.Name("X-Auth-Token")!: TestServer.readToken])
            #expect(viaHeader.status == .ok)
            let lowercaseScheme = try await client.call(.get, "/api/directory/workflowTask?commitId=1a2b3c4d", token: nil,
                                                        headers: [.authorization: "bearer \(TestServer.readToken)"])
            #expect(lowercaseScheme.status == .ok)
            let emptyBearer = try await client.call(.get, "/api/directory/workflowTask?commitId=1a2b3c4d", token: nil,
                                                    headers: [.authorization: "Bearer "])
            #expect(emptyBearer.status == .unauthorized)
            let hashed = try await client.call(.post, "/api/directory/workflowTask/create", token: TestServer.opsToken,
                                               json: TestServer.fixture("create-vote.json"))
            #expect(hashed.status == .ok)
        }
    }
}
