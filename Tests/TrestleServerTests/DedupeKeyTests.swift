import Foundation
import HTTPTypes
import Testing
import TrestleTestSupport
@testable import TrestleServer

/// Dedupe keys decide which deliveries are dropped as repeats: they must never collide by accident
/// or by a caller's design.
@Suite("Dedupe keys: whole-key hashes scoped by repo; the hook's secret stays off argv")
struct DedupeKeyTests {
    static func key(_ idempotencyKey: String?, uuid: String? = nil, body: String = "{}", repo: String = "voting-app") -> String {
        var fields = HTTPFields()
        if let idempotencyKey { fields[HTTPField.Name("Idempotency-Key")!] = idempotencyKey }
        if let uuid { fields[HTTPField.Name("X-Gitlab-Event-UUID")!] = uuid }
        return WebhookRoutes.dedupeKey(WebhookRequestHeaders(fields), body: Data(body.utf8), repo: repo)
    }

    @Test func keysSharingALongPrefixDoNotCollide() {
        let prefix = String(repeating: "p", count: 300)
        #expect(Self.key(prefix + "-a") != Self.key(prefix + "-b"))
        #expect(Self.key(prefix + "-a") == Self.key(prefix + "-a"))
        #expect(Self.key(prefix + "-a").hasPrefix("key:") && Self.key(prefix).count == "key:".count + 64)
    }

    @Test func oneReposKeysCannotClaimAnotherReposDeliveries() {
        #expect(Self.key("k-1", repo: "voting-app") != Self.key("k-1", repo: "other"))
        #expect(Self.key(nil, uuid: "u-1", repo: "voting-app") != Self.key(nil, uuid: "u-1", repo: "other"))
        #expect(Self.key(nil, body: "{\"a\":1}", repo: "voting-app") != Self.key(nil, body: "{\"a\":1}", repo: "other"))
        #expect(Self.key(nil, uuid: "u-1", body: "{\"a\":1}") != Self.key(nil, uuid: "u-1", body: "{\"a\":2}"))
    }

    @Test func thePostReceiveHookPassesItsSecretOnADescriptorNotArgvAndKeysOnFullIDs() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-hookargv-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let repo = try TestRepo.make(at: "\(root)/repo", commits: 5)
        let head = try repo.revParse("main")
        let stubs = "\(root)/bin"
        try FileManager.default.createDirectory(atPath: stubs, withIntermediateDirectories: true)
        // A curl that records what ps would show (its argv) and what it read on descriptor 3.
        try """
            #!/bin/sh
            printf '%s\\n' "$@" > "\(root)/argv"
            cat /dev/fd/3 > "\(root)/fd3"
            cat > /dev/null
            echo '{"status":"accepted"}'
            """.write(toFile: "\(stubs)/curl", atomically: true, encoding: .utf8)
        #expect(chmod("\(stubs)/curl", 0o755) == 0)
        try TestRepo.run(["git", "-C", repo.path, "config", "trestle.url", "http://127.0.0.1:9/api/webhook/gitlab"])
        try TestRepo.run(["git", "-C", repo.path, "config", "trestle.token", "hook-secret-on-fd-only"])
        let zero = String(repeating: "0", count: 40)
        let hook = PostReceiveHookTests.hookPath()
        _ = try await FixtureCommand.outcome(["sh", "-c", "cd '\(repo.path)' && printf '%s %s refs/heads/main\\n' \(zero) \(head) | sh '\(hook)'"],
                                             environment: ["PATH": "\(stubs):" + (ProcessInfo.processInfo.environment["PATH"] ?? "")])
        let argv = try String(contentsOfFile: "\(root)/argv", encoding: .utf8)
        let descriptor = try String(contentsOfFile: "\(root)/fd3", encoding: .utf8)
        #expect(!argv.contains("hook-secret-on-fd-only"), "\(argv)")
        #expect(descriptor == "X-Gitlab-Token: hook-secret-on-fd-only\n")
        #expect(argv.contains("Idempotency-Key: post-receive:repo:refs/heads/main:\(zero):\(head)"), "\(argv)")
    }
}
