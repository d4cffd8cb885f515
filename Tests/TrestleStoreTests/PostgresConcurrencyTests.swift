import Foundation
import Testing
import TrestleCore
import TrestlePostgres
import TrestleStore

/// Several processes on one PostgreSQL database, as API nodes and workers are: each client here
/// is a `PostgresTaskStore` with a pool of its own.
@Suite("PostgreSQL: many clients on one database")
struct PostgresConcurrencyTests {
    static func clients(_ count: Int, on database: PostgresTestDatabase) async throws -> [PostgresTaskStore] {
        var stores: [PostgresTaskStore] = []
        for _ in 0..<count { stores.append(try await PostgresTaskStore(url: database.url, poolSize: 4)) }
        return stores
    }

    @Test("batched and single creates from four clients give each workflow ids 1…n, none twice, none skipped")
    func createsFromManyClients() async throws {
        let database = try await PostgresTestDatabase.create()
        let stores = try await Self.clients(4, on: database)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    for round in 0..<5 {
                        // A batch mixing both workflows, then single creates, interleaved with the other clients'.
                        try await store.createTasks((0..<10).map { Tasks.new(workflow: ($0 + index + round).isMultiple(of: 2) ? "even" : "odd") })
                        _ = try await store.createTask(Tasks.new(workflow: "even"))
                        _ = try await store.createTask(Tasks.new(workflow: "odd"))
                    }
                }
            }
            try await group.waitForAll()
        }
        let counts = ["even": 4 * 5 * (5 + 1), "odd": 4 * 5 * (5 + 1)]
        for (workflow, count) in counts {
            let ids = try await stores[0].tasks(workflow: workflow, limit: 1_000).map(\.summary.taskID)
            #expect(ids.sorted() == Array(1...Int64(count)), "\(workflow): \(ids.sorted())")
        }
        for store in stores { try await store.close() }
        try await database.drop()
    }

    @Test("the same deliveries recorded by four clients at once are stored once each, every client answered with the same id")
    func deliveriesFromManyClients() async throws {
        let database = try await PostgresTestDatabase.create()
        let stores = try await Self.clients(4, on: database)
        let keys = (0..<40).map { "key-\($0)" }
        let answers = try await withThrowingTaskGroup(of: [String: Int64].self) { group in
            for (index, store) in stores.enumerated() {
                group.addTask {
                    // Each client sends every key, in its own order and batches.
                    let order = index.isMultiple(of: 2) ? keys : keys.reversed()
                    var ids: [String: Int64] = [:]
                    for batch in stride(from: 0, to: order.count, by: 7) {
                        let slice = Array(order[batch..<min(batch + 7, order.count)])
                        let receipts = try await store.recordDeliveries(slice.map { DeliveryStoreTests.delivery($0) })
                        for (key, receipt) in zip(slice, receipts) { ids[key] = receipt.id }
                    }
                    return ids
                }
            }
            return try await group.reduce(into: [[String: Int64]]()) { $0.append($1) }
        }
        #expect(Set(answers.map { $0 }).count == 1, "every client was answered with the same id for each key")
        #expect(Set(answers[0].values).count == keys.count)
        #expect(try await stores[0].pendingDeliveries(limit: 100, dueAt: .max).count == keys.count)
        for store in stores { try await store.close() }
        try await database.drop()
    }

    @Test("deliveries of one build completed by two clients at the same moment make one task, the other coalesced into it")
    func coalescingAcrossClients() async throws {
        let database = try await PostgresTestDatabase.create()
        let stores = try await Self.clients(2, on: database)
        let created = DeliveryOutcome(state: .created, reason: "matched")
        for round in 0..<10 {
            // Two nodes each took a different delivery of the same push (another key, the same build).
            let ids = try await stores[0].recordDeliveries([DeliveryStoreTests.delivery("a\(round)"), DeliveryStoreTests.delivery("b\(round)")])
                .map(\.id)
            let outcomes = try await withThrowingTaskGroup(of: DeliveryOutcome.self) { group in
                for (store, id) in zip(stores, ids) {
                    group.addTask {
                        try await store.completeDeliveries([
                            DeliveryCompletion(id: id, outcome: created, tasks: [DeliveryStoreTests.planned(commit: round, key: "k\(round)")]),
                        ], at: 50)[0]
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0.state == .created }.count == 1, "round \(round): \(outcomes)")
            #expect(outcomes.filter { $0.reason.contains("same build as delivery") }.count == 1, "round \(round): \(outcomes)")
        }
        #expect(try await stores[0].tasks(workflow: "wf", limit: 100).count == 10)
        for store in stores { try await store.close() }
        try await database.drop()
    }

    @Test("four clients claiming pending deliveries at once each get different ones; a claim that lapses makes them due again")
    func deliveryClaimsAcrossClients() async throws {
        let database = try await PostgresTestDatabase.create()
        let stores = try await Self.clients(4, on: database)
        _ = try await stores[0].recordDeliveries((0..<40).map { DeliveryStoreTests.delivery("key-\($0)") })
        let claimed = try await withThrowingTaskGroup(of: [Int64].self) { group in
            for store in stores {
                group.addTask {
                    var mine: [Int64] = []
                    while true {
                        let batch = try await store.pendingDeliveries(limit: 3, dueAt: 100, claimingUntil: 130)
                        if batch.isEmpty { return mine }
                        mine += batch.map(\.id)
                    }
                }
            }
            return try await group.reduce(into: [[Int64]]()) { $0.append($1) }
        }
        let all = claimed.flatMap { $0 }
        #expect(all.count == 40, "each delivery claimed once: \(claimed)")
        #expect(Set(all) == Set(1...40))
        // Claimed until 130: nobody else takes one before; after, the first to look does.
        #expect(try await stores[1].pendingDeliveries(limit: 100, dueAt: 129, claimingUntil: 160).isEmpty)
        #expect(try await stores[2].pendingDeliveries(limit: 100, dueAt: 130, claimingUntil: 160).count == 40)
        for store in stores { try await store.close() }
        try await database.drop()
    }

    @Test("a task's commit statuses are claimed one at a time, in order, by whichever client asks; a claimed note is skipped by the others")
    func outboxClaimsAcrossClients() async throws {
        let database = try await PostgresTestDatabase.create()
        let stores = try await Self.clients(2, on: database)
        _ = try await stores[0].recordDeliveries([DeliveryStoreTests.delivery("a")])
        var plan = DeliveryStoreTests.planned(commit: 1, key: nil)
        plan.commitStatus = CommitStatusTarget(repo: "repo", sha: Tasks.commit(1), ref: "main", mergeRequestIID: 7, notesMergeRequest: true)
        _ = try await stores[0].completeDeliveries([DeliveryCompletion(id: 1, outcome: DeliveryOutcome(state: .created, reason: "matched"),
                                                                       tasks: [plan])], at: 10)
        let claimed = try await stores[0].claimTasks(RunLimits(total: 1), runner: "r", at: 11)
        let pending = try await stores[0].dueCommitStatuses(now: 12, limit: 10, claimingUntil: 40)
        #expect(pending.map(\.state) == [.pending])
        // Held by the first client: the second gets neither it nor the task's later "running".
        #expect(try await stores[1].dueCommitStatuses(now: 12, limit: 10, claimingUntil: 40).isEmpty)
        try await stores[0].commitStatusSent(pending[0], error: nil, retryAt: nil)
        let running = try await stores[1].dueCommitStatuses(now: 13, limit: 10, claimingUntil: 40)
        #expect(running.map(\.state) == [.running])
        #expect(try await stores[0].dueCommitStatuses(now: 13, limit: 10, claimingUntil: 40).isEmpty)
        // A client that dies holding a claim: the status is due again once the claim has passed.
        #expect(try await stores[0].dueCommitStatuses(now: 40, limit: 10, claimingUntil: 70).map(\.state) == [.running])

        let ended = TaskProgress.ending(try #require(claimed.first).currentStages, as: .passed, reason: "", at: 50)
        #expect(try await stores[0].recordProgress(workflow: "wf", taskID: 1, attempt: 1, stages: ended, ending: .passed, at: 50))
        let notes = try await stores[0].dueMergeRequestNotes(now: 50, limit: 10, claimingUntil: 80)
        #expect(notes.map(\.status) == [.passed])
        #expect(try await stores[1].dueMergeRequestNotes(now: 50, limit: 10, claimingUntil: 80).isEmpty)
        #expect(try await stores[1].dueMergeRequestNotes(now: 80, limit: 10, claimingUntil: 110).map(\.status) == [.passed])
        for store in stores { try await store.close() }
        try await database.drop()
    }
}
