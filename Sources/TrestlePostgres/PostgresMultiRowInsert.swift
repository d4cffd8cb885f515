import PostgresNIO

/// One `INSERT … VALUES (…), (…), …` for many rows: a round trip per batch instead of per row,
/// which is what keeps ingest's group commit and bulk creates fast over a network.
struct PostgresMultiRowInsert {
    /// PostgreSQL takes at most 65,535 parameters in one statement.
    static let maximumParameters = 65_535

    let table: String
    let columns: [String]
    /// Appended after the `VALUES` list, for example `ON CONFLICT … DO NOTHING RETURNING id`.
    var suffix = ""

    /// How many rows fit in one statement.
    var rowsPerStatement: Int { max(1, Self.maximumParameters / max(1, columns.count)) }

    /// The statement for `rows` rows; `bind` appends one row's values, `columns.count` of them.
    func query<Row>(_ rows: some Collection<Row>, bind: (Row, inout PostgresBindings) throws -> Void) rethrows -> PostgresQuery {
        var bindings = PostgresBindings(capacity: rows.count * columns.count)
        var sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES "
        var parameter = 0
        for (index, row) in rows.enumerated() {
            if index > 0 { sql += ", " }
            sql += "("
            for column in 0..<columns.count {
                parameter += 1
                sql += column == 0 ? "$\(parameter)" : ", $\(parameter)"
            }
            sql += ")"
            try bind(row, &bindings)
        }
        if !suffix.isEmpty { sql += " " + suffix }
        return PostgresQuery(unsafeSQL: sql, binds: bindings)
    }
}

extension Array {
    /// Consecutive slices of at most `size` elements.
    func chunks(of size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: Swift.max(1, size)).map { self[$0..<Swift.min($0 + size, count)] }
    }
}
