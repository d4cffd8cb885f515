import Foundation
import HummingbirdTesting
import Logging
import Testing
import TrestleCore
import TrestleServer

/// A SQLite store has one executor: a second one refuses to start, naming the holder, and an
/// API-only process (concurrency 0) starting beside a live executor leaves its tasks running.
@Suite("Executor lock: a second process never fails the tasks of a live executor")
struct ExecutorLockTests {
    @Test func aSecondExecutorRefusesAndAnAPIOnlyProcessLeavesRunningTasksAlone() async throws {
        let control = try ExecutorTests.Control()
        let dataDir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-lock-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dataDir) }
        try await TestServer.run(configFile: "executor.yaml", environment: control.environment, keeping: dataDir) { client, _ in
            let task = try await ExecutorTests.create(client, target: "chatty")
            try await ExecutorTests.wait(client, task: task, for: ["running"])
            var logger = Logger(label: "second")
            logger.logLevel = .critical
            var config = try TestServer.config(opsSHA256: TestServer.opsTokenSHA256, file: "executor.yaml",
                                               environment: control.environment)
            do {
                _ = try await buildApplication(config: config, options: ServeOptions(dataDir: dataDir.path), logger: logger)
                Issue.record("a second executor started on the same store")
            } catch {
                #expect("\(error)".contains("another executor (pid \(getpid()) on "), "\(error)")
                #expect("\(error)".contains("executor: { concurrency: 0 }"), "\(error)")
            }
            config.executor.concurrency = 0
            let apiOnly = try await buildApplication(config: config, options: ServeOptions(dataDir: dataDir.path), logger: logger)
            try await apiOnly.test(.live) { second in
                // The old failure came within two seconds of the second process starting.
                let holdUntil = ContinuousClock.now + .milliseconds(2_500)
                while ContinuousClock.now < holdUntil {
                    let detail = try await ExecutorTests.detail(second, task: task)
                    #expect(detail["status"] as? String == "running", "\(detail)")
                    try await Task.sleep(for: .milliseconds(100))
                }
                try control.write("go", "")
                let ended = try await ExecutorTests.wait(second, task: task)
                #expect(ended["status"] as? String == "passed", "\(ended)")
            }
        }
    }
}
