public enum JobKind: String, Sendable, Codable, CaseIterable, Hashable {
    case build
    case deploy
    /// A job of a workflow's own stage: its `run` command, with every repo of the task checked out.
    case shell
    /// A flow task (seed 002) calling its function over HTTP.
    case function
    /// A flow task that succeeds at once.
    case pass
}

public struct JobPlan: Sendable, Hashable {
    public var name: String
    public var kind: JobKind
    /// The target (service) the job builds or deploys.
    public var target: String

    public init(name: String, kind: JobKind, target: String) {
        self.name = name
        self.kind = kind
        self.target = target
    }
}

public struct StagePlan: Sendable, Hashable {
    public var name: String
    public var jobs: [JobPlan]

    public init(name: String, jobs: [JobPlan]) {
        self.name = name
        self.jobs = jobs
    }
}

/// The workflow shape: a build stage with one job per target, then a deploy stage with one job
/// per target or release image; a workflow's own stages go after build (only when the task builds)
/// or after deploy.
public enum TaskPlanner {
    public static func stages(for arguments: TaskArguments, adding own: [StageConfig] = []) -> [StagePlan] {
        func shell(_ placement: StageConfig.Placement) -> [StagePlan] {
            own.filter { $0.after == placement }.map { stage in
                StagePlan(name: stage.name, jobs: stage.jobs.map { JobPlan(name: $0.name, kind: .shell, target: "") })
            }
        }
        var stages: [StagePlan] = []
        if !arguments.targets.isEmpty {
            stages.append(StagePlan(name: "build", jobs: arguments.targets.map {
                JobPlan(name: "build-\($0.name)", kind: .build, target: $0.name)
            }))
            stages += shell(.build)
        }
        var deployed = Set<String>()
        var deploys: [JobPlan] = []
        for service in arguments.targets.map(\.name) + arguments.releaseImages.map(\.serviceName)
        where deployed.insert(service).inserted {
            deploys.append(JobPlan(name: "deploy-\(service)", kind: .deploy, target: service))
        }
        if !deploys.isEmpty {
            stages.append(StagePlan(name: "deploy", jobs: deploys))
        }
        return stages + shell(.deploy)
    }

    /// The stages of a restart: jobs that passed stay passed, every other job runs again.
    public static func restartStages(from previous: [StageRecord]) -> [StageRecord] {
        previous.map { stage in
            let jobs = stage.jobs.map { job in
                job.status == .passed
                    ? job
                    : JobRecord(name: job.name, kind: job.kind, target: job.target, status: .created)
            }
            let allPassed = jobs.allSatisfy { $0.status == .passed }
            return allPassed
                ? StageRecord(name: stage.name, status: .passed, startTime: stage.startTime, endTime: stage.endTime, jobs: jobs)
                : StageRecord(name: stage.name, status: .created, jobs: jobs)
        }
    }

    /// The stages once the task is cancelled: nothing not yet final will run.
    public static func cancelledStages(from stages: [StageRecord], at time: Int64) -> [StageRecord] {
        stages.map { stage in
            guard !stage.status.isFinal else { return stage }
            let jobs = stage.jobs.map { job in
                guard !job.status.isFinal else { return job }
                var cancelled = job
                cancelled.status = .cancelled
                cancelled.endTime = time
                return cancelled
            }
            return StageRecord(name: stage.name, status: .cancelled, startTime: stage.startTime, endTime: time, jobs: jobs)
        }
    }
}
