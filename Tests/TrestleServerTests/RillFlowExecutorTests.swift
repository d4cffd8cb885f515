import Foundation
import Testing
import TrestleServer

/// Flows whose functions run on an executor written as Rill Flow's samples are: it answers
/// synchronously unless the request says `X-Mode: async` with a callback URL, and then posts its
/// raw result to that URL.
@Suite("Rill Flow executors written as Rill Flow's samples are")
struct RillFlowExecutorTests {
    static func descriptor(_ name: String, base: String, asyncPath: String = "executor.json") -> String {
        """
        workspace: ws
        dagName: \(name)
        tasks:
          - { name: sync, category: function, resourceName: "\(base)/executor.json", pattern: task_sync, next: later,
              inputMappings: [{ source: $.context.left, target: $.input.value }],
              outputMappings: [{ source: $.output.executor_result, target: $.context.doubled }] }
          - { name: later, category: function, resourceName: "\(base)/\(asyncPath)", pattern: task_async,
              inputMappings: [{ source: $.context.doubled, target: $.input.value }],
              outputMappings: [{ source: $.output.executor_result, target: $.context.quadrupled }] }
        """
    }

    @Test("a sync and an async task on a Rill Flow-style executor both land in the context; the requests carry what Rill Flow's do")
    func syncAndAsyncTasksOnARillFlowExecutor() async throws {
        let executor = RillFlowExecutorStandIn()
        try await executor.run { base in
            try await TestServer.run(configFile: "flow.yaml") { client in
                let added = try await FlowAPITests.add(client, Self.descriptor("rill", base: base))
                #expect(added.status == .ok)
                let executionID = try await FlowAPITests.submit(client, "ws:rill", context: #"{"left": 5}"#)
                let done = try await FlowAPITests.poll(client, executionID)
                #expect(done["dag_status"] as? String == "SUCCEED", "\(done)")
                #expect(done["context"] as? NSDictionary == ["left": 5, "doubled": 10, "quadrupled": 20] as NSDictionary)
                #expect(FlowAPITests.task(done, "later")["output"] as? NSDictionary
                    == ["executor_result": 20, "result_type": "SUCCESS"] as NSDictionary, "the raw callback body is the output")

                let calls = executor.calls.withLock { $0 }
                #expect(calls.map(\.name) == ["sync", "later"], "name=<task> on every function request")
                #expect(calls.map(\.mode) == [nil, "async"], "X-Mode: async on task_async requests only")
                #expect(calls.allSatisfy { $0.flowServer?.hasPrefix("http://127.0.0.1:") == true }, "X-Flow-Server: \(calls.map(\.flowServer))")
                let callback = try #require(calls.last?.callbackURL.flatMap(URLComponents.init(string:)))
                let query = Dictionary((callback.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { first, _ in first })
                #expect(query["execution_id"] == executionID && query["task_name"] == "later")
                #expect(query["token"]?.count == 32 && Int64(query["ts"] ?? "").map { $0 > 1_600_000_000_000 } == true, "\(query)")
                #expect(executor.callbacksSent.withLock { $0 } == [200])
            }
        }
    }

    @Test("a raw callback saying FAILED fails its task with what the executor said, and the flow with it")
    func aRawFailedCallbackFailsTheTask() async throws {
        let executor = RillFlowExecutorStandIn()
        try await executor.run { base in
            try await TestServer.run(configFile: "flow.yaml") { client in
                _ = try await FlowAPITests.add(client, Self.descriptor("fails", base: base, asyncPath: "failing.json"))
                let executionID = try await FlowAPITests.submit(client, "ws:fails", context: #"{"left": 1}"#)
                let done = try await FlowAPITests.poll(client, executionID)
                #expect(done["dag_status"] as? String == "FAILED", "\(done)")
                #expect(FlowAPITests.task(done, "sync")["status"] as? String == "SUCCEED")
                #expect(FlowAPITests.task(done, "later")["status"] as? String == "FAILED")
                let error = FlowAPITests.task(done, "later")["error"] as? String ?? ""
                #expect(error.contains("FAILED") && error.contains("no capacity"), "\(error)")
            }
        }
    }

    @Test("finish.json takes Rill Flow's execution_id and task_name with a raw result, and the seed's wrapped form still works")
    func finishTakesBothForms() async throws {
        let functions = FunctionStandIn()
        try await functions.run { base in
            try await TestServer.run(configFile: "flow.yaml") { client in
                _ = try await FlowAPITests.add(client, """
                    workspace: ws
                    dagName: forms
                    tasks:
                      - { name: A, category: function, resourceName: "\(base)/async.json", pattern: task_async, next: B,
                          outputMappings: [{ source: $.output.executor_result, target: $.context.a }] }
                      - { name: B, category: function, resourceName: "\(base)/async.json", pattern: task_async,
                          outputMappings: [{ source: $.output.size, target: $.context.b }] }
                    """)
                let executionID = try await FlowAPITests.submit(client, "ws:forms")
                _ = try await FlowAPITests.poll(client, executionID) { FlowAPITests.task($0, "A")["status"] as? String == "RUNNING" }
                let raw = try await client.call(.post, "/flow/finish.json?execution_id=\(executionID)&task_name=A",
                                                json: #"{"executor_result": 50, "result_type": "SUCCESS"}"#)
                #expect(raw.status == .ok, "\(raw.text)")
                _ = try await FlowAPITests.poll(client, executionID) { FlowAPITests.task($0, "B")["status"] as? String == "RUNNING" }
                let unknown = try await client.call(.post, "/flow/finish.json?execution_id=\(executionID)&task_name=B",
                                                    json: #"{"result_type": "DONE"}"#)
                #expect(unknown.status == .badRequest)
                #expect(try unknown.object()["error"] as? String == "result_type 'DONE' is not SUCCESS, FAIL or FAILED")
                let wrapped = try await client.call(.post, "/flow/finish.json?executionId=\(executionID)&taskName=B",
                                                    json: #"{"result_type":"SUCCESS","response":{"size":512}}"#)
                #expect(wrapped.status == .ok, "\(wrapped.text)")
                let done = try await FlowAPITests.poll(client, executionID)
                #expect(done["dag_status"] as? String == "SUCCEED", "\(done)")
                #expect(done["context"] as? NSDictionary == ["a": 50, "b": 512] as NSDictionary)
            }
        }
    }
}
