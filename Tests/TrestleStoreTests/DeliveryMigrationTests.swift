import Foundation
import GRDB
import Testing
import TrestleCore
@testable import TrestleStore
@testable import TrestleSQLite

@Suite("Webhook inbox migrations")
struct DeliveryMigrationTests {
    @Test("v4 moves outcomes and the pending queue out of the delivery rows without losing a delivery")
    func v4KeepsEveryDelivery() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-migrate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("t.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try SQLiteMigrations.migrator.migrate(queue, upTo: "v3: webhook deliveries and the builds they made")
        try await queue.write { db in
            try db.execute(sql: """
                INSERT INTO webhook_deliveries (dedupe_key, event, repo, received_time, headers, body, state, outcome, processed_time)
                VALUES ('key:done', 'Push Hook', 'repo', 1, '{}', x'7b7d', 'ignored',
                        '{"decisions":[],"reason":"ignored: because","state":"ignored","tasks":[]}', 2),
                       ('key:waiting', 'Push Hook', 'repo', 3, '{}', x'7b7d', 'pending',
                        '{"decisions":[],"reason":"received","state":"pending","tasks":[]}', 0);
                """)
        }
        try queue.close()

        let store = try SQLiteTaskStore(path: path)
        #expect(try await store.pendingDeliveries(limit: 10, dueAt: .max).map(\.id) == [2])
        let listed = try await store.deliveries(limit: 10)
        #expect(listed.map(\.outcome.state) == [.pending, .ignored])
        #expect(listed.last?.outcome.reason == "ignored: because")
        #expect(listed.last?.processedTime == 2)
        let repeatReceipt = try await store.recordDeliveries([NewDelivery(dedupeKey: "key:done", eventHeader: "Push Hook",
                                                                          repo: "repo", receivedTime: 5, headers: [:], body: Data())])
        #expect(repeatReceipt.first?.duplicateOf?.state == .ignored)
        try await store.close()
    }
}
