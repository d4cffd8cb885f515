import Foundation

/// How flow ids map onto the core model.
///
/// A descriptor's id is `workspace:dagName` (seed 002's `descriptor_id=demoFlowTest:demoTest`);
/// it is also the workflow name of its executions. An execution is a task of that workflow, and
/// its id is `<descriptor id>_c_<task_id>` (Rill Flow's own `_c_` form), e.g. `demoFlowTest:demoTest_c_3`.
public enum FlowIDs {
    public static let executionSeparator = "_c_"

    public static func descriptorID(workspace: String, dagName: String) -> String { "\(workspace):\(dagName)" }

    public static func executionID(workflow: String, taskID: Int64) -> String { "\(workflow)\(executionSeparator)\(taskID)" }

    /// The workflow and task id of an execution id; nil when it is not one.
    public static func task(ofExecution executionID: String) -> (workflow: String, taskID: Int64)? {
        guard let range = executionID.range(of: executionSeparator, options: .backwards) else { return nil }
        let workflow = String(executionID[..<range.lowerBound])
        guard workflow.contains(":"), let taskID = Int64(executionID[range.upperBound...]), taskID > 0 else { return nil }
        return (workflow, taskID)
    }
}
