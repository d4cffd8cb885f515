import Foundation
import HummingbirdTesting
import Testing
import TrestleCore
import TrestleTestSupport

/// A representative set of server paths through the store, on each engine: the same server,
/// routes and executor over SQLite and over PostgreSQL (scripts/with-postgres.sh's cluster).
@Suite("Store engines: the server's paths through the store, on SQLite and PostgreSQL")
struct StoreEngineServerTests {
    @Test("a webhook push is committed, processed into a task, found by its 8-character id, and a replay creates nothing",
          arguments: TestEngine.allCases)
    func webhookIngestAndProcessing(engine: TestEngine) async throws {
        try await TestServer.run(engine: engine) { client in
            let response = try await WebhookReceiverTests.send(client, WebhookReceiverTests.sample("push-main"), key: "engine-1")
            #expect(response.status == .ok, "\(response.text)")
            let delivery = try await WebhookReceiverTests.processed(client, WebhookReceiverTests.deliveryID(response))
            #expect(delivery["state"] as? String == "created", "\(delivery)")
            let found = try await WebhookReceiverTests.tasks(client, commit: WebhookReceiverTests.mainHead)
            #expect(found.count == 1)
            let replay = try await WebhookReceiverTests.send(client, WebhookReceiverTests.sample("push-main"), key: "engine-1")
            #expect(try replay.object()["status"] as? String == "duplicate", "\(replay.text)")
            #expect(try await WebhookReceiverTests.tasks(client, commit: WebhookReceiverTests.mainHead).count == 1)
        }
    }

    @Test("a task created through the API runs its jobs to passed, is found by commit, and a cancelled one restarts as attempt 2",
          arguments: TestEngine.allCases)
    func createRunCancelRestart(engine: TestEngine) async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "sleep 30\n")
        try await TestServer.run(configFile: "executor.yaml", environment: control.environment, engine: engine) { client in
            let passed = try await ExecutorTests.create(client, target: "echo")
            let done = try await ExecutorTests.wait(client, task: passed)
            #expect(done["status"] as? String == "passed", "\(done)")
            let commit = try #require(((done["targets"] as? [[String: Any]])?.first?["build"] as? [String: Any])
                .flatMap { ($0["repos"] as? [[String: Any]])?.first?["commit_id"] as? String })
            let listed = try await client.call(.get, "/api/directory/workflowTask?commitId=\(commit.prefix(8))").array()
            #expect(listed.contains { $0["task_id"] as? Int == passed })

            let slow = try await ExecutorTests.create(client, target: "scripted")
            _ = try await ExecutorTests.wait(client, task: slow, for: ["running"])
            let cancelled = try await client.call(.post, "/api/directory/workflowTask/id/\(slow)/pipelines/runs/cancel")
            #expect(cancelled.status == .ok, "\(cancelled.text)")
            _ = try await ExecutorTests.wait(client, task: slow, for: ["cancelled"])
            try control.write("script.sh", "echo fixed\n")
            let restarted = try await client.call(.post, "/api/directory/workflowTask/id/\(slow)/pipelines/runs/restart")
            #expect(restarted.status == .ok, "\(restarted.text)")
            let again = try await ExecutorTests.wait(client, task: slow, for: ["passed", "failed"])
            #expect(again["status"] as? String == "passed", "\(again)")
            #expect(again["attempt"] as? Int == 2, "\(again)")
        }
    }
}
