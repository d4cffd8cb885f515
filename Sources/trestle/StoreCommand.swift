import ArgumentParser
import Foundation
import Logging
import TrestleCore
import TrestleRunner
import TrestleServer
import TrestleStore

/// `trestle store copy`: moves an install between engines (SQLite to PostgreSQL, or back).
struct StoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Work on a store as a whole.",
        subcommands: [Copy.self]
    )

    struct Copy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Copy every task, delivery, outbox row and flow from one store into an empty one, then check both agree.",
            discussion: """
                Stop every server and worker of the source first. The destination must be empty: a new SQLite path, or a new \
                PostgreSQL database (it is migrated here). Example:
                  DATABASE_URL=postgres://trestle@db/trestle trestle store copy --from trestle.yaml --to trestle-postgres.yaml
                """
        )

        @Option(help: "Config whose storage is copied from.") var from: String
        @Option(help: "Config whose storage is copied into; it must be empty.") var to: String
        @Option(help: "Rows read and written at a time (100-20000).") var pageSize: Int = 2_000

        func validate() throws {
            guard (100...20_000).contains(pageSize) else { throw ValidationError("--page-size must be from 100 to 20000") }
        }

        func run() async throws {
            let (source, destination) = (try ConfigFile.loadForCommand(from), try ConfigFile.loadForCommand(to))
            guard Self.place(source.storage) != Self.place(destination.storage) else {
                throw Self.fail("--from and --to name the same store (\(Self.place(source.storage))): name two different stores")
            }
            // A SQLite store's executor lock says whether a server is running tasks on it.
            let locks = try [source, destination].compactMap { config -> ExecutorLock? in
                guard config.storage.postgres == nil, FileManager.default.fileExists(atPath: config.storage.sqlitePath) else { return nil }
                do {
                    return try ExecutorLock.acquire(storePath: config.storage.sqlitePath, holder: "trestle store copy, pid \(getpid())")
                } catch {
                    throw Self.fail("\(error)")
                }
            }
            var logger = Logger(label: "trestle")
            logger.logLevel = .warning
            let from = try await StoreOpening.open(source.storage, logger: logger)
            let into = try await StoreOpening.open(destination.storage, logger: logger)
            let report: StoreCopyReport
            do {
                report = try await StoreCopy.copy(from: from, to: into, pageSize: pageSize) { table, rows in
                    if rows % 100_000 < pageSize { FileHandle.standardError.write(Data("  \(table.name): \(rows) rows\n".utf8)) }
                }
            } catch let error as StoreCopyError {
                try? await from.close()
                try? await into.close()
                throw Self.fail("\(error)")
            }
            try await from.close()
            try await into.close()
            withExtendedLifetime(locks) {}
            for table in report.tables { print("\(table.name)\t\(table.rows)") }
            print("copied \(report.tables.reduce(0) { $0 + $1.rows }) rows from \(Self.place(source.storage)) to \(Self.place(destination.storage));"
                + " counts match in all \(report.tables.count) tables; \(report.checkedQueries) sampled status queries answer alike")
        }

        /// Where a store is, without a password.
        static func place(_ storage: StorageConfig) -> String {
            if let postgres = storage.postgres { return "PostgreSQL \(URLRedaction.redact(postgres.url.value))" }
            return "SQLite \(storage.sqlitePath)"
        }

        static func fail(_ message: String) -> ExitCode {
            FileHandle.standardError.write(Data("trestle store copy: \(message)\n".utf8))
            return ExitCode(2)
        }
    }
}
