/// Rows as they are stored, table by table: what `trestle store copy` moves from one engine to
/// the other. Only the copy uses it; everything else goes through the roles that mean something.
public protocol RowCopyStore: Sendable {
    func rowCount(_ table: StoreTable) async throws -> Int

    /// At most `limit` rows in key order, each with `table.columns`' values, starting after the
    /// row whose key is `after` (nil: from the first).
    func rows(_ table: StoreTable, after: [StoreValue]?, limit: Int) async throws -> [[StoreValue]]

    /// Inserts the rows as they are, keys included, in one transaction.
    func insertRows(_ table: StoreTable, _ rows: [[StoreValue]]) async throws

    /// Numbers the engine gives itself (serial ids) carry on after the highest row copied.
    func finishCopy() async throws
}
