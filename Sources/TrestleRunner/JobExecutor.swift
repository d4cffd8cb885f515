import TrestleCore

/// The kind of jobs a run drives: process jobs of a configured workflow (`ProcessJobExecutor`) or
/// the HTTP function jobs of a flow execution (`FunctionJobExecutor`). `TaskRun` decides what
/// starts when (through `TaskProgress`) and records it; an executor runs one job.
protocol JobExecutor: Sendable {
    /// Seconds the whole task may run.
    var timeout: Int { get }
    var rules: JobRules { get }
    func run(stage: Int, job: Int, stages: [StageRecord], taskDeadline: ContinuousClock.Instant) async -> JobOutcome
    /// Once the task's end is recorded.
    func ended(_ status: TaskStatus, stages: [StageRecord]) async
}

struct JobOutcome: Sendable {
    var status: TaskStatus
    var error: String?
    var image: String?
}
