import Logging
import TrestleCore
import TrestleRunner
import TrestlePostgres
import TrestleSQLite
import TrestleStore

/// The one place an engine is chosen: `storage.postgres` opens PostgreSQL (migrating it), else
/// the SQLite file.
public enum StoreOpening {
    public static func open(_ storage: StorageConfig, logger: Logger) async throws -> any TaskStore {
        if let postgres = storage.postgres {
            let store = try await PostgresTaskStore(url: postgres.url.value, poolSize: postgres.poolSize, logger: logger)
            logger.info("store open", metadata: ["postgres": "pool of \(postgres.poolSize)"])
            return store
        }
        let store = try SQLiteTaskStore(path: storage.sqlitePath, synchronous: storage.synchronous)
        logger.info("store open", metadata: ["sqlite": "\(storage.sqlitePath)", "synchronous": "\(storage.synchronous.rawValue)"])
        return store
    }

    /// Applies the PostgreSQL migrations without serving; SQLite migrates itself on open.
    public static func migrate(_ storage: StorageConfig, logger: Logger) async throws -> String {
        guard storage.postgres != nil else {
            let store = try await open(storage, logger: logger)
            try await store.close()
            return "SQLite store at \(storage.sqlitePath) is up to date"
        }
        let store = try await open(storage, logger: logger)
        try await store.close()
        return "PostgreSQL store is up to date"
    }

    /// Tells `observer` of task changes committed by any process, where the engine hears of them
    /// (PostgreSQL's notifications); a SQLite store has one executor, told directly.
    static func observeTaskChanges(_ store: any TaskStore, _ observer: @escaping @Sendable () -> Void) {
        (store as? PostgresTaskStore)?.observeTaskChanges(observer)
    }

    /// Where a process's executor ships its jobs' logs: the store, when processes share it.
    static func sharedLogStore(_ store: any TaskStore) -> (any JobLogStore)? {
        store as? PostgresTaskStore
    }

    /// Where the logs route reads: the shared store's chunks, or this node's own files.
    static func jobLogSource(_ store: any TaskStore, dataDir: String) -> JobLogSource {
        if let shared = sharedLogStore(store) { return .store(shared) }
        return .files(JobLogs(dataDir: dataDir))
    }

    /// Where async flow tasks' waits go so that a result reaching any node finds its task.
    static func sharedFlowResults(_ store: any TaskStore) -> (any FlowResultStore)? {
        store as? PostgresTaskStore
    }
}
