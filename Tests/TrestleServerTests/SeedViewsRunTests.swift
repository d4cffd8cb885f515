import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import TrestleServer

/// Tasks the executor ran (executor.yaml), as seeds 003 and 004 show them.
@Suite("Seeds 003 and 004 over tasks that ran")
struct SeedViewsRunTests {
    static func jobs(_ status: [String: Any]) -> [[String: Any]] {
        ((status["states"] as? [[String: Any]]) ?? []).flatMap { ($0["children"] as? [[String: Any]]) ?? [] }
    }

    static func isTime(_ value: Any?) -> Bool {
        (value as? String)?.wholeMatch(of: /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/) != nil
    }

    @Test("a passed task is completed/success and success; a failed one completed/error and failed, its job's error and log linked")
    func passedAndFailed() async throws {
        let control = try ExecutorTests.Control()
        try control.write("script.sh", "echo broken; exit 3\n")
        try await ExecutorTests.run(control) { client in
            let passedID = try await ExecutorTests.create(client, target: "vote")
            try await ExecutorTests.wait(client, task: passedID)
            let failedID = try await ExecutorTests.create(client, target: "scripted")
            try await ExecutorTests.wait(client, task: failedID)

            let passed = try await CodeArtsStatusAPITests.get(client, "/v3/pipelines/runs/status?build_id=\(passedID)").object()
            #expect(passed["status"] as? String == "completed")
            #expect(passed["outcome"] as? String == "success")
            #expect(Self.isTime(passed["start_time"]) && Self.isTime(passed["end_time"]))
            #expect(passed["elapsed_time"] as? String == "00:00:00")
            #expect(Self.jobs(passed).map { $0["outcome"] as? String } == ["success", "success"])
            #expect(Self.jobs(passed).allSatisfy { $0["error_code"] is NSNull && $0["error_msg"] is NSNull && $0["detail_url"] is String })

            let failed = try await CodeArtsStatusAPITests.get(client, "/v3/pipelines/runs/status").object()
            #expect(failed["build_id"] as? String == String(failedID))
            #expect(failed["status"] as? String == "completed")
            #expect(failed["outcome"] as? String == "error")
            let build = try #require(Self.jobs(failed).first)
            #expect(build["outcome"] as? String == "error")
            #expect(build["error_code"] as? String == "TRESTLE.JOB_FAILED")
            #expect((build["error_msg"] as? String)?.contains("exited with status 3") == true)
            let deploy = try #require(Self.jobs(failed).last)
            #expect(deploy["status"] as? String == "waiting")
            #expect(deploy["detail_url"] is NSNull)
            let logURL = try #require(build["detail_url"] as? String)
            let log = try await client.call(.get, try #require(URL(string: logURL)).path + "?job=build-scripted")
            #expect(log.text.contains("broken"))

            let executions = try await AOMExecutionAPITests.get(client, "/v1/voting/cms/workflow/runs/executions").array()
            #expect(executions.map { $0["execution_id"] as? String } == [String(failedID), String(passedID)])
            #expect(executions.map { $0["status"] as? String } == ["failed", "success"])
            let nodes = try #require(executions.first?["execution_result_list"] as? [[String: Any]])
            #expect(nodes.map { $0["status"] as? String } == ["failed", "waiting"])
            #expect(((nodes.first?["output"] as? [String: Any])?["error"] as? String)?.contains("exited with status 3") == true)
            #expect((executions.last?["end_time"] as? Int ?? 0) > 0)
        }
    }
}
