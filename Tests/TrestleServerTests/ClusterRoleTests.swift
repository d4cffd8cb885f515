import Foundation
import HummingbirdTesting
import Logging
import Testing
import TrestleCore
import TrestlePostgres
import TrestleServer
import TrestleTestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `trestle worker` beside an API node (`executor.concurrency: 0`) on one PostgreSQL store: the
/// worker runs what the API node stores, and hears of cancels made there.
@Suite("Cluster roles: API nodes and workers on one PostgreSQL store")
struct ClusterRoleTests {
    static func config(_ control: ExecutorTests.Control?, database: TestPostgresDatabase, concurrency: Int,
                       file: String = "executor.yaml") throws -> TrestleConfig {
        var config = try TestServer.config(opsSHA256: TestServer.opsTokenSHA256, file: file, environment: control?.environment ?? [:])
        config.storage.postgres = PostgresStorageConfig(url: Secret(database.url), poolSize: 4)
        config.executor.concurrency = concurrency
        return config
    }

    /// A worker (`trestle worker`, concurrency 4) and an API node (`trestle serve`, concurrency 0)
    /// of the fixture `file` on one fresh database, both live; `body` gets the worker's client, then
    /// the API node's.
    static func withCluster(_ control: ExecutorTests.Control?, file: String = "executor.yaml",
                            _ body: @Sendable @escaping (any TestClientProtocol, any TestClientProtocol) async throws -> Void) async throws {
        let database = try await TestPostgresDatabase.create()
        defer { Task { try? await database.drop() } }
        let dataDirs = (0..<2).map { FileManager.default.temporaryDirectory.appendingPathComponent("trestle-cluster-\($0)-\(UUID().uuidString)") }
        defer { for dir in dataDirs { try? FileManager.default.removeItem(at: dir) } }
        let worker = try await buildWorker(config: config(control, database: database, concurrency: 4, file: file),
                                           options: ServeOptions(dataDir: dataDirs[0].path), logger: logger)
        let api = try await buildApplication(config: config(control, database: database, concurrency: 0, file: file),
                                             options: ServeOptions(dataDir: dataDirs[1].path), logger: logger)
        try await worker.test(.live) { workerClient in
            try await api.test(.live) { client in try await body(workerClient, client) }
        }
    }

    static var logger: Logger {
        var logger = Logger(label: "trestle-cluster-test")
        logger.logLevel = .warning
        return logger
    }

    @Test("a task created through an API node runs on the worker, and a cancel through the API node stops its job there within 2 s")
    func workerRunsWhatTheAPINodeStores() async throws {
        let control = try ExecutorTests.Control()
        try await Self.withCluster(control) { workerClient, client in
            let health = try await workerClient.call(.get, "/healthz", token: nil)
            #expect(health.status == .ok, "\(health.text)")
            var ready = try await workerClient.call(.get, "/readyz", token: nil)
            let deadline = ContinuousClock.now + .seconds(10)
            while ready.status != .ok, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
                ready = try await workerClient.call(.get, "/readyz", token: nil)
            }
            #expect(ready.status == .ok && ready.text.contains(#""executor":"ok""#), "a worker is ready once its executor runs: \(ready.text)")
            let passed = try await ExecutorTests.create(client, target: "echo")
            let done = try await ExecutorTests.wait(client, task: passed)
            #expect(done["status"] as? String == "passed", "the API node runs nothing, so the worker ran it: \(done)")

            let hanging = try await ExecutorTests.create(client, target: "hang")
            try await ExecutorTests.waitFor("the job to start on the worker") { ExecutorTests.alive(control.read("hang-\(hanging).pid")) }
            let pidFile = control.read("hang-\(hanging).pid")
            let cancel = try await client.call(.post, "/api/directory/workflowTask/id/\(hanging)/pipelines/runs/cancel")
            #expect(cancel.status == .ok, "\(cancel.text)")
            let asked = ContinuousClock.now
            try await ExecutorTests.waitFor("the worker to stop the cancelled job", seconds: 5) { !ExecutorTests.alive(pidFile) }
            #expect(ContinuousClock.now - asked < .seconds(2), "the cancel took \(ContinuousClock.now - asked) to reach the worker")
        }
    }

    @Test("a job's log written on the worker reads through the API node while the job runs, and a follow there ends with its last line")
    func logsReadThroughAnyNode() async throws {
        let control = try ExecutorTests.Control()
        try await Self.withCluster(control) { _, client in
            let id = try await ExecutorTests.create(client, target: "chatty")
            let path = "/api/directory/workflowTask/id/\(id)/pipelines/runs/logs?job=build-chatty"
            // The job waits for "go" after its first line: that line is read on the other node meanwhile.
            var early = ""
            let deadline = ContinuousClock.now + .seconds(10)
            while !early.contains("one\n") {
                #expect(ContinuousClock.now < deadline, "the first line never reached the API node: '\(early)'")
                guard ContinuousClock.now < deadline else { return }
                try await Task.sleep(for: .milliseconds(50))
                early = try await client.call(.get, path).text
            }
            #expect(!early.contains("two"), "the job is still waiting: \(early)")
            async let followed = client.call(.get, path + "&follow=true")
            try control.write("go", "")
            let text = try await followed.text
            #expect(text.hasPrefix("one\n") && text.contains("two\n"), "\(text)")
            let done = try await ExecutorTests.wait(client, task: id)
            #expect(done["status"] as? String == "passed", "\(done)")
        }
    }

    @Test("async flow tasks waiting on the worker complete from a callback and from finish.json sent to the API node")
    func flowResultsReachTheWorkerFromAnyNode() async throws {
        let functions = FunctionStandIn()
        try await functions.run { base in
            try await Self.withCluster(nil, file: "flow.yaml") { _, client in
                let added = try await FlowAPITests.add(client, """
                    workspace: ws
                    dagName: across
                    tasks:
                      - { name: A, category: function, resourceName: "\(base)/async.json", pattern: task_async, next: B,
                          outputMappings: [{ source: $.output.answer, target: $.context.answer }] }
                      - { name: B, category: function, resourceName: "\(base)/async.json", pattern: task_async,
                          outputMappings: [{ source: $.output.size, target: $.context.size }] }
                    """)
                #expect(added.status == .ok, "\(added.body)")
                let executionID = try await FlowAPITests.submit(client, "ws:across")
                // A's callback, to the node where A does not wait.
                let callbackURL = try #require(try await FunctionStandIn.first(of: functions.callbackURLs))
                let components = try #require(URLComponents(string: callbackURL))
                let path = components.percentEncodedPath + "?" + (components.percentEncodedQuery ?? "")
                let forged = try await client.call(.post, "/flow/callback.json?execution_id=\(executionID)&task_name=A&token=guess",
                                                   token: nil, json: #"{"result_type":"SUCCESS","response":{"answer":1}}"#)
                #expect(forged.status == .notFound, "a wrong token is refused at any node: \(forged.text)")
                let reported = try await client.call(.post, path, token: nil, json: #"{"result_type":"SUCCESS","response":{"answer":42}}"#)
                #expect(reported.status == .ok, "\(reported.text)")
                _ = try await FlowAPITests.poll(client, executionID) { FlowAPITests.task($0, "B")["status"] as? String == "RUNNING" }
                // B's result through finish.json, also at the API node.
                let finished = try await client.call(.post, "/flow/finish.json?executionId=\(executionID)&taskName=B",
                                                     json: #"{"result_type":"SUCCESS","response":{"size":512}}"#)
                #expect(finished.status == .ok, "\(finished.text)")
                let done = try await FlowAPITests.poll(client, executionID)
                #expect(done["dag_status"] as? String == "SUCCEED", "\(done)")
                #expect(done["context"] as? NSDictionary == ["answer": 42, "size": 512] as NSDictionary, "\(done)")
            }
        }
    }

    @Test("trestle worker refuses a SQLite store and a concurrency of 0, saying what to do")
    func workerRefusesWhatCannotBeAWorker() async throws {
        let control = try ExecutorTests.Control()
        let sqlite = try TestServer.config(opsSHA256: TestServer.opsTokenSHA256, file: "executor.yaml", environment: control.environment)
        await #expect {
            _ = try await buildWorker(config: sqlite, logger: Self.logger)
        } throws: { error in
            "\(error)".contains("trestle worker needs storage.postgres")
        }
        let database = try await TestPostgresDatabase.create()
        defer { Task { try? await database.drop() } }
        await #expect {
            _ = try await buildWorker(config: Self.config(control, database: database, concurrency: 0), logger: Self.logger)
        } throws: { error in
            "\(error)".contains("executor.concurrency is 0")
        }
    }

    @Test("an API node fails the task of a runner whose lease lapsed, saying the runner was lost, and leaves live runners' tasks running")
    func lapsedLeaseFailsTheTask() async throws {
        let control = try ExecutorTests.Control()
        let database = try await TestPostgresDatabase.create()
        defer { Task { try? await database.drop() } }
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-cluster-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        var config = try Self.config(control, database: database, concurrency: 0)
        config.executor.leaseSeconds = 3
        let api = try await buildApplication(config: config, options: ServeOptions(dataDir: dataDir.path), logger: Self.logger)
        try await api.test(.live) { client in
            let killed = try await ExecutorTests.create(client, target: "hang")
            let live = try await ExecutorTests.create(client, target: "hang")
            // Two workers as the store sees them: one last heard from a minute ago (killed), one heartbeating.
            let store = try await PostgresTaskStore(url: database.url, poolSize: 2)
            let now = Int64(Date().timeIntervalSince1970)
            #expect(try await store.claimTasks(RunLimits(total: 1), runner: "killed-worker", at: now - 60).count == 1)
            #expect(try await store.claimTasks(RunLimits(total: 2), runner: "live-worker", at: now).count == 1)
            let beating = Task {
                while !Task.isCancelled {
                    _ = try? await store.heartbeat(runner: "live-worker", at: Int64(Date().timeIntervalSince1970))
                    try? await Task.sleep(for: .milliseconds(200))
                }
            }
            let failed = try await ExecutorTests.wait(client, task: killed, for: ["failed"])
            #expect(ExecutorTests.job(failed, "build-hang")["error"] as? String == "not run: runner lost: killed-worker", "\(failed)")
            try await Task.sleep(for: .seconds(4))
            #expect(try await ExecutorTests.detail(client, task: live)["status"] as? String == "running")
            beating.cancel()
            try await store.close()
        }
    }
}
