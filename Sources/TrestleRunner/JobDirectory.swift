import Foundation
import TrestleCore

/// `<root>/<workflow>/<task id>/<attempt>/<job><suffix>`: where a job's files live under a data dir
/// tree. Every component is a validated name or a number, so no name can climb out of `root`.
enum JobDirectory {
    static func path(root: String, workflow: String, taskID: Int64, attempt: Int, job: String, suffix: String = "") throws -> String {
        guard Names.isValid(workflow), Names.isValid(job) else {
            throw RunnerError("job '\(job.prefix(80))' of workflow '\(workflow.prefix(80))' has a name unsafe for a path (\(Names.rule))")
        }
        return URL(fileURLWithPath: root).appendingPathComponent(workflow).appendingPathComponent(String(taskID))
            .appendingPathComponent(String(attempt)).appendingPathComponent(job + suffix).path
    }
}
