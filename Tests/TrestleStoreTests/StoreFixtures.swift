import Foundation
import Testing
import TrestleCore
import TrestlePostgres
import TrestleSQLite
import TrestleStore

/// The engines the store contract runs against: both, always. The PostgreSQL cases need
/// `TRESTLE_TEST_POSTGRES_URL` (`scripts/with-postgres.sh` sets it; `make test` runs the suite
/// through it) and fail, never skip, without it. Each case gets a database of its own.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    func open() async throws -> (store: any TaskStore, close: @Sendable () async throws -> Void) {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-store-\(UUID().uuidString)")
            let store = try SQLiteTaskStore(path: dir.appendingPathComponent("t.sqlite").path)
            return (store, {
                try await store.close()
                try? FileManager.default.removeItem(at: dir)
            })
        case .postgres:
            let database = try await PostgresTestDatabase.create()
            let store = try await PostgresTaskStore(url: database.url, poolSize: 8)
            return (store, {
                try await store.close()
                try await database.drop()
            })
        }
    }
}

/// A fresh database on the test cluster, dropped after the test.
struct PostgresTestDatabase: Sendable {
    let url: String
    let name: String
    let admin: String

    static func create() async throws -> PostgresTestDatabase {
        guard let admin = ProcessInfo.processInfo.environment["TRESTLE_TEST_POSTGRES_URL"], !admin.isEmpty else {
            throw StoreError(operation: "open the PostgreSQL test database",
                             detail: "TRESTLE_TEST_POSTGRES_URL is not set; run the tests through scripts/with-postgres.sh (make test does)")
        }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await Self.run(admin, "CREATE DATABASE \(name)")
        guard var url = URLComponents(string: admin) else { throw StoreError(operation: "read TRESTLE_TEST_POSTGRES_URL", detail: admin) }
        url.path = "/" + name
        return PostgresTestDatabase(url: url.string ?? admin, name: name, admin: admin)
    }

    func drop() async throws {
        try await Self.run(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    /// One statement on the admin database (names here are generated, never input).
    private static func run(_ url: String, _ sql: String) async throws {
        let store = try await PostgresTaskStore(url: url, poolSize: 1, migrating: false)
        defer { Task { try? await store.close() } }
        try await store.execute(sql)
    }
}

enum Tasks {
    static func commit(_ seed: Int) -> CommitID {
        let hex = String(seed, radix: 16)
        return CommitID(String(repeating: "0", count: 40 - hex.count) + hex)!
    }

    static func new(workflow: String = "wf", commits: [CommitID] = [], time: Int64 = 1_000,
                    targets: [String] = ["svc"], repo: String = "repo") -> NewTask {
        let arguments = TaskArguments(
            targets: targets.map { name in
                TargetArguments(name: name, serviceType: .k8s, build: BuildArguments(repos: commits.isEmpty
                    ? [RepoArguments(repoName: repo, branch: "main")]
                    : commits.map { RepoArguments(repoName: repo, branch: "main", pr: 0, commitID: $0) }))
            },
            releaseImages: [])
        return NewTask(workflow: workflow, project: "proj", env: "dev", trigger: TaskTrigger(kind: .api, by: "test"),
                       arguments: arguments, stages: TaskPlanner.stages(for: arguments), createTime: time)
    }
}
