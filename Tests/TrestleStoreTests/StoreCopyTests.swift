import Foundation
import Testing
import TrestleCore
import TrestleStore

@Suite("Store copy between engines")
struct StoreCopyTests {
    /// A store with a row in every table: tasks with commits and a second attempt, deliveries done
    /// and pending, coalescing and subjects, commit statuses and a merge request note, a flow.
    static func populate(_ store: any TaskStore) async throws {
        for index in 1...7 {
            _ = try await store.createTask(Tasks.new(workflow: index.isMultiple(of: 2) ? "even" : "odd",
                                                     commits: [Tasks.commit(0x1a2b_3c4d_0000 + index), Tasks.commit(index)],
                                                     time: Int64(index)))
        }
        _ = try await store.cancelTask(workflow: "odd", taskID: 1, by: TaskTrigger(kind: .api, by: "ana"), at: 20)
        _ = try await store.restartTask(workflow: "odd", taskID: 1, by: TaskTrigger(kind: .api, by: "bo"), at: 21)
        var body = Data("{\"ref\":\"refs/heads/main\"}".utf8)
        body.append(contentsOf: [0xff, 0x00, 0xfe])
        let deliveries = ["a", "b", "c"].map {
            NewDelivery(dedupeKey: $0, eventHeader: "Push Hook", repo: "repo", receivedTime: 30,
                        headers: ["X-Gitlab-Event": "Push Hook", "User-Agent": "GitLab \"17\"\n"], body: body)
        }
        _ = try await store.recordDeliveries(deliveries)
        var merged = PlannedWebhookTask(task: Tasks.new(commits: [Tasks.commit(0xbeef)], time: 40), coalescingKey: "k1",
                                        subject: "mr:7", autoCancel: true)
        merged.commitStatus = CommitStatusTarget(repo: "repo", projectID: 12, sha: Tasks.commit(0xbeef), ref: "feature",
                                                 mergeRequestIID: 7, notesMergeRequest: true)
        let outcomes = try await store.completeDeliveries([
            DeliveryCompletion(id: 1, outcome: DeliveryOutcome(state: .created, reason: "matched"), tasks: [merged]),
        ], at: 41)
        let built = try #require(outcomes.first?.tasks.first)
        try await store.postponeDelivery(id: 2, attempts: DeliveryAttempts(failures: 1, lastError: "fetch failed", nextTime: 99))
        _ = try await store.claimTasks(RunLimits(total: 2), runner: "host-1", at: 50)
        _ = try await store.cancelTask(workflow: built.workflow, taskID: built.taskID, by: TaskTrigger(kind: .api, by: "ana"), at: 51)
        let descriptor = FlowStoreTests.descriptor
        try await store.saveFlowDescriptor(StoredFlowDescriptor(id: descriptor.id, businessID: "ws", featureName: "f", alias: "release",
                                                                yaml: "version: 1", descriptor: descriptor, updateTime: 60))
        let flow = try await store.createFlowExecution(FlowStoreTests.newTask(), execution: FlowExecution(
            descriptorID: descriptor.id, descriptor: descriptor, context: .object(["n": .number(1)]), callbackURL: "http://cb.test/x"))
        try await store.recordFlowTaskInput(workflow: descriptor.id, taskID: flow.summary.taskID, task: "a",
                                            input: .object(["n": .number(1)]), tries: 1)
    }

    /// Every row of every table, in key order.
    static func everything(_ store: any TaskStore) async throws -> [String: [[StoreValue]]] {
        var tables: [String: [[StoreValue]]] = [:]
        for table in StoreTables.all { tables[table.name] = try await store.rows(table, after: nil, limit: 1_000_000) }
        return tables
    }

    @Test("a SQLite store copied to PostgreSQL and back keeps every row of every table, and the copies answer alike")
    func roundTrip() async throws {
        let (sqlite, closeSQLite) = try await StoreKind.sqlite.open()
        let (postgres, closePostgres) = try await StoreKind.postgres.open()
        let (back, closeBack) = try await StoreKind.sqlite.open()
        try await Self.populate(sqlite)
        let original = try await Self.everything(sqlite)
        for table in StoreTables.all { #expect(original[table.name]?.isEmpty == false, "no row in \(table.name) to copy") }

        // Pages of 3 rows: every composite key is paged past.
        let there = try await StoreCopy.copy(from: sqlite, to: postgres, pageSize: 3)
        #expect(try await Self.everything(postgres) == original)
        #expect(there.rows("tasks") == original["tasks"]?.count)
        #expect(there.checkedQueries > 0)
        _ = try await StoreCopy.copy(from: postgres, to: back, pageSize: 3)
        #expect(try await Self.everything(back) == original)

        // Both copies carry on numbering where the original stopped.
        for store in [postgres, back] {
            #expect(try await store.createTask(Tasks.new(workflow: "odd")).summary.taskID == 5)
            #expect(try await store.recordDeliveries([DeliveryStoreTests.delivery("d")]).map(\.id) == [4])
            #expect(try await store.recordDeliveries([DeliveryStoreTests.delivery("a")]).map(\.id) == [1])
            let shared = try CommitPrefix(parsing: String(Tasks.commit(0x1a2b_3c4d_0000).hex.prefix(39)))
            #expect(try await store.tasks(commitPrefix: shared, limit: 50).count == 7)
        }
        try await closeSQLite()
        try await closePostgres()
        try await closeBack()
    }

    @Test("a copy into a store that already has rows is refused, naming the table, and writes nothing", arguments: StoreKind.allCases)
    func refusesAStoreWithRows(kind: StoreKind) async throws {
        let (source, closeSource) = try await StoreKind.sqlite.open()
        let (destination, closeDestination) = try await kind.open()
        try await Self.populate(source)
        _ = try await destination.createTask(Tasks.new(workflow: "other"))
        await #expect(throws: StoreCopyError.destinationNotEmpty(table: "workflow_sequences", rows: 1)) {
            try await StoreCopy.copy(from: source, to: destination)
        }
        #expect(try await destination.tasks(workflow: "odd", limit: 10).isEmpty)
        try await closeSource()
        try await closeDestination()
    }
}
