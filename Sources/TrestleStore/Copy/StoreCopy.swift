import TrestleCore

/// Copies a whole store into an empty one of either engine, table by table in key order, keys
/// included, then checks it: the same count in every table, and the same answers to status
/// queries for commits and tasks sampled along the way.
public enum StoreCopy {
    /// How many commit prefixes and tasks are asked of both stores afterwards.
    public static let sampleCount = 200

    public static func copy(from source: some TaskStore & RowCopyStore, to destination: some TaskStore & RowCopyStore,
                            pageSize: Int = 2_000,
                            progress: @Sendable (StoreTable, Int) -> Void = { _, _ in }) async throws -> StoreCopyReport {
        for table in StoreTables.all {
            let count = try await destination.rowCount(table)
            if count > 0 { throw StoreCopyError.destinationNotEmpty(table: table.name, rows: count) }
        }
        var report = StoreCopyReport()
        var samples = Samples()
        for table in StoreTables.all {
            let expected = try await source.rowCount(table)
            let stride = max(1, expected / sampleCount)
            var after: [StoreValue]?
            var copied = 0
            while true {
                let page = try await source.rows(table, after: after, limit: pageSize)
                guard let last = page.last else { break }
                try await destination.insertRows(table, page)
                for (offset, row) in page.enumerated() where (copied + offset) % stride == 0 {
                    samples.take(row, of: table)
                }
                copied += page.count
                after = Array(last.prefix(table.key.count))
                progress(table, copied)
            }
            report.tables.append(StoreCopyReport.Table(name: table.name, rows: copied))
        }
        try await destination.finishCopy()
        for table in StoreTables.all {
            let (from, to) = (try await source.rowCount(table), try await destination.rowCount(table))
            if from != to { throw StoreCopyError.countsDiffer(table: table.name, source: from, destination: to) }
        }
        report.checkedQueries = try await compare(samples, source, destination)
        return report
    }

    /// Asks both stores the status queries of the samples; answers how many agreed (all, or it throws).
    private static func compare(_ samples: Samples, _ source: some TaskRecordStore, _ destination: some TaskRecordStore) async throws -> Int {
        var checked = 0
        for prefix in samples.prefixes {
            let (from, to) = (try await source.tasks(commitPrefix: prefix, limit: 50),
                              try await destination.tasks(commitPrefix: prefix, limit: 50))
            if from != to { throw StoreCopyError.answersDiffer(query: "tasks of commit \(prefix)") }
            checked += 1
        }
        for (workflow, taskID) in samples.tasks {
            let (from, to) = (try await source.task(workflow: workflow, taskID: taskID),
                              try await destination.task(workflow: workflow, taskID: taskID))
            if from != to || from == nil { throw StoreCopyError.answersDiffer(query: "task \(taskID) of \(workflow)") }
            checked += 1
        }
        return checked
    }

    /// Commit prefixes and tasks picked evenly from the rows as they are copied.
    private struct Samples {
        var prefixes: [CommitPrefix] = []
        var tasks: [(String, Int64)] = []

        mutating func take(_ row: [StoreValue], of table: StoreTable) {
            switch table.name {
            case "task_commits":
                if case .text(let hex) = row.first, let prefix = try? CommitPrefix(parsing: String(hex.prefix(8))) {
                    prefixes.append(prefix)
                }
            case "tasks":
                if row.count > 2, case .text(let workflow) = row[1], case .integer(let taskID) = row[2] {
                    tasks.append((workflow, taskID))
                }
            default:
                break
            }
        }
    }
}

/// What a copy moved, table by table, and how many status queries both stores answered alike.
public struct StoreCopyReport: Sendable {
    public struct Table: Sendable, Equatable {
        public let name: String
        public let rows: Int
    }

    public var tables: [Table] = []
    public var checkedQueries = 0

    public func rows(_ table: String) -> Int? { tables.first { $0.name == table }?.rows }
}

public enum StoreCopyError: Error, Sendable, Equatable, CustomStringConvertible {
    case destinationNotEmpty(table: String, rows: Int)
    case countsDiffer(table: String, source: Int, destination: Int)
    case answersDiffer(query: String)

    public var description: String {
        switch self {
        case .destinationNotEmpty(let table, let rows):
            "the destination store is not empty (\(table) has \(rows) rows): copy only into a new, empty store, "
                + "for example a database just created with createdb, or a SQLite path that does not exist yet"
        case .countsDiffer(let table, let source, let destination):
            "after the copy, \(table) has \(source) rows in the source but \(destination) in the destination: "
                + "was a server still writing to the source? Stop every server and worker, empty the destination, and copy again"
        case .answersDiffer(let query):
            "after the copy, the two stores answer \(query) differently: do not switch over; "
                + "report this with both stores kept as they are"
        }
    }
}
