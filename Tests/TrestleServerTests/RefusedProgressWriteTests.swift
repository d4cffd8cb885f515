import Foundation
import GRDB
import HummingbirdTesting
import Testing
import TrestleServer

/// A store that refuses writes for a while (as a full disk or a locked file would) delays a task's
/// recorded end, and never loses it: the run keeps trying until the store takes it.
@Suite("Progress writes the store refuses are retried until they land")
struct RefusedProgressWriteTests {
    @Test func aJobEndTheStoreRefusesIsRecordedOnceTheStoreTakesWritesAgain() async throws {
        let control = try ExecutorTests.Control()
        try await TestServer.run(configFile: "executor.yaml", environment: control.environment) { client, dataDir in
            let task = try await ExecutorTests.create(client, target: "chatty")
            try await ExecutorTests.wait(client, task: task, for: ["running"])
            // A second connection to the same file adds triggers that abort every write of job rows.
            let saboteur = try DatabaseQueue(path: dataDir.appendingPathComponent("trestle.sqlite").path)
            try await saboteur.write { db in
                for operation in ["INSERT", "UPDATE"] {
                    try db.execute(sql: """
                        CREATE TRIGGER refuse_job_\(operation.lowercased()) BEFORE \(operation) ON task_jobs
                        BEGIN SELECT RAISE(ABORT, 'disk I/O error (the test refuses writes)'); END
                        """)
                }
            }
            try control.write("go", "")
            // Far longer than the job takes to end: its end cannot be written, and more than five
            // tries fail (the old limit, after which the row stayed `running` for good).
            let refusedUntil = ContinuousClock.now + .seconds(4)
            while ContinuousClock.now < refusedUntil {
                let detail = try await ExecutorTests.detail(client, task: task)
                #expect(detail["status"] as? String == "running", "\(detail)")
                try await Task.sleep(for: .milliseconds(200))
            }
            try await saboteur.write { db in
                try db.execute(sql: "DROP TRIGGER refuse_job_insert")
                try db.execute(sql: "DROP TRIGGER refuse_job_update")
            }
            let accepted = ContinuousClock.now
            let ended = try await ExecutorTests.wait(client, task: task, seconds: 15)
            #expect(ended["status"] as? String == "passed", "\(ended)")
            // The backoff is capped at 5 s, so the end lands soon after the store takes writes.
            #expect(ContinuousClock.now - accepted < .seconds(8))
        }
    }
}
