import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing
import TrestleCore
import TrestlePostgres
import TrestleServer
import TrestleStore
import TrestleTestSupport

/// The store a test server runs on.
enum TestEngine: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite
    case postgres

    var testDescription: String { rawValue }
}

/// A fresh database on the test cluster (`TRESTLE_TEST_POSTGRES_URL`, set by scripts/with-postgres.sh),
/// dropped after the test; a test needing one fails, never skips, without the cluster.
struct TestPostgresDatabase: Sendable {
    let url: String
    let name: String
    let admin: String

    static func create() async throws -> TestPostgresDatabase {
        guard let admin = ProcessInfo.processInfo.environment["TRESTLE_TEST_POSTGRES_URL"], !admin.isEmpty,
              var url = URLComponents(string: admin) else {
            throw StoreError(operation: "open the PostgreSQL test database",
                             detail: "TRESTLE_TEST_POSTGRES_URL is not set; run the tests through scripts/with-postgres.sh (make test does)")
        }
        let name = "s_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await run(admin, "CREATE DATABASE \(name)")
        url.path = "/" + name
        return TestPostgresDatabase(url: url.string ?? admin, name: name, admin: admin)
    }

    func drop() async throws {
        try await Self.run(admin, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
    }

    private static func run(_ url: String, _ sql: String) async throws {
        let store = try await PostgresTaskStore(url: url, poolSize: 1, migrating: false)
        try await store.execute(sql)
        try await store.close()
    }
}

/// A real Trestle server on a loopback port 0 with its own data dir, and the tokens it accepts.
enum TestServer {
    static let triggerToken = "trigger-token-0123456789"
    static let readToken = "read-token-0123456789"
    static let opsToken = "ops-token"
    static let hookToken = "hook-secret-0123456789"
    /// `printf %s ops-token | sha256sum`, configured as token_sha256.
    static let opsTokenSHA256 = "d9310c002af91822beb0b3487d8b04f85bf6bf1f8a5496bff7d35fc7c5a29def"

    static func fixture(_ name: String) throws -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
            throw CocoaError(.fileNoSuchFile, userInfo: [NSFilePathErrorKey: name])
        }
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// The repos of server.yaml, by the variable holding their URL: built once per test process.
    static func config(opsSHA256: String, remotes: [String: String] = [:], file: String = "server.yaml",
                       environment extra: [String: String] = [:]) throws -> TrestleConfig {
        let shared = try TestRemotes.shared.get()
        return try ConfigLoader.parse(yaml: fixture(file), file: file, environment: extra.merging([
            "TRIGGER_TOKEN": triggerToken, "READ_TOKEN": readToken, "OPS_TOKEN_SHA256": opsSHA256, "HOOK_TOKEN": hookToken,
            "VOTING_APP_URL": remotes["voting-app"] ?? shared.votingApp.url,
            "DYLIU_URL": remotes["dyliu"] ?? shared.dyliu.url,
        ]) { _, fixed in fixed })
    }

    /// Runs `body` against a live server, then removes its data dir. `remotes` replaces repo URLs by repo name.
    /// `prepare` runs on the fresh data dir before the server starts (to leave state behind as a killed process would).
    static func run(now: Int64 = 1_639_466_317, remotes: [String: String] = [:], configFile: String = "server.yaml",
                    environment: [String: String] = [:], engine: TestEngine = .sqlite, prepare: (URL) async throws -> Void = { _ in },
                    _ body: @Sendable @escaping (any TestClientProtocol) async throws -> Void) async throws {
        try await run(now: now, remotes: remotes, configFile: configFile, environment: environment, engine: engine,
                      prepare: prepare) { client, _ in
            try await body(client)
        }
    }

    /// `run`, with the server's data dir given to `body` (for CLI commands reading it).
    /// With `keeping` a data dir, the server runs on it and leaves it (for a restart on the same store).
    /// With `on` a database, the server runs on it (`engine` postgres) and leaves it to the caller.
    static func run(now: Int64 = 1_639_466_317, remotes: [String: String] = [:], configFile: String = "server.yaml",
                    environment: [String: String] = [:], keeping keptDataDir: URL? = nil, engine: TestEngine = .sqlite,
                    on keptDatabase: TestPostgresDatabase? = nil, prepare: (URL) async throws -> Void = { _ in },
                    _ body: @Sendable @escaping (any TestClientProtocol, URL) async throws -> Void) async throws {
        let dataDir = keptDataDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("trestle-server-\(UUID().uuidString)")
        defer { if keptDataDir == nil { try? FileManager.default.removeItem(at: dataDir) } }
        try await prepare(dataDir)
        var logger = Logger(label: "trestle-test")
        logger.logLevel = .warning
        var config = try config(opsSHA256: opsTokenSHA256, remotes: remotes, file: configFile, environment: environment)
        var database: TestPostgresDatabase?
        if let keptDatabase {
            config.storage.postgres = PostgresStorageConfig(url: Secret(keptDatabase.url), poolSize: 8)
        } else if engine == .postgres {
            let created = try await TestPostgresDatabase.create()
            database = created
            config.storage.postgres = PostgresStorageConfig(url: Secret(created.url), poolSize: 8)
        }
        defer { if let database { Task { try? await database.drop() } } }
        let app = try await buildApplication(config: config, options: ServeOptions(dataDir: dataDir.path, now: { now }),
                                             logger: logger)
        try await app.test(.live) { client in try await body(client, dataDir) }
    }
}

extension TestClientProtocol {
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ uri: String, token: String? = TestServer.triggerToken,
              headers extra: HTTPFields = [:], json: String? = nil) async throws -> TestResponse {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    func json() throws -> Any {
        try JSONSerialization.jsonObject(with: Data(body.readableBytesView))
    }

    func object() throws -> [String: Any] {
        try #require(try json() as? [String: Any])
    }

    func array() throws -> [[String: Any]] {
        try #require(try json() as? [[String: Any]])
    }
}

/// Runs a command and returns its standard output (for clients the test client cannot imitate).
enum ProcessOutput {
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        try FixtureCommand.launch(process)
        let data = try FixtureCommand.readAll(output.fileHandleForReading)
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }
}
