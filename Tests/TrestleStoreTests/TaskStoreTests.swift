import Foundation
import Testing
import TrestleCore
import TrestleStore
@testable import TrestleSQLite

@Suite("Task store")
struct TaskStoreTests {
    @Test("task ids count from 1 per workflow", arguments: StoreKind.allCases)
    func sequentialTaskIDs(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let a1 = try await store.createTask(Tasks.new(workflow: "a"))
        let a2 = try await store.createTask(Tasks.new(workflow: "a"))
        let b1 = try await store.createTask(Tasks.new(workflow: "b"))
        #expect([a1.summary.taskID, a2.summary.taskID, b1.summary.taskID] == [1, 2, 1])
        #expect(a1.summary.status == .created)
        #expect(a1.attempts.count == 1)
        #expect(a1.currentStages.map(\.name) == ["build", "deploy"])
        try await close()
    }

    @Test("concurrent creates give each workflow a gapless sequence without duplicates", arguments: StoreKind.allCases)
    func concurrentCreates(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let ids = try await withThrowingTaskGroup(of: (String, Int64).self) { group in
            for index in 0..<120 {
                let workflow = index.isMultiple(of: 2) ? "even" : "odd"
                group.addTask { (workflow, try await store.createTask(Tasks.new(workflow: workflow)).summary.taskID) }
            }
            return try await group.reduce(into: [String: [Int64]]()) { $0[$1.0, default: []].append($1.1) }
        }
        #expect(ids["even"]?.sorted() == Array(1...60))
        #expect(ids["odd"]?.sorted() == Array(1...60))
        try await close()
    }

    @Test("tasks are found by a set of full commit ids, newest first, each task once", arguments: StoreKind.allCases)
    func setLookups(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let (a, b, c) = (Tasks.commit(0xa), Tasks.commit(0xb), Tasks.commit(0xc))
        let both = try await store.createTask(Tasks.new(commits: [a, b], time: 100))
        let onlyB = try await store.createTask(Tasks.new(commits: [b], time: 200))
        _ = try await store.createTask(Tasks.new(commits: [c], time: 300))
        let found = try await store.tasks(commits: [a, b], limit: 50)
        #expect(found.map(\.taskID) == [onlyB.summary.taskID, both.summary.taskID])
        #expect(try await store.tasks(commits: [a, b], limit: 1).count == 1)
        #expect(try await store.tasks(commits: [], limit: 50).isEmpty)
        try await close()
    }

    @Test("the commits built from a repo come newest first, each once, and only from that repo", arguments: StoreKind.allCases)
    func commitsByRepo(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let (a, b, c) = (Tasks.commit(0xa), Tasks.commit(0xb), Tasks.commit(0xc))
        _ = try await store.createTask(Tasks.new(commits: [a], time: 100, repo: "api"))
        _ = try await store.createTask(Tasks.new(commits: [b], time: 200, repo: "api"))
        _ = try await store.createTask(Tasks.new(commits: [a], time: 300, repo: "api"))
        _ = try await store.createTask(Tasks.new(commits: [c], time: 400, repo: "web"))
        #expect(try await store.commits(builtFrom: "api", limit: 10) == [a, b])
        #expect(try await store.commits(builtFrom: "api", limit: 1) == [a])
        #expect(try await store.commits(builtFrom: "web", limit: 10) == [c])
        #expect(try await store.commits(builtFrom: "none", limit: 10).isEmpty)
        try await close()
    }

    @Test("tasks are found by a full id and by 4-, 8- and 12-character prefixes, newest first", arguments: StoreKind.allCases)
    func prefixLookups(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let target = CommitID("1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b")!
        let neighbour = CommitID("1a2b3c4e00000000000000000000000000000000")!
        let older = try await store.createTask(Tasks.new(commits: [target], time: 100))
        let newer = try await store.createTask(Tasks.new(workflow: "other", commits: [target], time: 200))
        _ = try await store.createTask(Tasks.new(commits: [neighbour], time: 300))
        _ = try await store.createTask(Tasks.new(time: 400))

        let byFull = try await store.tasks(commitPrefix: CommitPrefix(parsing: target.hex), limit: 50)
        #expect(byFull.map(\.workflow) == ["other", "wf"])
        #expect(byFull.map(\.taskID) == [newer.summary.taskID, older.summary.taskID])
        let by8 = try await store.tasks(commitPrefix: CommitPrefix(parsing: "1a2b3c4d"), limit: 50)
        #expect(by8.count == 2)
        let by4 = try await store.tasks(commitPrefix: CommitPrefix(parsing: "1a2b"), limit: 50)
        #expect(by4.count == 3)
        #expect(by4.first?.createTime == 300)
        let by12 = try await store.tasks(commitPrefix: CommitPrefix(parsing: "1a2b3c4e0000"), limit: 50)
        #expect(by12.count == 1)
        let none = try await store.tasks(commitPrefix: CommitPrefix(parsing: "ffff0000"), limit: 50)
        #expect(none.isEmpty)
        let limited = try await store.tasks(commitPrefix: CommitPrefix(parsing: "1a2b"), limit: 1)
        #expect(limited.count == 1)
        try await close()
    }

    @Test("a task that builds two commits is found once by a prefix both share", arguments: StoreKind.allCases)
    func oneTaskPerMatch(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.createTask(Tasks.new(commits: [
            CommitID("abcd000000000000000000000000000000000001")!, CommitID("abcd000000000000000000000000000000000002")!,
        ]))
        let found = try await store.tasks(commitPrefix: CommitPrefix(parsing: "abcd0000"), limit: 50)
        #expect(found.count == 1)
        try await close()
    }

    @Test("cancel ends every waiting job; restart keeps the task id and the earlier attempt", arguments: StoreKind.allCases)
    func cancelThenRestart(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let created = try await store.createTask(Tasks.new(targets: ["a", "b"]))
        let by = TaskTrigger(kind: .api, by: "ops")
        let cancelled = try await store.cancelTask(workflow: "wf", taskID: created.summary.taskID, by: by, at: 2_000)
        #expect(cancelled.summary.status == .cancelled)
        #expect(cancelled.summary.endTime == 2_000)
        #expect(cancelled.currentStages.allSatisfy { $0.status == .cancelled })
        #expect(cancelled.currentStages.flatMap(\.jobs).allSatisfy { $0.status == .cancelled && $0.endTime == 2_000 })

        let restarted = try await store.restartTask(workflow: "wf", taskID: created.summary.taskID,
                                                    by: TaskTrigger(kind: .restart, by: "ops"), at: 3_000)
        #expect(restarted.summary.taskID == created.summary.taskID)
        #expect(restarted.summary.status == .created)
        #expect(restarted.summary.endTime == 0)
        #expect(restarted.attempt == 2)
        #expect(restarted.attempts.map(\.status) == [.cancelled, .created])
        #expect(restarted.attempts[1].trigger == TaskTrigger(kind: .restart, by: "ops"))
        #expect(restarted.attempts[0].stages.flatMap(\.jobs).allSatisfy { $0.status == .cancelled })
        #expect(restarted.attempts[0].cancelledBy == "ops")
        #expect(restarted.attempts[1].cancelledBy == nil)
        #expect(restarted.currentStages.flatMap(\.jobs).allSatisfy { $0.status == .created })

        let reread = try await store.task(workflow: "wf", taskID: created.summary.taskID)
        #expect(reread == restarted)
        try await close()
    }

    @Test("illegal transitions and unknown tasks are refused and change nothing", arguments: StoreKind.allCases)
    func refusals(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let by = TaskTrigger(kind: .api, by: "ops")
        let created = try await store.createTask(Tasks.new())
        await #expect(throws: TaskOperationFailure.illegalTransition(workflow: "wf", taskID: 1,
                                                                     IllegalTransition(from: .created, event: .restart))) {
            try await store.restartTask(workflow: "wf", taskID: 1, by: by, at: 5)
        }
        _ = try await store.cancelTask(workflow: "wf", taskID: 1, by: by, at: 5)
        await #expect(throws: TaskOperationFailure.illegalTransition(workflow: "wf", taskID: 1,
                                                                     IllegalTransition(from: .cancelled, event: .cancel))) {
            try await store.cancelTask(workflow: "wf", taskID: 1, by: by, at: 6)
        }
        await #expect(throws: TaskOperationFailure.taskNotFound(workflow: "wf", taskID: 99)) {
            try await store.cancelTask(workflow: "wf", taskID: 99, by: by, at: 6)
        }
        await #expect(throws: TaskOperationFailure.taskNotFound(workflow: "nope", taskID: 1)) {
            try await store.restartTask(workflow: "nope", taskID: 1, by: by, at: 6)
        }
        let after = try await store.task(workflow: "wf", taskID: created.summary.taskID)
        #expect(after?.summary.endTime == 5)
        #expect(after?.attempts.count == 1)
        try await close()
    }

    @Test("bulk creates continue the workflow's sequence", arguments: StoreKind.allCases)
    func bulkCreate(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.createTask(Tasks.new())
        try await store.createTasks((0..<50).map { Tasks.new(commits: [Tasks.commit($0 + 1)]) })
        let next = try await store.createTask(Tasks.new())
        #expect(next.summary.taskID == 52)
        let found = try await store.tasks(commitPrefix: CommitPrefix(parsing: Tasks.commit(7).hex), limit: 5)
        #expect(found.map(\.taskID) == [8])
        try await close()
    }

    @Test("a workflow's tasks come newest first, whole, at most the limit, and only that workflow's", arguments: StoreKind.allCases)
    func tasksOfWorkflow(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        for index in 0..<5 {
            _ = try await store.createTask(Tasks.new(workflow: "a", time: Int64(100 + index)))
            _ = try await store.createTask(Tasks.new(workflow: "b", time: Int64(100 + index)))
        }
        _ = try await store.cancelTask(workflow: "a", taskID: 4, by: TaskTrigger(kind: .api, by: "test"), at: 200)
        let newest = try await store.tasks(workflow: "a", limit: 3)
        #expect(newest.map(\.summary.taskID) == [5, 4, 3])
        #expect(newest.allSatisfy { $0.summary.workflow == "a" })
        #expect(newest[1].summary.status == .cancelled)
        #expect(newest[1].currentStages.map(\.name) == ["build", "deploy"])
        #expect(try await store.tasks(workflow: "a", limit: 50).count == 5)
        #expect(try await store.tasks(workflow: "ghost", limit: 50).isEmpty)
        #expect(try await store.tasks(workflow: "a", limit: 0).isEmpty)
        try await close()
    }
}
