import Foundation
import HummingbirdTesting
import Testing
import TrestleTestSupport
import TrestleServer

@Suite("The plain-Git post-receive hook")
struct PostReceiveHookTests {
    static func hookPath() -> String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("hooks/post-receive").path
    }

    @discardableResult
    static func git(_ directory: String, _ arguments: String...) throws -> String {
        try TestRepo.run(["git", "-C", directory] + arguments)
    }

    /// A push runs the hook, which posts to the server under test: off the cooperative pool.
    static func push(_ directory: String) async throws {
        try await FixtureCommand.runOffPool(["git", "-C", directory, "push", "-q", "origin", "main"])
    }

    @Test("a push to a bare repo carrying the hook becomes a task; a push touching other paths is ignored with its reason")
    func pushThroughHook() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-hook-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        let bare = "\(root)/voting-app.git"
        let work = "\(root)/work"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Self.git(root, "init", "-q", "--bare", "-b", "main", bare)
        try FileManager.default.copyItem(atPath: Self.hookPath(), toPath: "\(bare)/hooks/post-receive")
        try Self.git(root, "init", "-q", "-b", "main", work)
        try FileManager.default.createDirectory(atPath: "\(work)/vote", withIntermediateDirectories: true)
        try "first\n".write(toFile: "\(work)/README.md", atomically: true, encoding: .utf8)
        try Self.git(work, "add", "-A")
        try Self.git(work, "commit", "-q", "-m", "first")
        try Self.git(work, "remote", "add", "origin", bare)
        try Self.git(work, "push", "-q", "origin", "main")

        try await TestServer.run(remotes: ["voting-app": "file://\(bare)"]) { client in
            let port = try #require(client.port)
            try Self.git(bare, "config", "trestle.url", "http://127.0.0.1:\(port)/api/webhook/gitlab")
            try Self.git(bare, "config", "trestle.project", "demo/voting-app")
            try Self.git(bare, "config", "trestle.token", TestServer.hookToken)

            try "vote \"quoted\"\ttabbed\n".write(toFile: "\(work)/vote/app.txt", atomically: true, encoding: .utf8)
            try Self.git(work, "add", "-A")
            try Self.git(work, "commit", "-q", "-m", "Add the vote app\n\nWith a \"quoted\" body line.")
            try await Self.push(work)
            let head = try Self.git(work, "rev-parse", "HEAD")

            let first = try await WebhookReceiverTests.processed(client, 1)
            #expect(first["state"] as? String == "created", "\(first)")
            #expect(try await WebhookReceiverTests.tasks(client, commit: head).count == 1)

            try "docs\n".write(toFile: "\(work)/README.md", atomically: true, encoding: .utf8)
            try Self.git(work, "commit", "-q", "-am", "Docs only")
            try await Self.push(work)
            let second = try await WebhookReceiverTests.processed(client, 2)
            #expect(second["state"] as? String == "ignored")
            #expect((second["reason"] as? String)?.contains("changed: README.md") == true, "\(second)")
        }
    }
}
