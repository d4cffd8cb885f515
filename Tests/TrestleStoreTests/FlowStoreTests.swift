import Foundation
import Testing
import TrestleCore
import TrestlePostgres
import TrestleSQLite
import TrestleStore

@Suite("Flow store: descriptors, execution contexts and task values (v7)")
struct FlowStoreTests {
    static let descriptor = FlowDescriptor(version: "1", workspace: "ws", dagName: "dag", tasks: [
        FlowTaskSpec(name: "a", category: .pass, next: ["b"]), FlowTaskSpec(name: "b", category: .pass),
    ])

    static func newTask() -> NewTask {
        NewTask(workflow: descriptor.id, project: "ws", env: "flow", trigger: TaskTrigger(kind: .api, by: "test"),
                arguments: TaskArguments(targets: [], releaseImages: []), stages: descriptor.stages, createTime: 5)
    }

    @Test("a descriptor is stored and replaced by its id", arguments: StoreKind.allCases)
    func aDescriptorIsStoredAndReplacedByItsID(kind: StoreKind) async throws {
        let (store, close) = try await kind.open()
        var stored = StoredFlowDescriptor(id: "ws:dag", businessID: "ws", featureName: "f", alias: "release", yaml: "x",
                                          descriptor: Self.descriptor, updateTime: 1)
        try await store.saveFlowDescriptor(stored)
        stored.alias = "second"
        stored.updateTime = 2
        try await store.saveFlowDescriptor(stored)
        #expect(try await store.flowDescriptor(id: "ws:dag") == stored)
        #expect(try await store.flowDescriptor(id: "ws:other") == nil)
        try await close()
    }

    @Test func anExecutionIsATaskWhoseContextAndValuesSurviveReopening() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("trestle-flow-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("t.sqlite").path
        let store = try SQLiteTaskStore(path: path)
        let context = JSONValue.object(["left": .number(1)])
        let task = try await store.createFlowExecution(Self.newTask(), execution: FlowExecution(
            descriptorID: "ws:dag", descriptor: Self.descriptor, context: context, callbackURL: "http://cb.test/done"))
        #expect(task.summary.workflow == "ws:dag")
        #expect(task.currentStages.first?.jobs.map(\.name) == ["a", "b"])
        let id = task.summary.taskID
        try await store.recordFlowTaskInput(workflow: "ws:dag", taskID: id, task: "a", input: context, tries: 1)
        let later = JSONValue.object(["left": .number(1), "sum": .number(2)])
        try await store.recordFlowTaskOutput(workflow: "ws:dag", taskID: id, task: "a", output: .object(["sum": .number(2)]),
                                             context: later, contextVersion: 2)
        // An older context snapshot written late does not win.
        try await store.recordFlowTaskOutput(workflow: "ws:dag", taskID: id, task: "b", output: nil, context: context,
                                             contextVersion: 1)
        try await store.close()

        let reopened = try SQLiteTaskStore(path: path)
        let execution = try #require(try await reopened.flowExecution(workflow: "ws:dag", taskID: id))
        #expect(execution.context == later)
        #expect(execution.contextVersion == 2)
        #expect(execution.callbackURL == "http://cb.test/done")
        #expect(execution.descriptor == Self.descriptor)
        #expect(execution.values["a"] == FlowTaskValues(input: context, output: .object(["sum": .number(2)]), tries: 1))
        #expect(try await reopened.flowExecution(workflow: "ws:dag", taskID: id + 1) == nil)
        try await reopened.close()
    }

    @Test("on PostgreSQL too, an execution's context and values survive a new client on the same database")
    func anExecutionSurvivesANewPostgresClient() async throws {
        let database = try await PostgresTestDatabase.create()
        let store = try await PostgresTaskStore(url: database.url, poolSize: 2)
        let context = JSONValue.object(["left": .number(1)])
        let task = try await store.createFlowExecution(Self.newTask(), execution: FlowExecution(
            descriptorID: "ws:dag", descriptor: Self.descriptor, context: context, callbackURL: "http://cb.test/done"))
        let id = task.summary.taskID
        try await store.recordFlowTaskInput(workflow: "ws:dag", taskID: id, task: "a", input: context, tries: 1)
        let later = JSONValue.object(["left": .number(1), "sum": .number(2)])
        try await store.recordFlowTaskOutput(workflow: "ws:dag", taskID: id, task: "a", output: .object(["sum": .number(2)]),
                                             context: later, contextVersion: 2)
        try await store.recordFlowTaskOutput(workflow: "ws:dag", taskID: id, task: "b", output: nil, context: context,
                                             contextVersion: 1)
        try await store.recordFlowCallback(workflow: "ws:dag", taskID: id, state: "SUCCEED")
        try await store.close()

        let reopened = try await PostgresTaskStore(url: database.url, poolSize: 2)
        let execution = try #require(try await reopened.flowExecution(workflow: "ws:dag", taskID: id))
        #expect(execution.context == later)
        #expect(execution.contextVersion == 2)
        #expect(execution.callbackState == "SUCCEED")
        #expect(execution.descriptor == Self.descriptor)
        #expect(execution.values["a"] == FlowTaskValues(input: context, output: .object(["sum": .number(2)]), tries: 1))
        try await reopened.close()
        try await database.drop()
    }
}
