/// What the workflow says about its jobs beyond their stage: which jobs of the same stage each
/// needs, and which may fail without failing the stage.
public struct JobRules: Sendable, Hashable {
    public var needs: [String: [String]]
    public var allowedToFail: Set<String>
    /// Jobs of a stage running at once (a flow's `max_parallel`); nil is no limit.
    public var maxParallel: Int?

    public init(needs: [String: [String]] = [:], allowedToFail: Set<String> = [], maxParallel: Int? = nil) {
        self.needs = needs
        self.allowedToFail = allowedToFail
        self.maxParallel = maxParallel
    }

    public init(_ workflow: WorkflowConfig?) {
        let jobs = workflow?.stages.flatMap(\.jobs) ?? []
        self.init(needs: Dictionary(jobs.map { ($0.name, $0.needs) }, uniquingKeysWith: { first, _ in first }),
                  allowedToFail: Set(jobs.filter(\.allowFailure).map(\.name)))
    }

    /// Passed, or ended while allowed to fail: the stage goes on.
    public func settled(_ job: JobRecord) -> Bool {
        job.status == .passed || (job.status.isFinal && allowedToFail.contains(job.name))
    }
}

/// Where a running attempt stands and what runs next: pure functions of its stages.
///
/// Stages run in order; the jobs of a stage run in parallel, each once the jobs it `needs` have
/// settled. A stage passes when every job passed (or failed while allowed to); a job that failed,
/// timed out or was cancelled ends the task with that status once the stage's running jobs have
/// ended, and nothing new starts.
public enum TaskProgress {
    public enum Next: Sendable, Equatable {
        /// Start these jobs (positions in the stage); jobs of the stage already running keep running.
        case start(stage: Int, jobs: [Int])
        /// Jobs are running and nothing else can start until one ends.
        case wait
        /// Every job has ended: the task ends with this status.
        case finish(TaskStatus)
    }

    public static func next(_ stages: [StageRecord], rules: JobRules = JobRules()) -> Next {
        for (index, stage) in stages.enumerated() {
            let jobs = stage.jobs
            if jobs.allSatisfy(rules.settled) { continue }
            let running = jobs.contains { $0.status == .running }
            let blocking = jobs.filter { $0.status.isFinal && !rules.settled($0) }.map(\.status)
            if !blocking.isEmpty {
                // A job of this stage did not pass: let the running ones end, start nothing new.
                return running ? .wait : .finish(worst(blocking))
            }
            let byName = Dictionary(jobs.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
            var startable = jobs.indices.filter { position in
                jobs[position].status == .created
                    && (rules.needs[jobs[position].name] ?? []).allSatisfy { byName[$0].map(rules.settled) ?? true }
            }
            if let cap = rules.maxParallel, !startable.isEmpty {
                let room = cap - jobs.count { $0.status == .running }
                if room <= 0 { return .wait }
                startable = Array(startable.prefix(room))
            }
            if !startable.isEmpty { return .start(stage: index, jobs: startable) }
            // Nothing can start and nothing runs: needs that can never settle (config validation refuses cycles).
            return running ? .wait : .finish(.failed)
        }
        return .finish(.passed)
    }

    /// The stages with one job's new status, its stage's status and times derived from its jobs.
    public static func updating(_ stages: [StageRecord], stage: Int, job: Int, to status: TaskStatus,
                                at time: Int64, error: String? = nil, rules: JobRules = JobRules()) -> [StageRecord] {
        var stages = stages
        var record = stages[stage].jobs[job]
        record.status = status
        if status == .running {
            record.startTime = time
            record.endTime = 0
            record.error = nil
        } else if status.isFinal {
            record.endTime = time
            record.error = error
        }
        stages[stage].jobs[job] = record
        stages[stage] = derived(stages[stage], at: time, rules: rules)
        return stages
    }

    /// The stages once the attempt ends early (timeout, cancel, lost executor): every job not
    /// ended gets `status` and `reason`; jobs that never started are marked as not run.
    public static func ending(_ stages: [StageRecord], as status: TaskStatus, reason: String, at time: Int64) -> [StageRecord] {
        stages.map { stage in
            var stage = stage
            for index in stage.jobs.indices where !stage.jobs[index].status.isFinal {
                let started = stage.jobs[index].status == .running
                stage.jobs[index].status = started ? status : .cancelled
                stage.jobs[index].endTime = time
                stage.jobs[index].error = started ? reason : "not run: \(reason)"
            }
            return derived(stage, at: time)
        }
    }

    /// After the task failed in a stage: the jobs of it and later stages that never started say why.
    public static func skippingRest(_ stages: [StageRecord], after failedStage: Int) -> [StageRecord] {
        stages.enumerated().map { index, stage in
            guard index >= failedStage else { return stage }
            var stage = stage
            for job in stage.jobs.indices where stage.jobs[job].status == .created {
                stage.jobs[job].error = "not run: stage '\(stages[failedStage].name)' did not pass"
            }
            return stage
        }
    }

    /// A stage's status and times from its jobs.
    static func derived(_ stage: StageRecord, at time: Int64, rules: JobRules = JobRules()) -> StageRecord {
        var stage = stage
        let statuses = stage.jobs.map(\.status)
        let wasFinal = stage.status.isFinal
        if stage.jobs.allSatisfy(rules.settled) {
            stage.status = .passed
        } else if statuses.contains(.running) {
            stage.status = .running
        } else if statuses.allSatisfy(\.isFinal) {
            stage.status = worst(stage.jobs.filter { !rules.settled($0) }.map(\.status))
        } else if statuses.contains(where: { $0 != .created }) {
            stage.status = .running
        } else {
            stage.status = .created
        }
        if stage.status != .created, stage.startTime == 0 {
            stage.startTime = stage.jobs.map(\.startTime).filter { $0 > 0 }.min() ?? time
        }
        if stage.status.isFinal, !wasFinal || stage.endTime == 0 {
            stage.endTime = time
        } else if !stage.status.isFinal {
            stage.endTime = 0
        }
        return stage
    }

    /// What differs between two versions of an attempt's stages, so a store writes only those
    /// rows: a job's start or end is one job row and its stage's row, not every job of the task.
    /// nil when the shape differs (stages or jobs added, removed or renamed): write them all.
    public static func changes(from old: [StageRecord], to new: [StageRecord]) -> StageChanges? {
        guard old.count == new.count else { return nil }
        var changes = StageChanges()
        for (index, (before, after)) in zip(old, new).enumerated() {
            guard before.name == after.name, before.jobs.count == after.jobs.count else { return nil }
            if before.status != after.status || before.startTime != after.startTime || before.endTime != after.endTime {
                changes.stages.append(index)
            }
            for (position, (was, now)) in zip(before.jobs, after.jobs).enumerated() where was != now {
                guard was.name == now.name, was.kind == now.kind, was.target == now.target else { return nil }
                changes.jobs.append(JobAddress(stage: index, job: position))
            }
        }
        return changes
    }

    /// The status that explains a stage or task best: a timeout over a cancel over a failure.
    static func worst(_ statuses: [TaskStatus]) -> TaskStatus {
        if statuses.contains(.timeout) { return .timeout }
        if statuses.contains(.cancelled) { return .cancelled }
        if statuses.contains(.failed) { return .failed }
        return .passed
    }
}

/// Rows of an attempt that changed (positions); see `TaskProgress.changes`.
public struct StageChanges: Sendable, Hashable {
    public var stages: [Int] = []
    public var jobs: [JobAddress] = []

    public init(stages: [Int] = [], jobs: [JobAddress] = []) {
        self.stages = stages
        self.jobs = jobs
    }
}

public struct JobAddress: Sendable, Hashable {
    public var stage: Int
    public var job: Int

    public init(stage: Int, job: Int) {
        self.stage = stage
        self.job = job
    }
}
