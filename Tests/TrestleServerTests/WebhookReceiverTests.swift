import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TrestleTestSupport
import TrestleCore
import TrestleServer
import TrestleSQLite
import TrestleStore

@Suite("GitLab webhook receiver over a live server")
struct WebhookReceiverTests {
    static let path = "/api/webhook/gitlab"
    static let mainHead = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"

    /// A delivery from samples/webhooks, with GitLab's headers.
    static func sample(_ name: String) throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("samples/webhooks/\(name).json"), encoding: .utf8)
    }

    @discardableResult
    static func send(_ client: any TestClientProtocol, _ body: String, event: String = "Push Hook",
                     token: String? = TestServer.hookToken, key: String? = UUID().uuidString) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json", HTTPField.Name("X-Gitlab-Event")!: event]
        if let token { headers[HTTPField.Name("X-Gitlab-Token")!] = token }
        if let key { headers[HTTPField.Name("Idempotency-Key")!] = key }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    /// Polls the deliveries list (admin) until delivery `id` is processed, or fails at the deadline.
    static func processed(_ client: any TestClientProtocol, _ id: Int) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let response = try await client.call(.get, "/api/webhook/deliveries/\(id)", token: TestServer.opsToken)
            let delivery = try response.object()
            if delivery["state"] as? String != "pending" { return delivery }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("delivery \(id) was not processed within 20 s")
        return [:]
    }

    static func deliveryID(_ response: TestResponse) throws -> Int {
        try #require(try response.object()["delivery_id"] as? Int)
    }

    static func tasks(_ client: any TestClientProtocol, commit: String) async throws -> [[String: Any]] {
        try await client.call(.get, "/api/directory/workflowTask?commitId=\(commit.prefix(8))").array()
    }

    @Test("a push is stored before its 2xx, then becomes a task for the matching target, found by its 8-character id")
    func pushCreatesTask() async throws {
        try await TestServer.run { client in
            let response = try await Self.send(client, Self.sample("push-main"))
            #expect(response.status == .ok)
            #expect(try response.object()["status"] as? String == "accepted")
            let delivery = try await Self.processed(client, Self.deliveryID(response))
            #expect(delivery["state"] as? String == "created", "\(delivery)")
            let found = try await Self.tasks(client, commit: Self.mainHead)
            #expect(found.count == 1)
            let detail = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/voting-workflow-dev").object()
            let targets = try #require(detail["targets"] as? [[String: Any]])
            #expect(targets.map { $0["name"] as? String } == ["vote"])
            let repo = try #require(((targets[0]["build"] as? [String: Any])?["repos"] as? [[String: Any]])?.first)
            #expect(repo["repo_name"] as? String == "voting-app")
            #expect(repo["branch"] as? String == "main")
            #expect(repo["pr"] as? Int == 0)
            #expect(repo["commit_id"] as? String == Self.mainHead)
        }
    }

    @Test("a replay with the same Idempotency-Key answers the original outcome and creates nothing")
    func sameKeyIsDuplicate() async throws {
        try await TestServer.run { client in
            let first = try await Self.send(client, Self.sample("push-main"), key: "key-1")
            let id = try Self.deliveryID(first)
            _ = try await Self.processed(client, id)
            let replay = try await Self.send(client, Self.sample("push-main"), key: "key-1")
            #expect(replay.status == .ok)
            let body = try replay.object()
            #expect(body["status"] as? String == "duplicate")
            #expect(body["delivery_id"] as? Int == id)
            #expect((body["outcome"] as? [String: Any])?["state"] as? String == "created")
            #expect(try await Self.tasks(client, commit: Self.mainHead).count == 1)
        }
    }

    @Test("the same push delivered twice under different keys makes one task; the second says it is a duplicate build")
    func coalescedDuplicate() async throws {
        try await TestServer.run { client in
            _ = try await Self.processed(client, Self.deliveryID(try await Self.send(client, Self.sample("push-main"))))
            let second = try await Self.processed(client, Self.deliveryID(try await Self.send(client, Self.sample("push-main"))))
            #expect(second["state"] as? String == "ignored")
            #expect((second["reason"] as? String)?.contains("same build as delivery 1") == true, "\(second)")
            #expect(try await Self.tasks(client, commit: Self.mainHead).count == 1)
        }
    }

    @Test("ignored deliveries answer 2xx and say why in the deliveries list", arguments: [
        ("push-docs-only", "Push Hook", "no changed path matches the rule's paths (vote/**)"),
        ("push-skip-ci", "Push Hook", "contains '[skip ci]'"),
        ("push-branch-deleted", "Push Hook", "was deleted: nothing to build"),
        ("merge-request-update-metadata", "Merge Request Hook", "without new commits"),
        ("merge-request-draft", "Merge Request Hook", "is a draft"),
    ])
    func ignored(sample: String, event: String, reason: String) async throws {
        try await TestServer.run { client in
            let response = try await Self.send(client, Self.sample(sample), event: event)
            #expect(response.status == .ok)
            let delivery = try await Self.processed(client, Self.deliveryID(response))
            #expect(delivery["state"] as? String == "ignored")
            #expect((delivery["reason"] as? String)?.contains(reason) == true, "\(delivery)")
            let decisions = try #require(delivery["decisions"] as? [[String: Any]])
            #expect(decisions.count == 2)
            let list = try await client.call(.get, "/api/webhook/deliveries", token: TestServer.opsToken).array()
            #expect(list.first?["reason"] as? String == delivery["reason"] as? String)
        }
    }

    @Test("refusals: token, project, JSON, fields and size each answer their status with a JSON reason; nothing is stored")
    func refusals() async throws {
        try await TestServer.run { client in
            let push = try Self.sample("push-main")
            let cases: [(TestResponse, HTTPResponse.Status, String)] = [
                (try await Self.send(client, push, token: nil), .unauthorized, "missing or wrong X-Gitlab-Token"),
                (try await Self.send(client, push, token: "wrong"), .unauthorized, "missing or wrong X-Gitlab-Token"),
                (try await Self.send(client, push.replacingOccurrences(of: "demo/voting-app", with: "demo/other")), .unauthorized,
                 "unknown project, or missing or wrong X-Gitlab-Token"),
                (try await Self.send(client, "{not json"), .badRequest, "not a JSON object"),
                (try await Self.send(client, #"{"object_kind":"push","project":{"path_with_namespace":"demo/voting-app"}}"#),
                 .badRequest, "the push payload lacks ref, after"),
                (try await Self.send(client, #"{"object_kind":"push"}"#), .badRequest, "project.path_with_namespace is missing"),
            ]
            for (response, status, reason) in cases {
                #expect(response.status == status, "\(reason)")
                let body = try response.object()
                #expect(body["status"] as? String == "rejected")
                #expect((body["reason"] as? String)?.contains(reason) == true, "\(body)")
                #expect(!response.text.contains(TestServer.hookToken))
            }
            let oversize = try await Self.send(client, String(repeating: " ", count: 17000) + push)
            #expect(oversize.status == .contentTooLarge)
            let list = try await client.call(.get, "/api/webhook/deliveries", token: TestServer.opsToken).array()
            #expect(list.isEmpty)
        }
    }

    @Test("an event Trestle does not act on answers 2xx with the reason 'ignored'")
    func unsupportedEvent() async throws {
        try await TestServer.run { client in
            let response = try await Self.send(client, #"{"object_kind":"pipeline","project":{"path_with_namespace":"demo/voting-app"}}"#,
                                               event: "Pipeline Hook")
            #expect(response.status == .ok)
            let body = try response.object()
            #expect(body["status"] as? String == "ignored")
            #expect((body["reason"] as? String)?.contains("'Pipeline Hook'") == true)
        }
    }

    @Test("the deliveries list needs the admin scope")
    func deliveriesNeedAdmin() async throws {
        try await TestServer.run { (client: any TestClientProtocol) async throws in
            #expect(try await client.call(.get, "/api/webhook/deliveries", token: TestServer.readToken).status == .forbidden)
            #expect(try await client.call(.get, "/api/webhook/deliveries", token: nil).status == .unauthorized)
            #expect(try await client.call(.get, "/api/webhook/deliveries", token: TestServer.opsToken).status == .ok)
            #expect(try await client.call(.get, "/api/webhook/deliveries/999", token: TestServer.opsToken).status == .notFound)
        }
    }

    @Test("a merge request opened against main builds its head with pr = iid, its paths diffed in the fetched mirror")
    func mergeRequestBuilds() async throws {
        let remote = try TestRemotes.shared.get().votingApp
        let head = try remote.revParse("refs/merge-requests/7/head")
        let body = try Self.sample("merge-request-open")
            .replacingOccurrences(of: "5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4f", with: head)
            .replacingOccurrences(of: "\"iid\": 12", with: "\"iid\": 7")
            .replacingOccurrences(of: "feature/tally", with: "feature")
        try await TestServer.run { client in
            let delivery = try await Self.processed(client, Self.deliveryID(try await Self.send(client, body, event: "Merge Request Hook")))
            #expect(delivery["state"] as? String == "created", "\(delivery)")
            let detail = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/voting-workflow-dev").object()
            let targets = try #require(detail["targets"] as? [[String: Any]])
            let repo = try #require(((targets[0]["build"] as? [String: Any])?["repos"] as? [[String: Any]])?.first)
            #expect(repo["pr"] as? Int == 7)
            #expect(repo["branch"] as? String == "feature")
            #expect(repo["commit_id"] as? String == head)
        }
    }

    @Test("a delivery committed by a process that died before processing it is processed when the server starts")
    func pendingDeliveriesSurviveRestart() async throws {
        let body = try Self.sample("push-main")
        try await TestServer.run(prepare: { dataDir in
            let store = try SQLiteTaskStore(path: dataDir.appendingPathComponent("trestle.sqlite").path)
            let receipt = try await DeliveryInbox(store: store).record(NewDelivery(
                dedupeKey: "key:left-behind", eventHeader: "Push Hook", repo: "voting-app", receivedTime: 1,
                headers: [:], body: Data(body.utf8)))
            #expect(receipt.id == 1)
            try await store.close()
        }) { client in
            let delivery = try await Self.processed(client, 1)
            #expect(delivery["state"] as? String == "created")
            #expect(try await Self.tasks(client, commit: Self.mainHead).count == 1)
        }
    }
}

@Suite("Webhook payloads that are broken on purpose")
struct WebhookMutationTests {
    /// Truncations, wrong types and random byte flips of a push that touches no built path, so no
    /// variant may legitimately create a task.
    static func variants() throws -> [String] {
        let original = try WebhookReceiverTests.sample("push-docs-only")
        let bytes = Array(original.utf8)
        var variants: [String] = []
        for cut in stride(from: 0, to: bytes.count, by: 97) {
            variants.append(String(decoding: bytes[..<cut], as: UTF8.self))
        }
        for (field, wrong) in [("\"ref\": \"refs/heads/main\"", "\"ref\": 12"), ("\"after\": \"", "\"after\": [\""),
                               ("\"commits\": [", "\"commits\": {\"x\": ["), ("\"total_commits_count\": 1", "\"total_commits_count\": \"one\""),
                               ("\"project\": {", "\"project\": [{"), ("\"path_with_namespace\": \"demo/voting-app\"", "\"path_with_namespace\": null")] {
            variants.append(original.replacingOccurrences(of: field, with: wrong))
        }
        var generator = SplitMix(state: 2026)
        for _ in 0..<150 {
            var mutated = bytes
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            }
            variants.append(String(decoding: mutated, as: UTF8.self))
        }
        return variants
    }

    @Test("truncated, wrong-typed and randomly mutated payloads never crash the server and never create a task")
    func mutatedPayloads() async throws {
        let variants = try Self.variants()
        try await TestServer.run { client in
            for (index, body) in variants.enumerated() {
                let response = try await WebhookReceiverTests.send(client, body, key: "mutation-\(index)")
                #expect([.ok, .badRequest, .notFound, .unauthorized].contains(response.status), "variant \(index): \(response.status)")
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true, "variant \(index)")
            }
            #expect(try await client.call(.get, "/healthz", token: nil).status == .ok)
            let deadline = ContinuousClock.now + .seconds(30)
            var deliveries: [[String: Any]] = []
            repeat {
                deliveries = try await client.call(.get, "/api/webhook/deliveries?limit=100", token: TestServer.opsToken).array()
                if !deliveries.contains(where: { $0["state"] as? String == "pending" }) { break }
                try await Task.sleep(for: .milliseconds(50))
            } while ContinuousClock.now < deadline
            #expect(!deliveries.isEmpty)
            #expect(!deliveries.contains { $0["state"] as? String == "created" })
            #expect(!deliveries.contains { $0["state"] as? String == "pending" })
            #expect(try await client.call(.get, "/api/directory/workflowTask?commitId=2b3c4d5e").array().isEmpty)
        }
    }
}
