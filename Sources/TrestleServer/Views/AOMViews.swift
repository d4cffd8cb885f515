import TrestleCore

/// Seed 004's `WorkflowExecutionBrief`: one task of the workflow, times in Unix seconds (0: not yet),
/// keys spelled as the seed's table spells them.
struct AOMExecutionView: Encodable {
    let workflow_id: String
    let execution_id: String
    let status: String
    let begin_time: Int64
    let end_time: Int64
    let last_update_time: Int64
    let created_by: String
    let approve_user_name_list: [String]
    let project_id: String
    /// Trestle keeps no edit time of a workflow's config: always 0.
    let workflow_edit_time: Int64
    let execution_result_list: [AOMNodeResultView]

    init(_ record: TaskRecord, links: LinkBase) {
        let summary = record.summary
        workflow_id = summary.workflow
        execution_id = String(summary.taskID)
        status = AOMStatus.word(summary.status)
        begin_time = summary.startTime > 0 ? summary.startTime : summary.createTime
        end_time = summary.endTime
        last_update_time = AOMStatus.lastUpdateTime(record)
        created_by = record.trigger.by
        approve_user_name_list = []
        project_id = summary.project
        workflow_edit_time = 0
        execution_result_list = record.currentStages.flatMap { stage in
            stage.jobs.map { AOMNodeResultView($0, stage: stage.name, summary: summary, attempt: record.attempt, links: links) }
        }
    }
}

/// One job of the current attempt as an `execution_result_list` node.
struct AOMNodeResultView: Encodable {
    let node_id: String
    let begin_time: Int64
    let end_time: Int64
    /// `<task_id>-<attempt>-<job>`: the job's run, as FunctionGraph's execution id is the function's.
    let function_execution_id: String
    let output: Output
    let status: String

    struct Output: Encodable {
        let stage: String
        let type: String
        let service_name: String
        let image: String
        let error: String
        let log_url: String
    }

    init(_ job: JobRecord, stage: String, summary: TaskSummary, attempt: Int, links: LinkBase) {
        node_id = job.name
        begin_time = job.startTime
        end_time = job.endTime
        function_execution_id = "\(summary.taskID)-\(attempt)-\(job.name)"
        output = Output(stage: stage, type: job.kind.rawValue, service_name: job.target, image: job.image ?? "",
                        error: job.error ?? "", log_url: links.jobLogURL(summary, job: job.name))
        status = AOMStatus.word(job.status)
    }
}
