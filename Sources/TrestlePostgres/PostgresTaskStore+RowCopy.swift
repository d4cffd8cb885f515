import NIOCore
import PostgresNIO
import TrestleStore

/// Rows as stored, for `trestle store copy`. Table and column names come from `StoreTables`,
/// never from input.
extension PostgresTaskStore: RowCopyStore {
    public func rowCount(_ table: StoreTable) async throws -> Int {
        let logger = logger
        return try await read("count the rows of \(table.name)") { connection in
            try await PostgresTaskRows.one(connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"),
                                                            logger: logger), Int.self, "count the rows of \(table.name)")
        }
    }

    public func rows(_ table: StoreTable, after: [StoreValue]?, limit: Int) async throws -> [[StoreValue]] {
        let logger = logger
        let key = table.key.joined(separator: ", ")
        var bindings = PostgresBindings()
        var filter = ""
        if let after {
            filter = "WHERE (\(key)) > (\((1...after.count).map { "$\($0)" }.joined(separator: ", ")))"
            for value in after { Self.bind(value, &bindings) }
        }
        let query = PostgresQuery(unsafeSQL: """
            SELECT \(table.columns.joined(separator: ", ")) FROM \(table.name) \(filter) ORDER BY \(key) LIMIT \(limit)
            """, binds: bindings)
        return try await read("read the rows of \(table.name)") { connection in
            var rows: [[StoreValue]] = []
            for try await row in try await connection.query(query, logger: logger) {
                rows.append(try row.map(Self.storeValue))
            }
            return rows
        }
    }

    public func insertRows(_ table: StoreTable, _ rows: [[StoreValue]]) async throws {
        let logger = logger
        let insert = PostgresMultiRowInsert(table: table.name, columns: table.columns)
        let tasks = table.name == "tasks"
        try await transaction("copy \(rows.count) rows into \(table.name)", changesTasks: { _ in tasks }) { connection in
            var start = rows.startIndex
            while start < rows.endIndex {
                let end = min(start + insert.rowsPerStatement, rows.endIndex)
                try await connection.query(insert.query(rows[start..<end]) { row, bindings in
                    for value in row { Self.bind(value, &bindings) }
                }, logger: logger)
                start = end
            }
        }
    }

    /// Serial columns carry on after the highest id copied.
    public func finishCopy() async throws {
        let logger = logger
        try await transaction("carry serial ids on after a copy") { connection in
            for table in StoreTables.all {
                guard let serial = table.serial else { continue }
                try await connection.query(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table.name)', '\(serial)'),
                                  coalesce((SELECT max(\(serial)) FROM \(table.name)), 0) + 1, false)
                    """), logger: logger)
            }
        }
    }

    private static func bind(_ value: StoreValue, _ bindings: inout PostgresBindings) {
        switch value {
        case .null: bindings.appendNull()
        case .integer(let number): bindings.append(number)
        case .text(let text): bindings.append(text)
        case .blob(let bytes): bindings.append(ByteBuffer(bytes: bytes))
        }
    }

    private static func storeValue(_ cell: PostgresCell) throws -> StoreValue {
        guard cell.bytes != nil else { return .null }
        switch cell.dataType {
        case .int2, .int4, .int8: return .integer(try cell.decode(Int64.self))
        case .bytea: return .blob([UInt8](buffer: try cell.decode(ByteBuffer.self)))
        default: return .text(try cell.decode(String.self))
        }
    }
}
