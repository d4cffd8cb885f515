import Foundation
import GRDB
import Testing
import TrestleCore
@testable import TrestleStore
@testable import TrestleSQLite

@Suite("SQLite store specifics")
struct SQLiteTaskStoreTests {
    func temporaryPath() -> (String, URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-sqlite-\(UUID().uuidString)")
        return (dir.appendingPathComponent("nested/t.sqlite").path, dir)
    }

    @Test("the commit query is an index range scan, not a table scan")
    func commitQueryUsesTheIndex() async throws {
        let (path, dir) = temporaryPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteTaskStore(path: path)
        let plan = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + SQLiteCommitIndexReader.sql,
                             arguments: ["abcd1234", "abcd1234g", 10]).map { $0["detail"] as String }
        }
        #expect(plan.contains { $0.contains("SEARCH c USING PRIMARY KEY (commit_id>? AND commit_id<?)") })
        #expect(plan.contains { $0.contains("SEARCH t USING INTEGER PRIMARY KEY") })
        #expect(!plan.contains { $0.hasPrefix("SCAN") })
        try await store.close()
    }

    @Test("WAL mode, NORMAL by default and FULL when configured, read back from the writer")
    func synchronousLevels() async throws {
        let (path, dir) = temporaryPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let normal = try SQLiteTaskStore(path: path)
        #expect(try await normal.synchronousLevel() == 1)
        let mode = try await normal.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        try await normal.close()
        let full = try SQLiteTaskStore(path: path, synchronous: .full)
        #expect(try await full.synchronousLevel() == 2)
        try await full.close()
    }

    @Test("reopening a store keeps its tasks and sequences")
    func reopenKeepsData() async throws {
        let (path, dir) = temporaryPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try SQLiteTaskStore(path: path)
        _ = try await first.createTask(Tasks.new())
        try await first.close()
        let second = try SQLiteTaskStore(path: path)
        let next = try await second.createTask(Tasks.new())
        #expect(next.summary.taskID == 2)
        try await second.close()
    }

    @Test("a database path that cannot be created is a store error naming it")
    func unwritablePath() {
        #expect {
            _ = try SQLiteTaskStore(path: "/proc/trestle-cannot/t.sqlite")
        } throws: { error in
            "\(error)".contains("/proc/trestle-cannot")
        }
    }

    @Test("committed writes reach the database file without waiting for the writer's auto-checkpoint")
    func backgroundCheckpoint() async throws {
        let (path, dir) = temporaryPath()
        defer { try? FileManager.default.removeItem(at: dir) }
        let store = try SQLiteTaskStore(path: path)
        // 40 tasks are far fewer WAL frames than the writer's auto-checkpoint threshold (1,000).
        for seed in 0..<40 {
            _ = try await store.createTask(Tasks.new(commits: [Tasks.commit(seed)]))
        }
        let expected = try await store.pool.read { db in
            try Int.fetchOne(db, sql: "PRAGMA page_count")! * Int.fetchOne(db, sql: "PRAGMA page_size")!
        }
        func fileSize() -> Int {
            ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while fileSize() < expected, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(fileSize() == expected)
        try await store.close()
    }
}
