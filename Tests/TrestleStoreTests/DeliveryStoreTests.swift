import Foundation
import Testing
import TrestleCore
import TrestleStore
@testable import TrestleSQLite

@Suite("Webhook inbox in the store")
struct DeliveryStoreTests {
    static func delivery(_ key: String) -> NewDelivery {
        NewDelivery(dedupeKey: key, eventHeader: "Push Hook", repo: "repo", receivedTime: 10,
                    headers: ["X-Gitlab-Event": "Push Hook", "User-Agent": "GitLab \"17\"\n"], body: Data("{}".utf8))
    }

    static func planned(commit: Int, key: String?, autoCancel: Bool = false) -> PlannedWebhookTask {
        PlannedWebhookTask(task: Tasks.new(commits: [Tasks.commit(commit)]), coalescingKey: key,
                           subject: "branch:main", autoCancel: autoCancel)
    }

    @Test("group-committed deliveries get gapless ids; a repeated key answers the first delivery's outcome", arguments: StoreKind.allCases)
    func recordAndDedupe(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        let receipts = try await store.recordDeliveries([Self.delivery("a"), Self.delivery("b"), Self.delivery("a")])
        #expect(receipts.map(\.id) == [1, 2, 1])
        #expect(receipts.map { $0.duplicateOf == nil } == [true, true, false])
        #expect(receipts[2].duplicateOf?.state == .pending)
        #expect(try await store.pendingDeliveries(limit: 10, dueAt: .max).map(\.id) == [1, 2])
        let stored = try #require(try await store.delivery(id: 1))
        #expect(stored.delivery.headers == Self.delivery("a").headers)
        let third = try await store.recordDeliveries([Self.delivery("c")])
        #expect(third.map(\.id) == [3])
        try await close()
    }

    @Test("a coalescing key makes one task per workflow; auto_cancel cancels older tasks of the same branch", arguments: StoreKind.allCases)
    func coalesceAndAutoCancel(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.recordDeliveries([Self.delivery("a"), Self.delivery("b"), Self.delivery("c")])
        let created = DeliveryOutcome(state: .created, reason: "matched")
        let outcomes = try await store.completeDeliveries([
            DeliveryCompletion(id: 1, outcome: created, tasks: [Self.planned(commit: 1, key: "k1")]),
            DeliveryCompletion(id: 2, outcome: created, tasks: [Self.planned(commit: 1, key: "k1")]),
            DeliveryCompletion(id: 3, outcome: created, tasks: [Self.planned(commit: 2, key: "k2", autoCancel: true)]),
        ], at: 50)
        #expect(outcomes[0].tasks == [CreatedTaskRef(workflow: "wf", taskID: 1)])
        #expect(outcomes[1].state == .ignored)
        #expect(outcomes[1].reason.contains("same build as delivery 1 (task 1)"))
        #expect(outcomes[2].tasks == [CreatedTaskRef(workflow: "wf", taskID: 2)])
        #expect(outcomes[2].reason.contains("cancelled older task 1 of branch:main (auto_cancel)"))
        #expect(try await store.task(workflow: "wf", taskID: 1)?.summary.status == .cancelled)
        #expect(try await store.task(workflow: "wf", taskID: 2)?.summary.status == .created)
        #expect(try await store.pendingDeliveries(limit: 10, dueAt: .max).isEmpty)
        #expect(try await store.deliveries(limit: 10).map(\.outcome.state) == [.created, .ignored, .created])
        try await close()
    }

    @Test("a postponed delivery stays pending, out of the due list until its time, its failed tries and error shown",
          arguments: StoreKind.allCases)
    func postponedDeliveryWaitsForItsTime(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.recordDeliveries([Self.delivery("a"), Self.delivery("b")])
        let attempts = DeliveryAttempts(failures: 1, lastError: "fetch failed: connection refused", nextTime: 100)
        try await store.postponeDelivery(id: 1, attempts: attempts)
        #expect(try await store.pendingDeliveries(limit: 10, dueAt: 99).map(\.id) == [2])
        let due = try await store.pendingDeliveries(limit: 10, dueAt: 100)
        #expect(due.map(\.id) == [1, 2])
        #expect(due.first?.attempts == attempts)
        #expect(try await store.deliveries(limit: 10).last?.attempts == attempts)
        #expect(try await store.delivery(id: 1)?.attempts == attempts)
        #expect(try await store.delivery(id: 1)?.outcome.state == .pending)
        try await close()
    }

    @Test("an older task's commit statuses are superseded once a newer task of the workflow has the same commit",
          arguments: StoreKind.allCases)
    func olderTasksStatusesAreSuperseded(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.recordDeliveries([Self.delivery("a"), Self.delivery("b")])
        func planned() -> PlannedWebhookTask {
            var plan = Self.planned(commit: 1, key: nil)
            plan.commitStatus = CommitStatusTarget(repo: "repo", sha: Tasks.commit(1), ref: "main")
            return plan
        }
        let created = DeliveryOutcome(state: .created, reason: "matched")
        _ = try await store.completeDeliveries([DeliveryCompletion(id: 1, outcome: created, tasks: [planned()])], at: 10)
        #expect(try await store.dueCommitStatuses(now: 10, limit: 10).map(\.task.taskID) == [1])
        _ = try await store.completeDeliveries([DeliveryCompletion(id: 2, outcome: created, tasks: [planned()])], at: 11)
        // Task 1's pending (never sent) and its later states are superseded by task 2's.
        _ = try await store.claimTasks(RunLimits(total: 1), runner: "r", at: 12)
        let due = try await store.dueCommitStatuses(now: 12, limit: 10)
        #expect(due.map(\.task.taskID) == [2])
        #expect(try await store.commitStatus(workflow: "wf", taskID: 1)?.lastError?.contains("superseded") == true)
        // A task of the same commit on another ref (a tag) supersedes nothing: GitLab keys statuses by ref too.
        _ = try await store.recordDeliveries([Self.delivery("c")])
        var tag = planned()
        tag.commitStatus?.ref = "v1.0"
        _ = try await store.completeDeliveries([DeliveryCompletion(id: 3, outcome: created, tasks: [tag])], at: 13)
        #expect(try await store.dueCommitStatuses(now: 13, limit: 10).map(\.task.taskID) == [2, 3])
        try await close()
    }

    @Test("a delivery completed twice (two processes polling one store) creates its tasks once; a stale postpone is a no-op",
          arguments: StoreKind.allCases)
    func completionIsAClaim(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.recordDeliveries([Self.delivery("a")])
        let created = DeliveryOutcome(state: .created, reason: "matched")
        let first = try await store.completeDeliveries([DeliveryCompletion(id: 1, outcome: created, tasks: [Self.planned(commit: 1, key: nil)])], at: 10)
        let second = try await store.completeDeliveries([DeliveryCompletion(id: 1, outcome: created, tasks: [Self.planned(commit: 1, key: nil)])], at: 11)
        #expect(first[0].tasks == [CreatedTaskRef(workflow: "wf", taskID: 1)])
        #expect(second[0] == first[0])
        #expect(try await store.task(workflow: "wf", taskID: 2) == nil)
        _ = try await store.recordDeliveries([Self.delivery("b")])
        let attempts = DeliveryAttempts(failures: 1, lastError: "fetch failed", nextTime: 50)
        try await store.postponeDelivery(id: 2, attempts: attempts)
        try await store.postponeDelivery(id: 2, attempts: DeliveryAttempts(failures: 1, lastError: "other process", nextTime: 60))
        #expect(try await store.delivery(id: 2)?.attempts == attempts)
        try await close()
    }

    @Test("a delivery tried again after a newer one of its branch was built neither builds nor cancels the newer task",
          arguments: StoreKind.allCases)
    func aRetriedOlderDeliveryDoesNotCancelTheNewer(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        _ = try await store.recordDeliveries([Self.delivery("a"), Self.delivery("b")])
        let created = DeliveryOutcome(state: .created, reason: "matched")
        _ = try await store.completeDeliveries([DeliveryCompletion(id: 2, outcome: created,
                                                                   tasks: [Self.planned(commit: 2, key: "k2", autoCancel: true)])], at: 10)
        let older = try await store.completeDeliveries([DeliveryCompletion(id: 1, outcome: created,
                                                                           tasks: [Self.planned(commit: 1, key: "k1", autoCancel: true)])], at: 11)
        #expect(older[0].tasks.isEmpty)
        #expect(older[0].reason.contains("delivery 2 of branch:main is newer"), "\(older[0].reason)")
        #expect(try await store.task(workflow: "wf", taskID: 1)?.summary.status == .created)
        try await close()
    }

    @Test("the backlog counts pending deliveries and says when the oldest arrived; none once they are completed",
          arguments: StoreKind.allCases)
    func backlog(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        #expect(try await store.deliveryBacklog() == DeliveryBacklog(pending: 0, oldestReceivedTime: nil))
        _ = try await store.recordDeliveries([Self.delivery("a"), Self.delivery("b")])
        #expect(try await store.deliveryBacklog() == DeliveryBacklog(pending: 2, oldestReceivedTime: 10))
        let ignored = DeliveryOutcome(state: .ignored, reason: "no rule")
        _ = try await store.completeDeliveries([DeliveryCompletion(id: 1, outcome: ignored, tasks: []),
                                                DeliveryCompletion(id: 2, outcome: ignored, tasks: [])], at: 20)
        #expect(try await store.deliveryBacklog().pending == 0)
        try await close()
    }
}
