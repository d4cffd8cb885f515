import Foundation
import Testing
import TrestleCore
import TrestlePostgres
import TrestleStore

@Suite("Status answers kept between task changes")
struct StatusAnswerCacheTests {
    static let prefix = try! CommitPrefix(parsing: "1a2b3c4d")
    static let answer = [TaskSummary(taskID: 1, workflow: "wf", project: "p", status: .running, createTime: 1, startTime: 2, endTime: 0)]

    @Test("nothing is kept until enabled, an answer read across an invalidation is not kept, and disabling drops all")
    func keepsOnlyWhatNoWriteRaced() throws {
        let cache = StatusAnswerCache()
        #expect(cache.generation() == nil)
        cache.remember(Self.answer, for: Self.prefix, limit: 50, readAt: 0)
        #expect(cache.answer(Self.prefix, limit: 50) == nil)

        cache.enable()
        let before = try #require(cache.generation())
        cache.remember(Self.answer, for: Self.prefix, limit: 50, readAt: before)
        #expect(cache.answer(Self.prefix, limit: 50) == Self.answer)
        #expect(cache.answer(Self.prefix, limit: 1) == nil, "an answer is kept per limit")

        let raced = try #require(cache.generation())
        cache.invalidate()
        #expect(cache.answer(Self.prefix, limit: 50) == nil)
        cache.remember(Self.answer, for: Self.prefix, limit: 50, readAt: raced)
        #expect(cache.answer(Self.prefix, limit: 50) == nil, "read before the write committed: stale")

        cache.remember(Self.answer, for: Self.prefix, limit: 50, readAt: try #require(cache.generation()))
        cache.disable()
        #expect(cache.answer(Self.prefix, limit: 50) == nil)
        #expect(cache.generation() == nil)
    }

    @Test("past its capacity the kept set starts over rather than growing")
    func boundedByCapacity() throws {
        let cache = StatusAnswerCache(capacity: 2)
        cache.enable()
        let generation = try #require(cache.generation())
        for hex in ["aaaa", "bbbb", "cccc"] {
            cache.remember(Self.answer, for: try CommitPrefix(parsing: hex), limit: 50, readAt: generation)
        }
        #expect(cache.answer(try CommitPrefix(parsing: "aaaa"), limit: 50) == nil)
        #expect(cache.answer(try CommitPrefix(parsing: "cccc"), limit: 50) == Self.answer)
    }

    /// Polls `body` until it holds or 10 s pass.
    static func eventually(_ body: () async throws -> Bool) async throws -> Bool {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await body() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    @Test("on PostgreSQL, a process reads its own new task at once, and another process's task and cancel soon after")
    func changesReachEveryProcess() async throws {
        let database = try await PostgresTestDatabase.create()
        let reader = try await PostgresTaskStore(url: database.url, poolSize: 4)
        let writer = try await PostgresTaskStore(url: database.url, poolSize: 4)
        let commit = Tasks.commit(0x1a2b_3c4d)
        let prefix = try CommitPrefix(parsing: String(commit.hex.prefix(12)))
        #expect(try await Self.eventually { reader.statusCache.generation() != nil }, "the reader listens")
        #expect(try await reader.tasks(commitPrefix: prefix, limit: 50).isEmpty)
        #expect(try await reader.tasks(commitPrefix: prefix, limit: 50).isEmpty, "kept")

        let own = try await reader.createTask(Tasks.new(commits: [commit], time: 1))
        #expect(try await reader.tasks(commitPrefix: prefix, limit: 50).map(\.taskID) == [own.summary.taskID], "its own write, at once")

        let other = try await writer.createTask(Tasks.new(commits: [commit], time: 2))
        #expect(try await Self.eventually { try await reader.tasks(commitPrefix: prefix, limit: 50).count == 2 })
        _ = try await writer.cancelTask(workflow: "wf", taskID: other.summary.taskID, by: TaskTrigger(kind: .api, by: "t"), at: 3)
        #expect(try await Self.eventually {
            try await reader.tasks(commitPrefix: prefix, limit: 50).first?.status == .cancelled
        })
        try await reader.close()
        try await writer.close()
        try await database.drop()
    }
}
