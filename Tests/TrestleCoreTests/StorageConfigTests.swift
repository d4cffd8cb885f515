import Testing
import TrestleCore

@Suite("Storage config: SQLite by default, PostgreSQL when storage.postgres says so")
struct StorageConfigTests {
    @Test("storage.postgres takes its URL from the environment and a pool size")
    func postgresIsRead() throws {
        let config = try ConfigLoader.parse(yaml: FixtureFile.text("storage-postgres.yaml"), file: "storage-postgres.yaml",
                                            environment: ["API_TOKEN": "api-token-0123456789",
                                                          "DATABASE_URL": "postgres://trestle:secret@db:5432/trestle?sslmode=require"])
        #expect(config.storage.postgres?.url.value == "postgres://trestle:secret@db:5432/trestle?sslmode=require")
        #expect(config.storage.postgres?.poolSize == 24)
        #expect(config.executor.leaseSeconds == 12)
    }

    @Test("both engines at once, a URL written into the file and a zero pool are refused, without showing the password")
    func problemsAreNamed() throws {
        let error = try #require(throws: ConfigError.self) {
            try ConfigLoader.parse(yaml: FixtureFile.text("storage-problems.yaml"), file: "bad.yaml",
                                   environment: ["API_TOKEN": "api-token-0123456789"])
        }
        #expect(error.problems.contains { $0.path == "storage" && $0.message.contains("not both") })
        #expect(error.problems.contains { $0.path == "storage.postgres.url" && $0.message.contains("${DATABASE_URL}") })
        #expect(error.problems.contains { $0.path == "storage.postgres.pool_size" })
        #expect(!error.description.contains("hunter2-password"))
    }

    @Test("a config without storage.postgres stays on SQLite")
    func sqliteByDefault() throws {
        let config = try ConfigLoader.parse(yaml: FixtureFile.repositoryText("samples/trestle.yaml"), file: "samples/trestle.yaml",
                                            environment: ["TRESTLE_TOKEN": "t", "TRESTLE_WEBHOOK_TOKEN": "w"])
        #expect(config.storage.postgres == nil)
        #expect(config.executor.leaseSeconds == 30, "the default lease")
    }
}
