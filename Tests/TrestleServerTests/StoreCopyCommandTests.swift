import Foundation
import Testing
import TrestleTestSupport

/// `trestle store copy`, the real binary, moving a served SQLite install onto PostgreSQL.
@Suite("trestle store copy: moving an install from SQLite to PostgreSQL")
struct StoreCopyCommandTests {
    @Test("a copied install answers on PostgreSQL as it did on SQLite; a second copy into the same database is refused")
    func aServedStoreMovesToPostgres() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-copy-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        try await TestServer.run(keeping: dataDir) { client, _ in
            let response = try await WebhookReceiverTests.send(client, WebhookReceiverTests.sample("push-main"), key: "copy-1")
            let delivery = try await WebhookReceiverTests.processed(client, WebhookReceiverTests.deliveryID(response))
            #expect(delivery["state"] as? String == "created", "\(delivery)")
        }
        let database = try await TestPostgresDatabase.create()
        defer { Task { try? await database.drop() } }
        let from = dataDir.appendingPathComponent("from.yaml")
        let to = dataDir.appendingPathComponent("to.yaml")
        try """
            server: { listen: "127.0.0.1:0" }
            storage: { sqlite: "\(dataDir.path)/trestle.sqlite" }
            auth: { tokens: [] }
            """.write(to: from, atomically: true, encoding: .utf8)
        try """
            server: { listen: "127.0.0.1:0" }
            storage: { postgres: { url: "${COPY_DATABASE_URL}", pool_size: 2 } }
            auth: { tokens: [] }
            """.write(to: to, atomically: true, encoding: .utf8)
        let command = [try ClientCommandTests.binary(), "store", "copy", "--from", from.path, "--to", to.path]
        let copied = try await FixtureCommand.outcome(command, environment: ["COPY_DATABASE_URL": database.url])
        #expect(copied.status == 0, "\(copied)")
        #expect(copied.output.contains("tasks\t1\n"), "\(copied.output)")
        #expect(copied.output.contains("counts match in all 19 tables"), "\(copied.output)")

        let again = try await FixtureCommand.outcome(command, environment: ["COPY_DATABASE_URL": database.url])
        #expect(again.status == 2, "\(again)")
        #expect(again.error.contains("the destination store is not empty (workflow_sequences has 1 rows)"), "\(again.error)")

        try await TestServer.run(engine: .postgres, on: database) { client, _ in
            let found = try await WebhookReceiverTests.tasks(client, commit: WebhookReceiverTests.mainHead)
            #expect(found.count == 1, "\(found)")
            let replay = try await WebhookReceiverTests.send(client, WebhookReceiverTests.sample("push-main"), key: "copy-1")
            #expect(try replay.object()["status"] as? String == "duplicate", "the copied delivery still dedupes: \(replay.text)")
        }
    }
}
