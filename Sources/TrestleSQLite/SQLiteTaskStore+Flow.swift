import TrestleCore
import TrestleStore

extension SQLiteTaskStore {
    public func saveFlowDescriptor(_ descriptor: StoredFlowDescriptor) async throws {
        try await write("store flow descriptor \(descriptor.id)") { db in try SQLiteFlowRows.save(descriptor, db: db) }
    }

    public func flowDescriptor(id: String) async throws -> StoredFlowDescriptor? {
        try await read("read flow descriptor \(id)") { db in try SQLiteFlowRows.descriptor(id: id, db: db) }
    }

    public func createFlowExecution(_ task: NewTask, execution: FlowExecution) async throws -> TaskRecord {
        try await write("create an execution of flow \(task.workflow)") { db in
            try SQLiteFlowRows.create(task, execution: execution, db: db)
        }
    }

    public func flowExecution(workflow: String, taskID: Int64) async throws -> FlowExecution? {
        try await read("read execution \(taskID) of flow \(workflow)") { db in
            try SQLiteFlowRows.execution(workflow: workflow, taskID: taskID, db: db)
        }
    }

    public func recordFlowTaskInput(workflow: String, taskID: Int64, task: String, input: JSONValue, tries: Int) async throws {
        try await write("record the input of \(task) in execution \(taskID) of \(workflow)") { db in
            try SQLiteFlowRows.recordInput(workflow: workflow, taskID: taskID, task: task, input: input, tries: tries, db: db)
        }
    }

    public func recordFlowTaskOutput(workflow: String, taskID: Int64, task: String, output: JSONValue?, context: JSONValue,
                                     contextVersion: Int64) async throws {
        try await write("record the output of \(task) in execution \(taskID) of \(workflow)") { db in
            try SQLiteFlowRows.recordOutput(workflow: workflow, taskID: taskID, task: task, output: output, context: context,
                                            contextVersion: contextVersion, db: db)
        }
    }

    public func recordFlowCallback(workflow: String, taskID: Int64, state: String) async throws {
        try await write("record the callback of execution \(taskID) of \(workflow)") { db in
            try SQLiteFlowRows.recordCallback(workflow: workflow, taskID: taskID, state: state, db: db)
        }
    }
}
