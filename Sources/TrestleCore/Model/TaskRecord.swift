/// Who or what made a task, or its latest attempt.
public enum TriggerKind: String, Sendable, Codable, CaseIterable, Hashable {
    case api
    case webhook
    case cli
    case restart
}

public struct TaskTrigger: Sendable, Codable, Hashable {
    public var kind: TriggerKind
    /// The token name, webhook delivery or user behind it.
    public var by: String

    public init(kind: TriggerKind, by: String) {
        self.kind = kind
        self.by = by
    }
}

/// A task to be stored; the store gives it its per-workflow `task_id`.
public struct NewTask: Sendable, Hashable {
    public var workflow: String
    public var project: String
    public var env: String
    public var trigger: TaskTrigger
    public var arguments: TaskArguments
    public var stages: [StagePlan]
    public var createTime: Int64
    /// Where the code comes from; an API task's unless given.
    public var origin: TaskOrigin

    public init(workflow: String, project: String, env: String, trigger: TaskTrigger,
                arguments: TaskArguments, stages: [StagePlan], createTime: Int64, origin: TaskOrigin? = nil) {
        self.origin = origin ?? .api(arguments)
        self.workflow = workflow
        self.project = project
        self.env = env
        self.trigger = trigger
        self.arguments = arguments
        self.stages = stages
        self.createTime = createTime
    }
}

/// The row the commitId status query answers with: seed 000's fields plus what the url needs.
public struct TaskSummary: Sendable, Hashable {
    public var taskID: Int64
    public var workflow: String
    public var project: String
    public var status: TaskStatus
    public var createTime: Int64
    public var startTime: Int64
    public var endTime: Int64

    public init(taskID: Int64, workflow: String, project: String, status: TaskStatus,
                createTime: Int64, startTime: Int64, endTime: Int64) {
        self.taskID = taskID
        self.workflow = workflow
        self.project = project
        self.status = status
        self.createTime = createTime
        self.startTime = startTime
        self.endTime = endTime
    }
}

/// A whole task as stored: summary, arguments, and every attempt's stages and jobs.
public struct TaskRecord: Sendable, Hashable {
    public var summary: TaskSummary
    public var env: String
    public var trigger: TaskTrigger
    public var arguments: TaskArguments
    /// Current attempt number, from 1.
    public var attempt: Int
    /// Every attempt, oldest first; the last is the current one.
    public var attempts: [TaskAttempt]
    /// Where the code comes from, which decides the secrets and deploys its jobs get.
    public var origin: TaskOrigin

    public init(summary: TaskSummary, env: String, trigger: TaskTrigger, arguments: TaskArguments,
                attempt: Int, attempts: [TaskAttempt], origin: TaskOrigin? = nil) {
        self.origin = origin ?? .api(arguments)
        self.summary = summary
        self.env = env
        self.trigger = trigger
        self.arguments = arguments
        self.attempt = attempt
        self.attempts = attempts
    }

    public var currentStages: [StageRecord] { attempts.last?.stages ?? [] }
}

public struct TaskAttempt: Sendable, Hashable {
    public var number: Int
    public var trigger: TaskTrigger
    public var status: TaskStatus
    public var createTime: Int64
    public var startTime: Int64
    public var endTime: Int64
    /// Who cancelled this attempt, when it was cancelled.
    public var cancelledBy: String?
    public var stages: [StageRecord]

    public init(number: Int, trigger: TaskTrigger, status: TaskStatus, createTime: Int64,
                startTime: Int64, endTime: Int64, cancelledBy: String? = nil, stages: [StageRecord]) {
        self.number = number
        self.trigger = trigger
        self.status = status
        self.createTime = createTime
        self.startTime = startTime
        self.endTime = endTime
        self.cancelledBy = cancelledBy
        self.stages = stages
    }
}

public struct StageRecord: Sendable, Hashable {
    public var name: String
    public var status: TaskStatus
    public var startTime: Int64
    public var endTime: Int64
    public var jobs: [JobRecord]

    public init(name: String, status: TaskStatus, startTime: Int64 = 0, endTime: Int64 = 0, jobs: [JobRecord]) {
        self.name = name
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.jobs = jobs
    }
}

public struct JobRecord: Sendable, Hashable {
    public var name: String
    public var kind: JobKind
    public var target: String
    public var status: TaskStatus
    public var startTime: Int64
    public var endTime: Int64
    public var error: String?
    /// The image a build job announced (see `JobEnvironment`); deploys of its target use it.
    public var image: String?

    public init(name: String, kind: JobKind, target: String, status: TaskStatus,
                startTime: Int64 = 0, endTime: Int64 = 0, error: String? = nil, image: String? = nil) {
        self.name = name
        self.kind = kind
        self.target = target
        self.status = status
        self.startTime = startTime
        self.endTime = endTime
        self.error = error
        self.image = image
    }
}
