/// A workflow named by a request of seeds 001, 003 or 004, found in the config, and checked
/// against the project the request names (seed 001's `projectName`, seed 004's `project_id`).
public enum WorkflowLookup {
    /// The workflow `name`, which the request gave as `field`; when `project` is given (as
    /// `projectField`), it must be the workflow's project. Fails with `.workflowNotFound`.
    public static func workflow(_ name: String, field: String, project: String? = nil, projectField: String = "projectName",
                                config: TrestleConfig) throws(TaskOperationFailure) -> WorkflowConfig {
        guard let workflow = config.workflow(named: name) else {
            let known = config.workflows.map(\.name).joined(separator: ", ")
            throw .workflowNotFound("\(field): workflow '\(name.prefix(80))' is not configured (configured: \(known))")
        }
        if let project, !project.isEmpty, project != workflow.project {
            throw .workflowNotFound("\(projectField): workflow '\(name)' belongs to project '\(workflow.project)', not to '\(project.prefix(80))'")
        }
        return workflow
    }
}
