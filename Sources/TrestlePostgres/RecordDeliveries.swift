import Foundation
import NIOCore
import PostgresNIO
import TrestleCore
import TrestleStore

/// A group-commit batch of webhook deliveries as one prepared statement over arrays (its text
/// is the same for every batch size, so each connection plans it once): repeats of stored
/// deliveries are found first and consume no id; the rest go in by key order with `ON CONFLICT`
/// (two processes inserting the same keys take turns instead of deadlocking) and are queued as
/// pending; every key is answered with its id, whether it is new, and a repeat's outcome. A key
/// another process stored after this statement's snapshot comes back without an id.
struct RecordDeliveries: PostgresPreparedStatement {
    typealias Row = (key: String, id: Int64?, new: Bool, outcome: String?)

    static let sql = """
        WITH incoming AS (
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[], $6::bytea[])
                AS i (dedupe_key, event, repo, received_time, headers, body)),
        inserted AS (
            INSERT INTO webhook_deliveries (dedupe_key, event, repo, received_time, headers, body)
            SELECT i.* FROM incoming i
            WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.dedupe_key = i.dedupe_key)
            ORDER BY i.dedupe_key
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id, dedupe_key),
        queued AS (INSERT INTO webhook_pending (delivery_id) SELECT id FROM inserted)
        SELECT i.dedupe_key, coalesce(n.id, d.id), n.id IS NOT NULL, o.outcome
        FROM incoming i LEFT JOIN inserted n ON n.dedupe_key = i.dedupe_key
        LEFT JOIN webhook_deliveries d ON d.dedupe_key = i.dedupe_key
        LEFT JOIN webhook_outcomes o ON o.delivery_id = d.id
        """
    static let bindingDataTypes: [PostgresDataType] = [.textArray, .textArray, .textArray, .int8Array, .textArray, .byteaArray]

    /// Distinct keys only: a key twice in one batch is answered by the caller.
    let deliveries: [NewDelivery]

    func makeBindings() throws -> PostgresBindings {
        var bindings = PostgresBindings(capacity: 6)
        bindings.append(deliveries.map(\.dedupeKey))
        bindings.append(deliveries.map(\.eventHeader))
        bindings.append(deliveries.map(\.repo))
        bindings.append(deliveries.map(\.receivedTime))
        bindings.append(try deliveries.map { try StoreJSON.text($0.headers) })
        bindings.append(deliveries.map { ByteBuffer(bytes: $0.body) })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (key, id, new, outcome) = try row.decode((String, Int64?, Bool, String?).self)
        return (key, id, new, outcome)
    }
}
