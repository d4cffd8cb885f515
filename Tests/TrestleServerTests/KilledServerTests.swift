import Foundation
import Testing
import TrestleTestSupport

/// The real `trestle serve` process, built beside this test bundle, killed and restarted.
@Suite("Durability across a killed server process")
struct KilledServerTests {
    final class Server {
        let process = Process()
        let port: Int

        init(binary: URL, config: String, directory: String, environment: [String: String]) throws {
            let portFile = "\(directory)/port"
            try? FileManager.default.removeItem(atPath: portFile)
            process.executableURL = binary
            process.arguments = ["serve", "--config", config, "--port-file", portFile, "--log-level", "warning"]
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try FixtureCommand.launch(process)
            let deadline = Date().addingTimeInterval(30)
            var port: Int?
            while port == nil && Date() < deadline && process.isRunning {
                port = (try? String(contentsOfFile: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
                if port == nil { Thread.sleep(forTimeInterval: 0.05) }
            }
            guard let port else { throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "trestle serve did not start"]) }
            self.port = port
        }

        func kill(_ signal: Int32) {
            Foundation.kill(process.processIdentifier, signal)
            process.waitUntilExit()
        }
    }

    static func curl(_ arguments: [String]) throws -> String {
        try ProcessOutput.run("/usr/bin/env", ["curl", "-sS", "--max-time", "10"] + arguments)
    }

    @Test("a delivery answered 2xx survives SIGKILL right after the answer: after a restart its task appears, and the CLI explains it")
    func killedRightAfterAnswer() async throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("trestle")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the trestle executable first (make test does)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-killed-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let remote = try TestRemotes.shared.get().votingApp
        let config = "\(directory)/trestle.yaml"
        try """
            server: { listen: "127.0.0.1:0" }
            data_dir: \(directory)/data
            storage: { sqlite: "\(directory)/data/trestle.sqlite" }
            auth: { tokens: [{ name: reader, token: "${KILL_READ_TOKEN}", scopes: [read] }] }
            repos:
              - { name: voting-app, url: "\(remote.url)", gitlab_project: demo/voting-app, webhook_token: "${KILL_HOOK_TOKEN}" }
            workflows:
              - name: wf
                project: voting
                env: dev
                targets: [{ name: vote, repos: [voting-app] }]
                triggers: [{ events: [push], repo: voting-app, branches: [main] }]
            """.write(toFile: config, atomically: true, encoding: .utf8)
        let environment = ["KILL_READ_TOKEN": "read-0123456789", "KILL_HOOK_TOKEN": "hook-0123456789"]
        let sample = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("samples/webhooks/push-main.json").path

        let first = try Server(binary: binary, config: config, directory: directory, environment: environment)
        let answer = try Self.curl(["-X", "POST", "http://127.0.0.1:\(first.port)/api/webhook/gitlab",
                                    "-H", "Content-Type: application/json", "-H", "X-Gitlab-Event: Push Hook",
                                    "-H", "X-Gitlab-Token: hook-0123456789", "-H", "Idempotency-Key: killed-1",
                                    "--data-binary", "@\(sample)"])
        first.kill(SIGKILL)
        #expect(answer.contains("\"status\":\"accepted\""), "\(answer)")

        let second = try Server(binary: binary, config: config, directory: directory, environment: environment)
        defer { second.kill(SIGTERM) }
        let deadline = ContinuousClock.now + .seconds(20)
        var found = "[]"
        while found == "[]" && ContinuousClock.now < deadline {
            found = try Self.curl(["-H", "Authorization: Bearer read-0123456789",
                                   "http://127.0.0.1:\(second.port)/api/directory/workflowTask?commitId=1a2b3c4d"])
            if found == "[]" { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(found.contains("\"task_id\":1"), "\(found)")

        // The same delivery, as `trestle deliveries` and `trestle explain` print it from the store.
        let cli = ["KILL_READ_TOKEN=read-0123456789", "KILL_HOOK_TOKEN=hook-0123456789", binary.path]
        let listed = try ProcessOutput.run("/usr/bin/env", cli + ["deliveries", "--config", config])
        #expect(listed.hasPrefix("1\t"), "\(listed)")
        #expect(listed.contains("\tPush Hook\tvoting-app\tcreated\twf#1\t"), "\(listed)")
        let explained = try ProcessOutput.run("/usr/bin/env", cli + ["explain", "--config", config, "1"])
        #expect(explained.contains("delivery 1: Push Hook for repo 'voting-app', key key:"), "\(explained)")
        #expect(explained.contains("(Idempotency-Key killed-1)"), "\(explained)")
        #expect(explained.contains("created task 1 of workflow 'wf'"), "\(explained)")
        #expect(explained.contains("workflow 'wf' trigger #1: matched: matched push to branch 'main' at 1a2b3c4d"), "\(explained)")
    }
}
