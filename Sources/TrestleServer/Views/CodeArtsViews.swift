import TrestleCore

/// Every key of seed 003's answer, for the pipeline, its stages and their tasks alike.
enum CodeArtsKey: String, CodingKey {
    case pipeline_id, pipeline_name, executor, build_id, parameters, states
    case id, name, type, children, error_code, error_msg
    case status, outcome, start_time, end_time, elapsed_time, detail_url
}

/// Status, outcome and times of a task, stage or job, each key always written (null when it has no value yet).
struct CodeArtsProgress {
    let status: String
    let outcome: String?
    let start_time: String?
    let end_time: String?
    let elapsed_time: String?

    init(_ status: TaskStatus, start: Int64, end: Int64, now: Int64) {
        self.status = CodeArtsStatus.status(status)
        outcome = CodeArtsStatus.outcome(status)
        start_time = CodeArtsStatus.time(start)
        end_time = CodeArtsStatus.time(end)
        elapsed_time = CodeArtsStatus.elapsed(start: start, end: end, now: now)
    }

    func encode(into c: inout KeyedEncodingContainer<CodeArtsKey>) throws {
        try c.encode(status, forKey: .status)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(start_time, forKey: .start_time)
        try c.encode(end_time, forKey: .end_time)
        try c.encode(elapsed_time, forKey: .elapsed_time)
    }
}

/// Seed 003's `GET /v3/pipelines/{pipeline_id}/status` answer for one task: the keys of the
/// seed's example, in its spelling.
struct CodeArtsStatusView: Encodable {
    let pipeline_id: String
    let pipeline_name: String
    let executor: String
    let build_id: String
    let progress: CodeArtsProgress
    let detail_url: String
    let parameters: [CodeArtsParameterView]
    let states: [CodeArtsStageView]

    init(_ record: TaskRecord, links: LinkBase, now: Int64) {
        let summary = record.summary
        pipeline_id = summary.workflow
        pipeline_name = summary.workflow
        executor = record.attempts.last?.trigger.by ?? record.trigger.by
        build_id = String(summary.taskID)
        progress = CodeArtsProgress(summary.status, start: summary.startTime, end: summary.endTime, now: now)
        detail_url = links.taskURL(summary)
        parameters = CodeArtsParameterView.all(of: record)
        states = record.currentStages.enumerated().map { index, stage in
            CodeArtsStageView(stage, position: index + 1, summary: summary, links: links, now: now)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodeArtsKey.self)
        try c.encode(pipeline_id, forKey: .pipeline_id)
        try c.encode(pipeline_name, forKey: .pipeline_name)
        try c.encode(executor, forKey: .executor)
        try c.encode(build_id, forKey: .build_id)
        try progress.encode(into: &c)
        try c.encode(detail_url, forKey: .detail_url)
        try c.encode(parameters, forKey: .parameters)
        try c.encode(states, forKey: .states)
    }
}

/// A `parameters` entry: the task's env, each repo's branch, merge request and commit, each image.
struct CodeArtsParameterView: Encodable {
    let name: String
    let value: String

    static func all(of record: TaskRecord) -> [CodeArtsParameterView] {
        var all = [CodeArtsParameterView(name: "env_name", value: record.env)]
        for target in record.arguments.targets {
            for repo in target.build.repos {
                let prefix = "\(target.name).\(repo.repoName)"
                all.append(CodeArtsParameterView(name: "\(prefix).branch", value: repo.branch))
                if repo.pr > 0 { all.append(CodeArtsParameterView(name: "\(prefix).pr", value: String(repo.pr))) }
                if let commit = repo.commitID { all.append(CodeArtsParameterView(name: "\(prefix).commit_id", value: commit.hex)) }
            }
        }
        for image in record.arguments.releaseImages {
            all.append(CodeArtsParameterView(name: "\(image.serviceName).image", value: image.image))
        }
        return all
    }
}

/// A stage of `states`, its jobs as `children`: the keys of the seed's example stage.
struct CodeArtsStageView: Encodable {
    let id: String
    let name: String
    let progress: CodeArtsProgress
    let children: [CodeArtsJobView]

    init(_ stage: StageRecord, position: Int, summary: TaskSummary, links: LinkBase, now: Int64) {
        id = "stage_\(position)"
        name = stage.name
        progress = CodeArtsProgress(stage.status, start: stage.startTime, end: stage.endTime, now: now)
        children = stage.jobs.enumerated().map { index, job in
            CodeArtsJobView(job, id: "task_\(position)_\(index + 1)", detailURL: links.jobLogURL(summary, job: job.name), now: now)
        }
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodeArtsKey.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode("stage", forKey: .type)
        try progress.encode(into: &c)
        try c.encode(children, forKey: .children)
    }
}

/// A job as a stage's child task: the keys of the seed's example task (`end_time` without its typo).
struct CodeArtsJobView: Encodable {
    let id: String
    let name: String
    let progress: CodeArtsProgress
    let error_code: String?
    let error_msg: String?
    /// The job's log, once it started.
    let detail_url: String?

    init(_ job: JobRecord, id: String, detailURL: String, now: Int64) {
        self.id = id
        name = job.name
        progress = CodeArtsProgress(job.status, start: job.startTime, end: job.endTime, now: now)
        error_code = CodeArtsStatus.errorCode(job.status)
        error_msg = error_code == nil ? nil : (job.error ?? "job \(job.status.rawValue)")
        detail_url = job.startTime > 0 ? detailURL : nil
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodeArtsKey.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode("task", forKey: .type)
        try progress.encode(into: &c)
        try c.encode(error_code, forKey: .error_code)
        try c.encode(error_msg, forKey: .error_msg)
        try c.encode(detail_url, forKey: .detail_url)
    }
}
