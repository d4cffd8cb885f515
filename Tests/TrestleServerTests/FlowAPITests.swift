import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import TrestleServer

/// Seed 002's Rill Flow API against a live server whose function tasks call a local stand-in.
@Suite("Rill Flow API: descriptors, executions, function tasks and results")
struct FlowAPITests {
    static func run(engine: TestEngine = .sqlite,
                    _ body: @Sendable @escaping (any TestClientProtocol, FunctionStandIn, String) async throws -> Void) async throws {
        let functions = FunctionStandIn()
        try await functions.run { base in
            try await TestServer.run(configFile: "flow.yaml", engine: engine) { client in try await body(client, functions, base) }
        }
    }

    @discardableResult
    static func add(_ client: any TestClientProtocol, _ yaml: String,
                    query: String = "business_id=demoFlowTest%20&feature_name=demoFlowTest%20&alias=release") async throws -> TestResponse {
        try await client.execute(uri: "/flow/bg/manage/descriptor/add_descriptor.json?\(query)", method: .post,
                                 headers: [.authorization: "Bearer \(TestServer.triggerToken)", .contentType: "text/plain"],
                                 body: ByteBuffer(string: yaml))
    }

    static func submit(_ client: any TestClientProtocol, _ descriptorID: String, context: String = "{}",
                       callback: String? = nil) async throws -> String {
        let callbackQuery = callback.map { "&callback=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" } ?? ""
        let submitted = try await client.call(.post, "/flow/submit.json?descriptor_id=\(descriptorID)\(callbackQuery)", json: context)
        #expect(submitted.status == .ok, "\(submitted.text)")
        return try #require(try submitted.object()["execution_id"] as? String)
    }

    static func get(_ client: any TestClientProtocol, _ executionID: String, brief: Bool = false) async throws -> [String: Any] {
        let got = try await client.call(.get, "/flow/get.json?execution_id=\(executionID)&brief=\(brief)", token: TestServer.readToken)
        #expect(got.status == .ok, "\(got.text)")
        return try #require(try got.object()["ret"] as? [String: Any])
    }

    /// Polls until `done` holds, for at most `seconds`.
    @discardableResult
    static func poll(_ client: any TestClientProtocol, _ executionID: String, seconds: Double = 20,
                     until done: ([String: Any]) -> Bool = { ["SUCCEED", "FAILED"].contains($0["dag_status"] as? String ?? "") })
        async throws -> [String: Any] {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while true {
            let execution = try await get(client, executionID)
            if done(execution) { return execution }
            guard ContinuousClock.now < deadline else {
                Issue.record("execution did not get there within \(seconds) s: \(execution)")
                return execution
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    static func task(_ execution: [String: Any], _ name: String) -> [String: Any] {
        (execution["tasks"] as? [String: Any])?[name] as? [String: Any] ?? [:]
    }

    static func seedSample(base: String) throws -> String {
        try TestServer.fixture("rill-flow-sample.yaml").replacingOccurrences(of: "http://127.0.0.1:8080", with: base)
    }

    @Test(arguments: TestEngine.allCases)
    func theSeedSampleRunsToSuccessWithOutputsMappedAndTheCallbackGetsTheResult(engine: TestEngine) async throws {
        try await Self.run(engine: engine) { client, functions, base in
            let added = try await Self.add(client, try Self.seedSample(base: base))
            #expect(added.status == .ok)
            #expect(try added.object() as NSDictionary == ["ret": true, "descriptor_id": "demoFlowTest:demoTest"] as NSDictionary)
            // The seed's own submit path, /2/flow/submit.json, with its body.
            let submitted = try await client.call(.post, "/2/flow/submit.json?descriptor_id=demoFlowTest:demoTest&callback="
                                                  + "\(base)/sink.json", json: #"{"left": 512, "right": 512}"#)
            let executionID = try #require(try submitted.object()["execution_id"] as? String)
            #expect(executionID == "demoFlowTest:demoTest_c_1")
            let done = try await Self.poll(client, executionID)
            #expect(done["dag_status"] as? String == "SUCCEED")
            #expect(done["process"] as? Int == 100)
            #expect(done["context"] as? NSDictionary == ["left": 512, "right": 512, "result_number": 1024] as NSDictionary)
            let start = Self.task(done, "startNode")
            #expect(start["status"] as? String == "SUCCEED")
            #expect(start["contains_sub"] as? Bool == false)
            #expect(start["next"] as? [String] == ["endNode"])
            #expect(start["input"] as? NSDictionary == ["left": 512, "right": 512] as NSDictionary)
            #expect(start["output"] as? NSDictionary == ["result_number": 1024] as NSDictionary)
            let startSpec = try #require(start["task"] as? [String: Any])
            #expect(startSpec["next"] as? String == "endNode")
            #expect(startSpec["pattern"] as? String == "task_sync")
            #expect(startSpec["resourceName"] as? String == "\(base)/flow/sample/start_node.json")
            #expect((startSpec["inputMappings"] as? [[String: String]])?.first == ["source": "$.context.right", "target": "$.input.right"])
            let end = Self.task(done, "endNode")
            #expect(end["status"] as? String == "SUCCEED")
            #expect(end["input"] as? NSDictionary == ["result_number": 1024, "expect_number": 1024] as NSDictionary)
            #expect(functions.calls.withLock { $0 } == ["start application/json", "end"])
            let brief = try await Self.get(client, executionID, brief: true)
            #expect(brief["tasks"] == nil && brief["dag_status"] as? String == "SUCCEED")
            let posted = try #require(try await FunctionStandIn.first(of: functions.sink))
            let result = try #require(try JSONSerialization.jsonObject(with: posted) as? [String: Any])
            #expect(result["execution_id"] as? String == executionID)
            #expect(result["dag_status"] as? String == "SUCCEED")
            #expect((result["context"] as? [String: Any])?["result_number"] as? Int == 1024)
            // The same execution, through seed 000's view of the core: a passed task of workflow demoFlowTest:demoTest.
            let seed000 = try await client.call(.get, "/api/directory/workflowTask/id/1/pipelines/demoFlowTest:demoTest").object()
            #expect(seed000["status"] as? String == "passed")
        }
    }

    @Test func theSeedSampleRunsOnTrestlesOwnSampleFunctionsAsRillFlowServesThem() async throws {
        try await TestServer.run(configFile: "flow.yaml") { client in
            let port = try #require(client.port)
            // The seed's descriptor calls 127.0.0.1:8080, the server itself; here the server's port.
            let yaml = try TestServer.fixture("rill-flow-sample.yaml")
                .replacingOccurrences(of: "http://127.0.0.1:8080", with: "http://127.0.0.1:\(port)")
            #expect(try await Self.add(client, yaml).status == .ok)
            let executionID = try await Self.submit(client, "demoFlowTest:demoTest", context: #"{"left": 512, "right": 512}"#)
            let done = try await Self.poll(client, executionID)
            #expect(done["dag_status"] as? String == "SUCCEED", "\(done)")
            #expect((done["context"] as? [String: Any])?["result_number"] as? Int == 1024)
            #expect(Self.task(done, "endNode")["output"] as? NSDictionary == ["result_number": 1024, "passed": true] as NSDictionary)
            // Open like the health check, and a wrong sum is a 400 in the flow shape.
            let wrong = try await client.call(.post, "/flow/sample/end_node.json", token: nil,
                                              json: #"{"result_number": 3, "expect_number": 4}"#)
            #expect(wrong.status == .badRequest)
            #expect(try wrong.object() as NSDictionary
                == ["ret": false, "error": "result_number 3 is not expect_number 4"] as NSDictionary)
        }
    }

    @Test func invalidDescriptorsAreRefusedAtAddTimeWithAReason() async throws {
        try await Self.run { client, _, _ in
            let cases: [(String, String)] = [
                ("tasks: [unclosed", "the descriptor is not valid YAML"),
                ("tasks: [{ name: a, category: pass, next: ghost }]", "task 'a': next names 'ghost', which is not a task of the descriptor"),
                ("tasks: [{ name: a, category: pass, next: b }, { name: b, category: pass, next: a }]", "the tasks form a cycle: a -> b -> a"),
            ]
            for (yaml, reason) in cases {
                let refused = try await Self.add(client, yaml)
                #expect(refused.status == .badRequest)
                let body = try refused.object()
                #expect(body["ret"] as? Bool == false)
                #expect((body["error"] as? String)?.hasPrefix(reason) == true, "\(body)")
            }
            let missing = try await Self.add(client, "tasks: [{ name: a, category: pass }]", query: "feature_name=f&alias=a")
            #expect(missing.status == .badRequest)
            #expect(try missing.object()["error"] as? String == "business_id is required: the workflow's business id")
        }
    }

    @Test func unknownDescriptorsAndExecutionsAnswer404AndABadContext400() async throws {
        try await Self.run { client, _, _ in
            let unknown = try await client.call(.post, "/flow/submit.json?descriptor_id=no:such", json: "{}")
            #expect(unknown.status == .notFound)
            #expect(try unknown.object()["error"] as? String == "descriptor_id 'no:such' is not known; add it with add_descriptor.json")
            try await Self.add(client, "tasks: [{ name: a, category: pass }]", query: "business_id=ws&feature_name=dag&alias=a")
            let notObject = try await client.call(.post, "/flow/submit.json?descriptor_id=ws:dag", json: "[1]")
            #expect(notObject.status == .badRequest)
            let noExecution = try await client.call(.get, "/flow/get.json?execution_id=ws:dag_c_99")
            #expect(noExecution.status == .notFound)
            #expect(try noExecution.object() as NSDictionary
                == ["ret": false, "error": "execution_id 'ws:dag_c_99' is not known"] as NSDictionary)
            let anonymous = try await client.call(.get, "/flow/get.json?execution_id=ws:dag_c_1", token: nil)
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func anAsyncTaskWaitsForItsCallbackURLWhichNeedsOnlyItsToken() async throws {
        try await Self.run { client, functions, base in
            try await Self.add(client, """
                workspace: ws
                dagName: waits
                tasks:
                  - { name: work, category: function, resourceName: "\(base)/async.json", pattern: task_async, next: done,
                      outputMappings: [{ source: $.output.answer, target: $.context.answer }] }
                  - { name: done, category: pass, inputMappings: [{ source: $.context.answer, target: $.input.answer }] }
                """)
            let executionID = try await Self.submit(client, "ws:waits")
            let callbackURL = try #require(try await FunctionStandIn.first(of: functions.callbackURLs))
            let waiting = try await Self.get(client, executionID)
            #expect(waiting["dag_status"] as? String == "RUNNING")
            #expect(Self.task(waiting, "work")["status"] as? String == "RUNNING")
            #expect(Self.task(waiting, "done")["status"] as? String == "NOT_STARTED")
            let path = try #require(URLComponents(string: callbackURL)).percentEncodedPath + "?"
                + (try #require(URLComponents(string: callbackURL)?.percentEncodedQuery))
            #expect(path.hasPrefix("/flow/callback.json?execution_id=ws:waits_c_1&task_name=work&token="))
            let body = #"{"result_type":"SUCCESS","response":{"answer":42}}"#
            let forged = try await client.call(.post, "/flow/callback.json?execution_id=ws:waits_c_1&task_name=work&token=guess",
                                               token: nil, json: body)
            #expect(forged.status == .notFound)
            let reported = try await client.call(.post, path, token: nil, json: body)
            #expect(reported.status == .ok)
            #expect(try reported.object() as NSDictionary == ["result": "ok"] as NSDictionary)
            let done = try await Self.poll(client, executionID)
            #expect(done["dag_status"] as? String == "SUCCEED")
            #expect(Self.task(done, "done")["output"] as? NSDictionary == ["answer": 42] as NSDictionary)
            let again = try await client.call(.post, path, token: nil, json: body)
            #expect(again.status == .notFound)
        }
    }

    @Test func aRestartedServerKeepsDescriptorsAndWhatAnInterruptedExecutionDidAndFailsItVisibly() async throws {
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-flow-restart-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        let functions = FunctionStandIn()
        try await functions.run { base in
            try await TestServer.run(configFile: "flow.yaml", keeping: dataDir) { client, _ in
                try await Self.add(client, """
                    workspace: ws
                    dagName: restarts
                    tasks:
                      - { name: first, category: pass, next: work, inputMappings: [{ source: $.context.n, target: $.input.n }] }
                      - { name: work, category: function, resourceName: "\(base)/async.json", pattern: task_async }
                    """)
                let executionID = try await Self.submit(client, "ws:restarts", context: #"{"n": 7}"#)
                _ = try await Self.poll(client, executionID) { Self.task($0, "work")["status"] as? String == "RUNNING" }
            }
            try await TestServer.run(configFile: "flow.yaml", keeping: dataDir) { client, _ in
                let after = try await Self.poll(client, "ws:restarts_c_1")
                #expect(after["dag_status"] as? String == "FAILED")
                #expect(after["context"] as? NSDictionary == ["n": 7] as NSDictionary)
                #expect(Self.task(after, "first")["status"] as? String == "SUCCEED")
                #expect(Self.task(after, "first")["output"] as? NSDictionary == ["n": 7] as NSDictionary)
                #expect(Self.task(after, "work")["status"] as? String == "FAILED")
                #expect((Self.task(after, "work")["error"] as? String)?.isEmpty == false, "\(after)")
                // The descriptor is still there: a new submit gets the next id and runs.
                #expect(try await Self.submit(client, "ws:restarts", context: #"{"n": 8}"#) == "ws:restarts_c_2")
            }
        }
    }

    @Test func finishJSONReportsAnAsyncTaskFailedAndTheFlowFails() async throws {
        try await Self.run { client, functions, base in
            try await Self.add(client, """
                workspace: ws
                dagName: reported
                tasks:
                  - { name: A, category: function, resourceName: "\(base)/async.json", pattern: task_async, next: B }
                  - { name: B, category: pass }
                """)
            let executionID = try await Self.submit(client, "ws:reported")
            _ = try await Self.poll(client, executionID) { Self.task($0, "A")["status"] as? String == "RUNNING" }
            _ = try #require(try await FunctionStandIn.first(of: functions.callbackURLs))
            let notWaiting = try await client.call(.post, "/flow/finish.json?executionId=\(executionID)&taskName=B",
                                                   json: #"{"result_type":"SUCCESS"}"#)
            #expect(notWaiting.status == .badRequest)
            #expect(try notWaiting.object()["error"] as? String
                == "task 'B' of execution 'ws:reported_c_1' is NOT_STARTED, not waiting for a result")
            // The seed's body: the execution and task named in passthrough.
            let finished = try await client.call(.post, "/flow/finish.json", json: """
                {"result_type":"FAIL","passthrough":{"execution_id":"\(executionID)","task_name":"A"},"response":{"reason":"no disk"}}
                """)
            #expect(finished.status == .ok, "\(finished.text)")
            let done = try await Self.poll(client, executionID)
            #expect(done["dag_status"] as? String == "FAILED")
            #expect(Self.task(done, "A")["status"] as? String == "FAILED")
            #expect((Self.task(done, "A")["error"] as? String)?.contains("no disk") == true)
            #expect(Self.task(done, "B")["status"] as? String == "NOT_STARTED")
            #expect(done["process"] as? Int == 50)
        }
    }

    @Test func failuresAreRetriedAndATolerantTaskIsSkippedWhileTheFlowGoesOn() async throws {
        try await Self.run { client, functions, base in
            try await Self.add(client, """
                workspace: ws
                dagName: retries
                tasks:
                  - { name: flaky, category: function, resourceName: "\(base)/flaky.json", next: broken,
                      retry: { maxRetryTimes: 2, intervalInSeconds: 0.05, multiplier: 2 } }
                  - { name: broken, category: function, resourceName: "\(base)/broken.json", tolerance: true, next: last }
                  - { name: last, category: pass }
                """)
            let executionID = try await Self.submit(client, "ws:retries")
            let done = try await Self.poll(client, executionID)
            #expect(done["dag_status"] as? String == "SUCCEED")
            #expect(Self.task(done, "flaky")["status"] as? String == "SUCCEED")
            #expect(Self.task(done, "flaky")["tries"] as? Int == 2)
            #expect(Self.task(done, "broken")["status"] as? String == "SKIPPED")
            #expect(Self.task(done, "broken")["error"] as? String == "the function at \(base)/broken.json answered HTTP 500")
            #expect(Self.task(done, "last")["status"] as? String == "SUCCEED")
            #expect(functions.calls.withLock { $0 } == ["flaky", "flaky", "broken"])
        }
    }

    @Test func inputKeysForQueryParametersAndHeadersLeaveTheBody() async throws {
        try await Self.run { client, _, base in
            try await Self.add(client, """
                workspace: ws
                dagName: echo
                tasks:
                  - category: function
                    name: echo
                    resourceName: "\(base)/echo.json"
                    inputMappings:
                      - { source: $.context.page, target: $.input.query_params_page }
                      - { source: $.context.trace, target: $.input.request_header_X-Trace }
                      - { source: $.context.payload, target: $.input.payload }
                    outputMappings:
                      - { source: $.output, target: $.context.echoed }
                """)
            let executionID = try await Self.submit(client, "ws:echo", context: #"{"page": 3, "trace": "t-1", "payload": {"a": [1]}}"#)
            let done = try await Self.poll(client, executionID)
            #expect(done["dag_status"] as? String == "SUCCEED", "\(done)")
            let echoed = (done["context"] as? [String: Any])?["echoed"] as? NSDictionary
            // name=<task> as Rill Flow's dispatcher adds it, after the task's own parameters.
            #expect(echoed == ["query": "page=3&name=echo", "trace": "t-1", "body": ["payload": ["a": [1]]]] as NSDictionary)
        }
    }
}
