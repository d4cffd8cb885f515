import TrestleCore

/// Seed 000's answer to `GET /api/directory/workflowTask?commitId=`, one element per task.
struct TaskStatusView: Encodable {
    let task_id: Int64
    let create_time: Int64
    let start_time: Int64
    let end_time: Int64
    let status: String
    let url: String

    init(_ summary: TaskSummary, url: String) {
        task_id = summary.taskID
        create_time = summary.createTime
        start_time = summary.startTime
        end_time = summary.endTime
        status = summary.status.rawValue
        self.url = url
    }
}

/// Seed 000's success body.
struct SuccessView: Encodable {
    let message = "success"
}

/// Seed 000's create success body, `{"message":"success"}`, plus what a script needs next:
/// the task id, the workflow it belongs to and its link.
struct CreatedTaskView: Encodable {
    let message = "success"
    let task_id: Int64
    let pipeline_name: String
    let url: String
}

/// One task in full, at its url: seed 000's fields, its arguments, and every attempt's stages and jobs.
struct TaskDetailView: Encodable {
    let task_id: Int64
    let workflow_name: String
    let project_name: String
    let env_name: String
    let status: String
    let create_time: Int64
    let start_time: Int64
    let end_time: Int64
    let url: String
    let triggered_by: TriggerView
    let attempt: Int
    let targets: [TargetArguments]
    let release_images: [ReleaseImage]
    let stages: [StageView]
    let attempts: [AttemptView]
    /// Webhook tasks with GitLab configured: the commit status GitLab should show, the last it took, and why a send failed.
    let commit_status: CommitStatusView?

    init(_ record: TaskRecord, url: String, commitStatus: CommitStatusRecord? = nil) {
        let summary = record.summary
        task_id = summary.taskID
        workflow_name = summary.workflow
        project_name = summary.project
        env_name = record.env
        status = summary.status.rawValue
        create_time = summary.createTime
        start_time = summary.startTime
        end_time = summary.endTime
        self.url = url
        triggered_by = TriggerView(record.trigger)
        attempt = record.attempt
        targets = record.arguments.targets
        release_images = record.arguments.releaseImages
        stages = record.currentStages.map(StageView.init)
        attempts = record.attempts.map(AttemptView.init)
        commit_status = commitStatus.map(CommitStatusView.init)
    }
}

struct CommitStatusView: Encodable {
    let wanted: String
    let sent: String
    let last_error: String

    init(_ record: CommitStatusRecord) {
        wanted = record.wanted.rawValue
        sent = record.sent?.rawValue ?? ""
        last_error = record.lastError ?? ""
    }
}

struct TriggerView: Encodable {
    let kind: String
    let name: String

    init(_ trigger: TaskTrigger) {
        kind = trigger.kind.rawValue
        name = trigger.by
    }
}

struct AttemptView: Encodable {
    let attempt: Int
    let status: String
    let triggered_by: TriggerView
    let create_time: Int64
    let start_time: Int64
    let end_time: Int64
    let cancelled_by: String
    let stages: [StageView]

    init(_ attempt: TaskAttempt) {
        self.attempt = attempt.number
        status = attempt.status.rawValue
        triggered_by = TriggerView(attempt.trigger)
        create_time = attempt.createTime
        start_time = attempt.startTime
        end_time = attempt.endTime
        cancelled_by = attempt.cancelledBy ?? ""
        stages = attempt.stages.map(StageView.init)
    }
}

struct StageView: Encodable {
    let name: String
    let status: String
    let start_time: Int64
    let end_time: Int64
    let jobs: [JobView]

    init(_ stage: StageRecord) {
        name = stage.name
        status = stage.status.rawValue
        start_time = stage.startTime
        end_time = stage.endTime
        jobs = stage.jobs.map(JobView.init)
    }
}

struct JobView: Encodable {
    let name: String
    let type: String
    let service_name: String
    let status: String
    let start_time: Int64
    let end_time: Int64
    let error: String
    /// The image a build announced, or a deploy used.
    let image: String

    init(_ job: JobRecord) {
        name = job.name
        type = job.kind.rawValue
        service_name = job.target
        status = job.status.rawValue
        start_time = job.startTime
        end_time = job.endTime
        error = job.error ?? ""
        image = job.image ?? ""
    }
}
