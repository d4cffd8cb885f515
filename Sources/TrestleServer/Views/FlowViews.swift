import TrestleCore

/// add_descriptor.json's answer: `{"ret":true,"descriptor_id":…}`.
struct DescriptorAddedView: Encodable {
    let ret = true
    let descriptor_id: String
}

/// submit.json's answer: `{"execution_id":…}`.
struct SubmittedView: Encodable {
    let execution_id: String
}

/// finish.json's (and the callback URL's) answer: `{"result":"ok"}`.
struct FinishedView: Encodable {
    let result = "ok"
}

/// get.json's answer: `{"ret":{…}}`, the execution in Rill Flow's words; `tasks` left out when brief.
struct FlowExecutionView: Encodable {
    struct Execution: Encodable {
        let execution_id: String
        let descriptor_id: String
        let dag_status: String
        let process: Int
        let context: JSONValue
        let submit_time: Int64
        let start_time: Int64
        let end_time: Int64
        let callback_state: String?
        let tasks: [String: TaskView]?
    }

    struct TaskView: Encodable {
        let contains_sub = false
        let name: String
        let next: [String]
        let status: String
        let task: FlowTaskSpec
        let input: JSONValue?
        let output: JSONValue?
        let error: String?
        let tries: Int
        let start_time: Int64
        let end_time: Int64
    }

    let ret: Execution

    init(_ record: TaskRecord, execution: FlowExecution, brief: Bool) {
        let jobs = record.currentStages.flatMap(\.jobs)
        let rules = execution.descriptor.rules
        var tasks: [String: TaskView] = [:]
        for spec in execution.descriptor.tasks {
            guard let job = jobs.first(where: { $0.name == spec.name }) else { continue }
            let values = execution.values[spec.name]
            tasks[spec.name] = TaskView(
                name: spec.name, next: spec.next,
                status: FlowStatusWords.task(job, in: jobs, rules: rules, flow: record.summary.status),
                task: spec, input: values?.input, output: values?.output, error: job.error, tries: values?.tries ?? 0,
                start_time: job.startTime, end_time: job.endTime)
        }
        ret = Execution(
            execution_id: FlowIDs.executionID(workflow: record.summary.workflow, taskID: record.summary.taskID),
            descriptor_id: execution.descriptorID, dag_status: FlowStatusWords.dag(record.summary.status),
            process: FlowStatusWords.process(jobs), context: execution.context, submit_time: record.summary.createTime,
            start_time: record.summary.startTime, end_time: record.summary.endTime,
            callback_state: execution.callbackState, tasks: brief ? nil : tasks)
    }
}
