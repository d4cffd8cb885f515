import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

/// The per-repo receiver URL authenticates from the headers alone; refusals never tell which
/// repos exist; a slow client cannot hold a request open.
@Suite("Webhook receiver: authenticate before the body, one 401 for every refusal, bounded slow bodies")
struct WebhookAuthBeforeBodyTests {
    static func post(_ path: String, token: String, contentLength: Int) -> String {
        "POST \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nX-Gitlab-Event: Push Hook\r\n"
            + "X-Gitlab-Token: \(token)\r\nContent-Length: \(contentLength)\r\n\r\n"
    }

    @Test func aWrongTokenOnTheRepoURLIsRefusedBeforeAnyBodyByteArrives() async throws {
        try await TestServer.run { client in
            let port = try #require(client.port)
            let connection = try RawHTTPConnection(port: port)
            // Headers promise 10,000 bytes that never come: the answer cannot wait for them.
            connection.send(Self.post("/api/webhook/gitlab/voting-app", token: "wrong", contentLength: 10_000))
            let started = ContinuousClock.now
            let answer = await connection.response(within: 5)
            #expect(answer.hasPrefix("HTTP/1.1 401"), "\(answer)")
            #expect(answer.contains("unknown project, or missing or wrong X-Gitlab-Token"))
            #expect(ContinuousClock.now - started < .seconds(3))
        }
    }

    @Test func anUnknownRepoAndAWrongTokenAnswerAlike() async throws {
        try await TestServer.run { client in
            let push = try WebhookReceiverTests.sample("push-main")
            var answers: [String] = []
            for (path, token) in [("/api/webhook/gitlab/no-such-repo", TestServer.hookToken), ("/api/webhook/gitlab/voting-app", "wrong"),
                                  ("/api/webhook/gitlab/dyliu", TestServer.hookToken)] {
                let response = try await client.execute(uri: path, method: .post, headers: [
                    .contentType: "application/json", HTTPField.Name("X-Gitlab-Event")!: "Push Hook",
                    HTTPField.Name("X-Gitlab-Token")!: token,
                ], body: ByteBuffer(string: push))
                #expect(response.status == .unauthorized)
                answers.append(response.text)
            }
            #expect(Set(answers).count == 1, "\(answers)")
        }
    }

    @Test func theRepoURLTakesItsOwnProjectsPushAndRefusesAnothers() async throws {
        try await TestServer.run { client in
            let push = try WebhookReceiverTests.sample("push-main")
            func send(_ body: String) async throws -> TestResponse {
                try await client.execute(uri: "/api/webhook/gitlab/voting-app", method: .post, headers: [
                    .contentType: "application/json", HTTPField.Name("X-Gitlab-Event")!: "Push Hook",
                    HTTPField.Name("X-Gitlab-Token")!: TestServer.hookToken,
                ], body: ByteBuffer(string: body))
            }
            let accepted = try await send(push)
            #expect(accepted.status == .ok, "\(accepted.text)")
            let delivery = try await WebhookReceiverTests.processed(client, WebhookReceiverTests.deliveryID(accepted))
            #expect(delivery["state"] as? String == "created", "\(delivery)")
            let other = try await send(push.replacingOccurrences(of: "demo/voting-app", with: "demo/other"))
            #expect(other.status == .badRequest)
            #expect(other.text.contains("is not repo 'voting-app''s gitlab_project"), "\(other.text)")
        }
    }

    @Test func aBodyDribbledSlowerThanTheBodyTimeoutIsCutOffWithA408() async throws {
        try await TestServer.run(configFile: "timeouts.yaml") { client in
            let port = try #require(client.port)
            let connection = try RawHTTPConnection(port: port)
            connection.send(Self.post("/api/webhook/gitlab", token: TestServer.hookToken, contentLength: 1_000))
            let dribble = Task.detached {
                for _ in 0..<20 {
                    connection.send("{")
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            let started = ContinuousClock.now
            let answer = await connection.response(within: 6)
            dribble.cancel()
            #expect(answer.hasPrefix("HTTP/1.1 408"), "\(answer)")
            #expect(answer.lowercased().contains("connection: close"))
            #expect(ContinuousClock.now - started < .seconds(4))
            // The server goes on serving.
            #expect(try await client.call(.get, "/healthz", token: nil).status == .ok)
        }
    }

    @Test func anIdleConnectionIsClosedByTheServer() async throws {
        try await TestServer.run(configFile: "timeouts.yaml") { client in
            let port = try #require(client.port)
            let connection = try RawHTTPConnection(port: port)
            let started = ContinuousClock.now
            let answer = await connection.response(within: 10)
            #expect(answer.isEmpty)
            #expect(ContinuousClock.now - started < .seconds(8), "closed by the server's idle timeout (3 s), not by the test's")
        }
    }
}
