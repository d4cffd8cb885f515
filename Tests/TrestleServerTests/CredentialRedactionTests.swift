import Foundation
import Testing
import TrestleTestSupport

/// Credentials in a repo URL are never printed: not by check-config, not in the fetch error a
/// mirror logs.
@Suite("Credentials in URLs are never printed")
struct CredentialRedactionTests {
    @Test func checkConfigShowsARepoURLWithoutItsEncodedCredentials() async throws {
        let config = try #require(Bundle.module.url(forResource: "hostile/credentials-in-url.yaml", withExtension: nil,
                                                    subdirectory: "Fixtures"))
        let checked = try await FixtureCommand.outcome([try ClientCommandTests.binary(), "check-config", config.path],
                                                       environment: ["TRIGGER_TOKEN": "t-0123456789"])
        #expect(checked.status == 0, "\(checked.error)")
        #expect(checked.output.contains("repo 'app': https://host.invalid/r.git"), "\(checked.output)")
        for secret in ["u%40x", "p%2Fq", "u@x", "p/q"] {
            #expect(!checked.output.contains(secret) && !checked.error.contains(secret))
        }
    }

    @Test func aMirrorSyncFailureLogsTheURLWithoutCredentials() async throws {
        let config = try #require(Bundle.module.url(forResource: "hostile/credentials-in-url.yaml", withExtension: nil,
                                                    subdirectory: "Fixtures"))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-redact-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let synced = try await FixtureCommand.outcome([try ClientCommandTests.binary(), "mirror", "sync", "--config", config.path,
                                                       "--data-dir", directory.path],
                                                      environment: ["TRIGGER_TOKEN": "t-0123456789"])
        let printed = synced.output + synced.error
        #expect(printed.contains("https://host.invalid/r.git"), "\(printed)")
        for secret in ["u%40x", "p%2Fq", "u@x", "p/q"] {
            #expect(!printed.contains(secret), "\(printed)")
        }
    }
}
