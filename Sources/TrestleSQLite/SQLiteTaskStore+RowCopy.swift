import Foundation
import GRDB
import TrestleStore

/// Rows as stored, for `trestle store copy`. Table and column names come from `StoreTables`,
/// never from input.
extension SQLiteTaskStore {
    public func rowCount(_ table: StoreTable) async throws -> Int {
        try await read("count the rows of \(table.name)") { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0
        }
    }

    public func rows(_ table: StoreTable, after: [StoreValue]?, limit: Int) async throws -> [[StoreValue]] {
        let columns = table.columns.joined(separator: ", ")
        let key = table.key.joined(separator: ", ")
        let (filter, arguments): (String, StatementArguments) = if let after {
            ("WHERE (\(key)) > (\(Array(repeating: "?", count: after.count).joined(separator: ", ")))",
             StatementArguments(after.map(Self.databaseValue)))
        } else {
            ("", StatementArguments())
        }
        return try await read("read the rows of \(table.name)") { db in
            try Row.fetchAll(db, sql: "SELECT \(columns) FROM \(table.name) \(filter) ORDER BY \(key) LIMIT \(limit)",
                             arguments: arguments).map { row in
                (0..<row.count).map { Self.storeValue(row[$0] as DatabaseValue) }
            }
        }
    }

    public func insertRows(_ table: StoreTable, _ rows: [[StoreValue]]) async throws {
        let sql = "INSERT INTO \(table.name) (\(table.columns.joined(separator: ", "))) VALUES "
            + "(\(Array(repeating: "?", count: table.columns.count).joined(separator: ", ")))"
        try await write("copy \(rows.count) rows into \(table.name)") { db in
            let statement = try db.cachedStatement(sql: sql)
            for row in rows {
                try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue)))
            }
        }
    }

    /// `AUTOINCREMENT` already carries on after the highest id inserted.
    public func finishCopy() async throws {}

    private static func databaseValue(_ value: StoreValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .integer(let number): number.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let bytes): Data(bytes).databaseValue
        }
    }

    private static func storeValue(_ value: DatabaseValue) -> StoreValue {
        switch value.storage {
        case .null: .null
        case .int64(let number): .integer(number)
        // No column holds a real; one would be a row written by hand, kept as text rather than lost.
        case .double(let number): .text(String(number))
        case .string(let text): .text(text)
        case .blob(let data): .blob([UInt8](data))
        }
    }
}
