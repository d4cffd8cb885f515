import Foundation
import HummingbirdTesting
import Testing
import TrestleTestSupport

/// The client commands of the real `trestle` binary against a live server running tasks.
@Suite("CLI client: status, trigger, release, retry, cancel and logs, with their exit codes")
struct ClientCommandTests {
    static func binary() throws -> String {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("trestle")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the trestle executable first (make test does)")
        return binary.path
    }

    static func cli(_ client: any TestClientProtocol, token: String = TestServer.triggerToken,
                    _ arguments: String...) async throws -> FixtureCommand.Outcome {
        let port = try #require(client.port)
        return try await FixtureCommand.outcome([try binary()] + arguments, environment: [
            "TRESTLE_URL": "http://127.0.0.1:\(port)", "TRESTLE_TOKEN": token,
        ])
    }

    @Test("trigger --wait, status, release, logs and retry answer for scripts with documented exit codes")
    func scriptsBranchOnExitCodes() async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "echo broken; exit 1\n")
        let head = try TestRemotes.shared.get().votingApp.revParse("main")
        try await TestServer.run(configFile: "executor.yaml", environment: control.environment) { client in
            let built = try await Self.cli(client, "trigger", "--workflow", "runs", "--env", "dev", "--target", "vote",
                                           "--repo", "voting-app:main", "--repo", "dyliu:main", "--wait")
            #expect(built.status == 0, "\(built)")
            #expect(built.output.hasPrefix("1\truns\tpassed\t"), "\(built.output)")

            let status = try await Self.cli(client, "status", String(head.prefix(8)), "--workflow", "runs")
            #expect(status.status == 0 && status.output.hasPrefix("1\truns\tpassed\t"), "\(status)")
            let json = try await Self.cli(client, "status", String(head.prefix(8)), "--json")
            let tasks = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [[String: Any]])
            #expect(tasks.first?["status"] as? String == "passed")
            #expect(tasks.first.map { Set($0.keys) } == ["task_id", "status", "create_time", "start_time", "end_time", "url"])

            let none = try await Self.cli(client, "status", "deadbeef")
            #expect(none.status == 2 && none.output.isEmpty, "\(none)")
            #expect(none.error.contains("no task built commit deadbeef"))

            let failed = try await Self.cli(client, "trigger", "--workflow", "runs", "--env", "dev", "--target", "scripted",
                                            "--repo", "voting-app", "--branch", "main", "--wait")
            #expect(failed.status == 1, "\(failed)")
            #expect(failed.output.hasPrefix("2\truns\tfailed\t"))
            try control.write("script.sh", "echo fixed\n")
            let retried = try await Self.cli(client, "retry", "2", "--workflow", "runs", "--wait")
            #expect(retried.status == 0 && retried.output.hasPrefix("2\truns\tpassed\t"), "\(retried)")

            let released = try await Self.cli(client, "release", "--workflow", "runs", "--env", "dev",
                                              "--image", "vote=registry.test/vote:9.9", "--wait")
            #expect(released.status == 0, "\(released)")
            let logs = try await Self.cli(client, "logs", "3", "--workflow", "runs", "--job", "deploy-vote")
            #expect(logs.output.contains("deploying registry.test/vote:9.9 as vote"), "\(logs)")

            // A workflow name with a dash travels in the path as it is.
            let staged = try await Self.cli(client, "trigger", "--workflow", "own-stages", "--env", "dev", "--target", "vote",
                                            "--repo", "voting-app", "--branch", "main", "--wait", "--json")
            #expect(staged.status == 0, "\(staged)")
            let unit = try await Self.cli(client, "logs", "1", "--workflow", "own-stages", "--job", "unit")
            #expect(unit.status == 0 && unit.output.isEmpty, "the unit job writes to a file, not its log: \(unit)")
            let missing = try await Self.cli(client, "logs", "1", "--workflow", "own-stages", "--job", "nope")
            #expect(missing.status == 4 && missing.error.contains("its jobs are build-vote, unit, package, lint"), "\(missing)")
        }
    }

    @Test("a running task exits 3 without --wait, and 1 once cancelled; server refusals are one clear line with exit 4")
    func runningCancelledAndRefused() async throws {
        let control = try ExecutorTests.Control()
        try await TestServer.run(configFile: "executor.yaml", environment: control.environment) { client in
            let created = try await Self.cli(client, "trigger", "--workflow", "runs", "--env", "dev", "--target", "hang",
                                             "--repo", "voting-app", "--branch", "main")
            #expect(created.status == 0 && created.output.hasPrefix("1\thttp://"), "\(created)")
            try await ExecutorTests.waitFor("the job to start") { control.exists("hang-1.pid") }
            let head = try TestRemotes.shared.get().votingApp.revParse("main")
            let running = try await Self.cli(client, "status", String(head.prefix(8)), "--workflow", "runs")
            #expect(running.status == 3 && running.output.contains("\trunning\t"), "\(running)")
            let cancelled = try await Self.cli(client, "cancel", "1", "--workflow", "runs")
            #expect(cancelled.status == 0, "\(cancelled)")
            let ended = try await Self.cli(client, "status", String(head.prefix(8)), "--workflow", "runs", "--wait", "--timeout", "30s")
            #expect(ended.status == 1 && ended.output.contains("\tcancelled\t"), "\(ended)")

            let again = try await Self.cli(client, "cancel", "1", "--workflow", "runs")
            #expect(again.status == 4)
            #expect(again.error.hasPrefix("trestle: 409: "), "\(again.error)")
            #expect(again.error.contains("only created or running tasks can be cancelled"), "\(again.error)")
            #expect(!again.error.contains("{"), "a refusal is a sentence, not raw JSON")

            let unauthorized = try await Self.cli(client, token: "wrong-token-0123456789", "status", "deadbeef")
            #expect(unauthorized.status == 4 && unauthorized.error.hasPrefix("trestle: 401: "), "\(unauthorized)")
            let bad = try await Self.cli(client, "trigger", "--workflow", "runs", "--env", "dev", "--target", "nope",
                                         "--repo", "voting-app")
            #expect(bad.status == 4 && bad.error.contains("nope"), "\(bad)")
        }
    }
}
