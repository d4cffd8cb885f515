import Foundation
import Testing
import TrestleCore
import TrestlePostgres
import TrestleStore

/// The schema PostgreSQL stores migrate to. Checks run as SQL that raises when the schema is not
/// as expected, through the store's admin `execute`.
@Suite("PostgreSQL: schema migrations")
struct PostgresSchemaTests {
    @Test("four processes opening an empty database at once apply each migration once")
    func concurrentOpensMigrateOnce() async throws {
        let database = try await PostgresTestDatabase.create()
        let stores = try await withThrowingTaskGroup(of: PostgresTaskStore.self) { group in
            for _ in 0..<4 {
                group.addTask { try await PostgresTaskStore(url: database.url, poolSize: 2) }
            }
            return try await group.reduce(into: [PostgresTaskStore]()) { $0.append($1) }
        }
        try await stores[0].execute("""
            DO $$ BEGIN
                IF (SELECT count(*) FROM trestle_migrations) <> (SELECT count(DISTINCT version) FROM trestle_migrations)
                   OR (SELECT min(version) FROM trestle_migrations) <> 1 OR (SELECT max(version) FROM trestle_migrations) < 2 THEN
                    RAISE EXCEPTION 'migrations applied: %', (SELECT string_agg(version::text, ',') FROM trestle_migrations);
                END IF;
            END $$
            """)
        for store in stores { try await store.close() }
        try await database.drop()
    }

    // Debian's PostgreSQL, which `make test` installs, is built with lz4.
    @Test("webhook delivery bodies are stored lz4-compressed")
    func deliveryBodiesUseLZ4() async throws {
        let database = try await PostgresTestDatabase.create()
        let store = try await PostgresTaskStore(url: database.url, poolSize: 2)
        let body = Data(String(repeating: "{\"commits\": [\"0123456789abcdef\"]}", count: 200).utf8)
        _ = try await store.recordDeliveries([NewDelivery(dedupeKey: "k", eventHeader: "Push Hook", repo: "repo",
                                                          receivedTime: 1, headers: [:], body: body)])
        try await store.execute("""
            DO $$ BEGIN
                IF (SELECT pg_column_compression(body) FROM webhook_deliveries WHERE dedupe_key = 'k') IS DISTINCT FROM 'lz4' THEN
                    RAISE EXCEPTION 'body compressed with %', (SELECT pg_column_compression(body) FROM webhook_deliveries);
                END IF;
            END $$
            """)
        #expect(try await store.delivery(id: 1)?.delivery.body == body)
        try await store.close()
        try await database.drop()
    }
}
