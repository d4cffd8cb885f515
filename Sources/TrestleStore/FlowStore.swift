import TrestleCore

/// What the store keeps of Rill Flow (seed 002) beside the tasks: descriptors, and each
/// execution's context and per-task values. Executions are tasks of the same tables.
public protocol FlowStore: Sendable {
    /// Stores a descriptor, replacing an earlier one of the same id (running executions keep theirs).
    func saveFlowDescriptor(_ descriptor: StoredFlowDescriptor) async throws

    func flowDescriptor(id: String) async throws -> StoredFlowDescriptor?

    /// Stores the execution's task (jobs from the descriptor) and its flow context in one transaction.
    func createFlowExecution(_ task: NewTask, execution: FlowExecution) async throws -> TaskRecord

    func flowExecution(workflow: String, taskID: Int64) async throws -> FlowExecution?

    /// Records a DAG task's input as it starts, and how many calls it has made.
    func recordFlowTaskInput(workflow: String, taskID: Int64, task: String, input: JSONValue, tries: Int) async throws

    /// Records a DAG task's output and the context after its outputMappings (dropped when
    /// `contextVersion` is not newer than the stored one).
    func recordFlowTaskOutput(workflow: String, taskID: Int64, task: String, output: JSONValue?, context: JSONValue,
                              contextVersion: Int64) async throws

    func recordFlowCallback(workflow: String, taskID: Int64, state: String) async throws
}
