import Foundation
import HummingbirdTesting
import Logging
import Testing
import TrestleCore
import TrestleServer
import TrestleTestSupport

/// `make run`'s config, as shipped: its jobs pass in the default sandbox.
@Suite("Sample config in the sandbox")
struct SampleConfigSandboxTests {
    @Test("the sample config's build, test and deploy jobs pass in bubblewrap sandboxes, and the build's image reaches the deploy")
    func sampleJobsPass() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let work = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-sample-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        // A demo repository like the one make run prepares: vote/app.txt on main.
        try FixtureCommand.run(["sh", "-c", """
            git init -q -b main "$0/demo" && mkdir -p "$0/demo/vote" && echo "vote 1" > "$0/demo/vote/app.txt" \
            && git -C "$0/demo" add vote && git -C "$0/demo" commit -q -m "vote 1"
            """, work.path])
        let yaml = try String(contentsOf: root.appendingPathComponent("samples/trestle.yaml"), encoding: .utf8)
        let config = try ConfigLoader.parse(yaml: yaml, file: "samples/trestle.yaml", environment: [
            "TRESTLE_TOKEN": TestServer.triggerToken, "TRESTLE_WEBHOOK_TOKEN": TestServer.hookToken,
            "TRESTLE_VOTING_APP_URL": "file://\(work.path)/demo",
        ])
        #expect(config.executor.isolation == .bwrap)
        var logger = Logger(label: "sample")
        logger.logLevel = .warning
        let app = try await buildApplication(config: config, options: ServeOptions(
            listen: ListenAddress(host: "127.0.0.1", port: 0), dataDir: work.appendingPathComponent("data").path), logger: logger)
        try await app.test(.live) { client in
            let created = try await client.call(.post, "/api/directory/workflowTask/create", json: """
                {"workflow_name":"voting-workflow-dev","env_name":"dev","targets":[
                 {"name":"vote","build":{"repos":[{"repo_name":"voting-app","branch":"main","pr":0}]}},
                 {"name":"result","service_type":"helm","build":{"repos":[{"repo_name":"voting-app","branch":"main","pr":0}]}}]}
                """)
            #expect(created.status == .ok, "\(created.text)")
            let id = try #require(try created.object()["task_id"] as? Int)
            let task = try await ExecutorTests.wait(client, workflow: "voting-workflow-dev", task: id)
            #expect(task["status"] as? String == "passed", "\(task)")
            let build = try await ExecutorTests.log(client, workflow: "voting-workflow-dev", task: id, job: "build-vote")
            #expect(build.contains("building vote at"), "\(build)")
            let unit = try await ExecutorTests.log(client, workflow: "voting-workflow-dev", task: id, job: "unit")
            #expect(unit.contains("unit tests pass"), "\(unit)")
            let deploy = try await ExecutorTests.log(client, workflow: "voting-workflow-dev", task: id, job: "deploy-vote")
            #expect(deploy.contains("deploying registry.example.com/vote:"), "\(deploy)")
        }
    }
}
