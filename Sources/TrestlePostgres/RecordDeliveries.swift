import Foundation
import NIOCore
import PostgresNIO
import TrestleCore
import TrestleStore

/// A group-commit batch of webhook deliveries as one prepared statement over arrays (its text
/// is the same for every batch size, so each connection plans it once): the deliveries go in by
/// key order with `ON CONFLICT (dedupe_key) DO NOTHING` (two processes inserting the same keys
/// take turns instead of deadlocking), are queued as pending, and each new one is answered with
/// its id. A key stored before comes back with nothing; the caller looks those up.
///
/// Why no lookup of stored keys here: the plan is made once per connection (sessions force
/// generic plans), and one made while the table was empty (a fresh database) reads it with
/// sequential scans, kept for every batch until an autoanalyze has the statement planned again
/// (`EXPLAIN EXECUTE` showed it for the earlier form, which looked stored keys up in the same
/// statement). The conflict check probes the key's unique index whatever the plan. The price:
/// a repeat consumes a sequence value, so delivery ids on PostgreSQL may have gaps.
struct RecordDeliveries: PostgresPreparedStatement {
    typealias Row = (key: String, id: Int64)

    static let sql = """
        WITH inserted AS (
            INSERT INTO webhook_deliveries (dedupe_key, event, repo, received_time, headers, body)
            SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int8[], $5::text[], $6::bytea[])
                AS i (dedupe_key, event, repo, received_time, headers, body)
            ORDER BY dedupe_key
            ON CONFLICT (dedupe_key) DO NOTHING
            RETURNING id, dedupe_key),
        queued AS (INSERT INTO webhook_pending (delivery_id) SELECT id FROM inserted)
        SELECT dedupe_key, id FROM inserted
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
        bindings.append(deliveries.map { StoreJSON.object($0.headers) })
        bindings.append(deliveries.map { ByteBuffer(bytes: $0.body) })
        return bindings
    }

    func decodeRow(_ row: PostgresRow) throws -> Row {
        let (key, id) = try row.decode((String, Int64).self)
        return (key, id)
    }
}
